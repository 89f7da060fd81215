"""Batch resilience on plain data: transient causes, worker budgets, disk-full errors naming their file."""

from __future__ import annotations

import errno
import os

import pytest

from rdc_extract.batch.child import failure_cause, parse_faults
from rdc_extract.batch.discover import FoundCapture
from rdc_extract.batch.manifest import Manifest
from rdc_extract.batch.plan import TRANSIENT_CAUSES, WORKER_KILLED, Action, decide
from rdc_extract.batch.resources import WORKER_MEMORY_MB, available_memory_mb, cap_jobs
from rdc_extract.dataset.files import atomic_write
from rdc_extract.errors import DISK_FULL, REMOTE_LOST, REMOTE_UNAVAILABLE, WriteFailed, timed_out_after, timeout_cause


def _failed(cause: str) -> dict:
    return {"capture": "a.rdc", "status": "failed", "size": 10, "mtime_ns": 5, "cause": cause}


@pytest.mark.parametrize("cause", sorted(TRANSIENT_CAUSES))
def test_a_capture_that_failed_for_a_transient_cause_is_retried_without_retry_failed(cause):
    decision = decide(FoundCapture("/in/a.rdc", "a.rdc", 10, 5), _failed(cause))
    assert (decision.action, decision.reason) == (Action.RUN, "retry-transient")


@pytest.mark.parametrize("cause", ["crashed (SIGSEGV)", "timeout (> 600 s)", "not a RenderDoc capture"])
def test_a_capture_that_failed_for_its_own_sake_is_still_skipped(cause):
    decision = decide(FoundCapture("/in/a.rdc", "a.rdc", 10, 5), _failed(cause))
    assert (decision.action, decision.reason) == (Action.SKIP_FAILED, "failed earlier")


def test_transient_causes_are_disk_full_a_killed_worker_and_remote_servers():
    assert TRANSIENT_CAUSES == {DISK_FULL, WORKER_KILLED, REMOTE_UNAVAILABLE, REMOTE_LOST}


@pytest.mark.parametrize(("requested", "default", "to_run", "cores", "memory_mb", "expected"), [
    (None, 2, 50, 2, 24_000, (2, None)),
    (None, 2, 1, 2, 24_000, (1, None)),           # the default is quietly lowered to the work there is
    (32, 2, 1, 2, 24_000, (1, "--jobs 32 lowered to 1: 1 capture to extract")),
    (100_000, 2, 5000, 2, 24_000, (8, "--jobs 100000 lowered to 8: 2 cores, at most 4 workers each")),
    (100_000, 64, 5000, 64, 9_000, (10, f"--jobs 100000 lowered to 10: 8.8 GB memory available, "
                                        f"{WORKER_MEMORY_MB} MB per worker")),
    (None, 64, 5000, 64, 1_800, (2, f"64 workers (default) lowered to 2: 1.8 GB memory available, "
                                    f"{WORKER_MEMORY_MB} MB per worker")),
    (4, 2, 0, 2, 100, (1, "--jobs 4 lowered to 1: 0 captures to extract")),
    (3, 8, 10, None, None, (3, None)),             # a cluster: neither cores nor memory known here
])
def test_cap_jobs_by_work_cores_and_memory(requested, default, to_run, cores, memory_mb, expected):
    choice = cap_jobs(requested, default, to_run, cores=cores, available_mb=memory_mb)
    assert (choice.n_jobs, choice.note) == expected


def test_cap_jobs_by_remote_servers_when_every_capture_replays_remotely():
    assert cap_jobs(None, 8, 100, cores=8, available_mb=24_000, servers=2).n_jobs == 2
    choice = cap_jobs(4, 8, 100, cores=8, servers=3)
    assert (choice.n_jobs, choice.note) == (3, "--jobs 4 lowered to 3: 3 remote servers, one replay at a time each")


def test_available_memory_is_read_from_meminfo(tmp_path):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       32000000 kB\nMemFree:         1000000 kB\nMemAvailable:   24285092 kB\n")
    assert available_memory_mb(meminfo) == pytest.approx(23716.0, abs=1)
    assert available_memory_mb(tmp_path / "missing") is None


def test_fault_hook_knows_worker_kills_and_full_disks():
    assert parse_faults("killworker:a,enospc:b") == [("killworker", "a"), ("enospc", "b")]


def test_a_full_disk_is_one_cause_whoever_raised_it(tmp_path):
    assert failure_cause(OSError(errno.ENOSPC, "No space left on device", "/out/x.png")) == DISK_FULL
    assert failure_cause(OSError(errno.EDQUOT, "Disk quota exceeded")) == DISK_FULL
    assert failure_cause(WriteFailed(tmp_path / "x.png", OSError(errno.ENOSPC, "No space left on device"))) == DISK_FULL
    assert failure_cause(OSError(errno.EACCES, "Permission denied")) == "internal error (PermissionError)"


def test_an_atomic_write_that_fails_names_the_file_not_its_temporary(tmp_path):
    def fill_the_disk(temp):
        temp.write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(WriteFailed) as caught:
        atomic_write(tmp_path / "index.csv", fill_the_disk)
    assert str(caught.value) == f"{tmp_path / 'index.csv'}: disk full: No space left on device"
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
def test_a_manifest_append_on_a_full_disk_names_the_manifest(tmp_path):
    with Manifest(tmp_path) as manifest, pytest.raises(WriteFailed) as caught:
        (tmp_path / "manifest.jsonl").symlink_to("/dev/full")  # every write: ENOSPC
        manifest.append({"capture": "a.rdc", "status": "done"})
    assert str(caught.value) == f"{tmp_path / 'manifest.jsonl'}: disk full: No space left on device"
    assert manifest.get("a.rdc") is None


@pytest.mark.parametrize(("recorded", "now", "expected"), [
    ("timeout (> 60 s)", 180.0, (Action.RUN, "retry-longer-timeout")),
    ("timeout (> 60 s)", 60.0, (Action.SKIP_FAILED, "failed earlier")),
    ("timeout (> 600 s)", 60.0, (Action.SKIP_FAILED, "failed earlier")),
    ("timeout (> 1.5e+06 s)", 1e7, (Action.RUN, "retry-longer-timeout")),
    ("crashed (SIGSEGV)", 1e7, (Action.SKIP_FAILED, "failed earlier")),
])
def test_a_capture_that_timed_out_is_retried_by_a_run_that_allows_it_longer(recorded, now, expected):
    """A draw-id sweep stopped for its timeout says "raise it, e.g. --timeout 180": a rerun with that does so."""
    decision = decide(FoundCapture("/in/a.rdc", "a.rdc", 10, 5), _failed(recorded), timeout_s=now)
    assert (decision.action, decision.reason) == expected


def test_the_timeout_a_cause_names_is_read_back():
    assert [timed_out_after(timeout_cause(s)) for s in (1, 60, 0.5, 604800)] == [1, 60, 0.5, 604800]
    assert [timed_out_after(c) for c in (None, "", "timeout (> x s)", "disk full")] == [None] * 4


def test_a_capture_that_could_not_give_an_output_is_retried_when_other_outputs_are_asked():
    record = {**_failed("output not available"), "outputs_wanted": ["rgb", "stencil"]}
    found = FoundCapture("/in/a.rdc", "a.rdc", 10, 5)
    assert decide(found, record, outputs_wanted=["rgb"]).reason == "retry-other-outputs"
    assert decide(found, record, outputs_wanted=None).reason == "retry-other-outputs"
    assert decide(found, record, outputs_wanted=["rgb", "stencil"]).action == Action.SKIP_FAILED
