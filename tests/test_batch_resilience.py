"""Batch resilience through real replay: killed workers, full disks, worker budgets, what a killed batch leaves.

Faults come from the test-only hook (child.py): `killworker` SIGKILLs the
process writing a capture's frame as the OOM killer would, `enospc` fails as a
full disk does. A real small filesystem (tmpfs) is used where mounting is allowed.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rdc_extract.batch.child import FAULT_ENV
from rdc_extract.batch.plan import WORKER_KILLED
from rdc_extract.batch.runner import BatchOptions, run_batch
from rdc_extract.batch.manifest import MANIFEST_NAME, read_records
from rdc_extract.cli import app
from rdc_extract.errors import DISK_FULL

STAND_IN = "rdc_extract.batch.standin:inspect_job"
NO_REPLAY = "rdc_extract.batch.standin:touch_job"


def _records(out: Path) -> dict[str, dict]:
    return read_records(out / MANIFEST_NAME)[0]


def _captures(tmp_path: Path, capture: Path, count: int) -> Path:
    folder = tmp_path / "captures"
    folder.mkdir()
    for number in range(count):
        shutil.copyfile(capture, folder / f"c{number:02d}.rdc")
    return folder


def _session_processes(session: int) -> list[int]:
    """Live (not zombie) processes of a session: a batch started with start_new_session and all it started."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[3]) == session:
            pids.append(int(stat.parent.name))
    return pids


def test_a_killed_worker_costs_its_in_flight_captures_and_the_batch_goes_on(tmp_path, vk_capture, monkeypatch):
    folder = _captures(tmp_path, vk_capture, 8)
    out = tmp_path / "out"
    monkeypatch.setenv(FAULT_ENV, "killworker:c02")
    args = ["batch", str(folder), str(out), "--jobs", "1", "--outputs", "rgb"]

    result = CliRunner().invoke(app, args)

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    records = _records(out)
    assert len(records) == 8  # every capture recorded: none lost, the batch went on
    assert records["c02.rdc"]["cause"] == WORKER_KILLED
    assert "the process writing this capture" in records["c02.rdc"]["error"] and "killed (SIGKILL" in records["c02.rdc"]["error"]
    assert {r["cause"] for r in records.values() if r["status"] == "failed"} == {WORKER_KILLED}
    assert records["c07.rdc"]["status"] == "done"  # handed out after the worker died
    assert WORKER_KILLED in result.output

    monkeypatch.delenv(FAULT_ENV)
    rerun = CliRunner().invoke(app, args)  # no --retry-failed: a killed worker says nothing about the capture
    assert rerun.exit_code == 0, rerun.output
    retried = _records(out)
    assert retried["c02.rdc"]["reason"] == "retry-transient" and retried["c02.rdc"]["status"] == "done"


def test_workers_killed_again_and_again_stop_the_batch_with_one_line(tmp_path, vk_capture, monkeypatch):
    folder = _captures(tmp_path, vk_capture, 12)
    monkeypatch.setenv(FAULT_ENV, "killworker:c")
    result = CliRunner().invoke(app, ["batch", str(folder), str(tmp_path / "out"), "--jobs", "2", "--outputs", "rgb"])
    assert result.exit_code == 1
    stop_lines = [line for line in result.output.splitlines() if line.startswith("error: batch stopped early")]
    assert len(stop_lines) == 1 and "batch workers were killed 3 times in a row without a capture finishing" in stop_lines[0]
    assert "Traceback" not in result.output
    records = _records(tmp_path / "out")
    assert 3 <= len(records) < 12 and all(r["cause"] == WORKER_KILLED for r in records.values())


def test_a_full_disk_stops_the_batch_early_and_a_rerun_retries_what_it_cost(tmp_path, vk_capture, monkeypatch):
    folder = _captures(tmp_path, vk_capture, 6)
    out = tmp_path / "out"
    shutil.copyfile(vk_capture, folder / "c03_truly_bad.rdc")
    with (folder / "c03_truly_bad.rdc").open("r+b") as handle:
        handle.truncate(4096)
    monkeypatch.setenv(FAULT_ENV, "enospc:c01")
    args = ["batch", str(folder), str(out), "--jobs", "1", "--job", STAND_IN]

    result = CliRunner().invoke(app, args)

    assert result.exit_code == 1
    records = _records(out)
    assert set(records) == {"c00.rdc", "c01.rdc"}  # nothing handed out after the disk filled up
    assert records["c01.rdc"]["cause"] == DISK_FULL
    stop_lines = [line for line in result.output.splitlines() if line.startswith("error: batch stopped early")]
    assert len(stop_lines) == 1 and "No space left on device" in stop_lines[0]
    assert str(out / ".staging") in stop_lines[0] and "rgb.png" in stop_lines[0]  # the path that failed

    monkeypatch.delenv(FAULT_ENV)
    rerun = CliRunner().invoke(app, args)  # space freed: no --retry-failed needed
    assert rerun.exit_code == 1  # the truncated capture
    records = _records(out)
    assert records["c01.rdc"]["reason"] == "retry-transient" and records["c01.rdc"]["status"] == "done"
    assert records["c03_truly_bad.rdc"]["cause"] == "capture is truncated or corrupt"
    again = CliRunner().invoke(app, args)
    assert "failed earlier" in again.output and _records(out) == records  # a really bad capture is not retried


@pytest.fixture()
def small_filesystem(tmp_path):
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)],
                          capture_output=True, check=False)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode().strip()}")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_a_real_full_disk_is_one_line_naming_the_manifest_and_a_rerun_after_freeing_space_completes(
        tmp_path, vk_capture, small_filesystem):
    folder = _captures(tmp_path, vk_capture, 4)
    out = small_filesystem / "out"
    filler = small_filesystem / "filler"
    filler.write_bytes(b"\0" * (1024 * 1024 - 4096))
    args = ["batch", str(folder), str(out), "--jobs", "1", "--job", NO_REPLAY]

    result = CliRunner().invoke(app, args)

    assert result.exit_code == 1
    assert "Traceback" not in result.output and "warn" not in result.output
    assert f"error: {out / 'manifest.jsonl'}: disk full: No space left on device" in result.output
    filler.unlink()
    rerun = CliRunner().invoke(app, args)
    assert rerun.exit_code == 0, rerun.output
    assert all(record["status"] == "done" for record in _records(out).values()) and len(_records(out)) == 4


def test_jobs_are_capped_by_the_captures_to_run(tmp_path, vk_capture):
    folder = _captures(tmp_path, vk_capture, 3)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["batch", str(folder), str(out), "--jobs", "100000", "--job", NO_REPLAY,
                                      "--recycle-after", "1"])
    assert result.exit_code == 0, result.output
    assert "--jobs 100000 lowered to 3: 3 captures to extract" in result.output
    assert len({record["worker_pid"] for record in _records(out).values()}) == 3


def test_leftover_temporaries_of_an_interrupted_run_are_removed_and_reported(tmp_path, vk_capture):
    folder = _captures(tmp_path, vk_capture, 1)
    out = tmp_path / "out"
    out.mkdir()
    (out / ".tmp-3kq1x.jsonl").write_bytes(b"{}\n" * 1000)  # what a kill during compaction leaves
    (out / ".tmp-9zz2b.csv").write_text("frame_id\n")
    (out / ".tmp-export-x1" / "images").mkdir(parents=True)  # an export into a folder of OUT, killed half-way
    summary = run_batch(BatchOptions(folder, out, jobs=1, job=NO_REPLAY))
    assert not list(out.glob(".tmp-*"))
    assert summary.notes == [f"removed 3 temporary files (.tmp-*) that an interrupted run left in {out}"]


def test_renderdoc_logs_go_to_out_logs_and_only_a_crashed_replays_log_is_kept(tmp_path, vk_capture):
    folder = _captures(tmp_path, vk_capture, 4)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "rdc_extract", "batch", str(folder), str(out), "--jobs", "2", "--job", STAND_IN]
    started = time.time()
    finished = subprocess.run(command, capture_output=True, text=True, timeout=300,
                              env={**os.environ, FAULT_ENV: "crash:c01"})
    assert finished.returncode == 1, finished.stderr
    crashed_pid = _records(out)["c01.rdc"]["worker_pid"]
    kept = sorted((out / "logs").glob("renderdoc-*.log"))
    assert len(kept) == 1 and f"RDOC {crashed_pid:06d}:" in kept[0].read_text(errors="replace")
    in_tmp = [log for log in glob.glob("/tmp/RenderDoc/*.log")  # process ids are reused: only this run's logs
              if os.path.getmtime(log) >= started and f"RDOC {crashed_pid:06d}:" in Path(log).read_text(errors="replace")]
    assert in_tmp == []


def test_kill_9_of_a_batch_leaves_no_process_and_no_shared_memory_folder(tmp_path, vk_capture):
    folder = _captures(tmp_path, vk_capture, 3)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "rdc_extract", "batch", str(folder), str(out), "--jobs", "2", "--job", STAND_IN]
    batch = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                             env={**os.environ, FAULT_ENV: "hang:c00"})
    try:
        deadline = time.monotonic() + 120
        while not (out / "manifest.jsonl").exists() or len(_records(out)) < 2:  # c01, c02 done; c00 hangs
            assert time.monotonic() < deadline, "the batch finished no capture within 120 s"
            time.sleep(0.1)
        assert len(_session_processes(batch.pid)) >= 2  # the batch and the replay child hanging on c00
        batch.send_signal(signal.SIGKILL)
        batch.wait()
        deadline = time.monotonic() + 30  # children die with the batch (PR_SET_PDEATHSIG)
        while _session_processes(batch.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _session_processes(batch.pid) == []
        assert glob.glob(f"/dev/shm/joblib_memmapping_folder_{batch.pid}_*") == []
    finally:
        for pid in _session_processes(batch.pid):
            os.kill(pid, signal.SIGKILL)
