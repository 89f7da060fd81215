"""Batch integration through real replay: crash/hang isolation, resume, kill -9, via the CLI.

The job is the stand-in `inspect_job` (really opens and replays each capture,
writes meta.json) so these tests exercise the engine on the tiny shipped
captures; test_batch_extract.py runs the real extraction on sample-game captures.
"""

from __future__ import annotations

import csv
import json
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
from rdc_extract.batch.runner import BatchOptions, run_batch
from rdc_extract.batch.manifest import MANIFEST_NAME, read_records
from rdc_extract.cli import app
from tests.broken_captures import as_d3d11, random_bytes, truncated

STAND_IN = "rdc_extract.batch.standin:inspect_job"


def _records(out: Path) -> dict[str, dict]:
    return read_records(out / MANIFEST_NAME)[0]


def capture_folder(tmp_path: Path, capture: Path, *names: str) -> Path:
    """`tmp_path/captures/` holding a copy of `capture` under each name."""
    folder = tmp_path / "captures"
    folder.mkdir()
    for name in names:
        shutil.copyfile(capture, folder / name)
    return folder


def _assert_only_complete_frames(out: Path) -> None:
    frames = out / "frames"
    for folder in frames.iterdir() if frames.exists() else []:
        assert (folder / "meta.json").is_file(), f"half-written frame folder {folder}"


@pytest.fixture()
def mixed_folder(tmp_path, gl_capture, vk_capture) -> Path:
    folder = tmp_path / "captures"
    (folder / "day").mkdir(parents=True)
    shutil.copyfile(vk_capture, folder / "day" / "good_vk.rdc")
    shutil.copyfile(gl_capture, folder / "good_gl.rdc")
    (folder / "good_gl.json").write_text(json.dumps({"weather": "rain", "player_pose": {"x": 2.5}}))
    truncated(vk_capture, folder / "truncated.rdc")
    random_bytes(folder / "random.rdc")
    (folder / "empty.rdc").write_bytes(b"")
    as_d3d11(gl_capture, folder / "d3d11.rdc")
    shutil.copyfile(vk_capture, folder / "crash_me.rdc")
    shutil.copyfile(vk_capture, folder / "day" / "hang_me.rdc")
    return folder


def test_mixed_folder_completes_isolates_crash_and_hang_and_reruns_as_a_no_op(mixed_folder, tmp_path, monkeypatch):
    monkeypatch.setenv(FAULT_ENV, "crash:crash_me,hang:hang_me")
    out = tmp_path / "out"
    runner = CliRunner()
    args = ["batch", str(mixed_folder), str(out), "--jobs", "2", "--timeout", "4", "--job", STAND_IN]

    result = runner.invoke(app, args)

    assert result.exit_code == 1, result.output
    records = _records(out)
    status = {capture: (r["status"], r["cause"]) for capture, r in records.items()}
    assert status == {
        "good_gl.rdc": ("done", None),
        "day/good_vk.rdc": ("done", None),
        "truncated.rdc": ("failed", "capture is truncated or corrupt"),
        "random.rdc": ("failed", "not a RenderDoc capture"),
        "empty.rdc": ("failed", "not a RenderDoc capture"),
        "d3d11.rdc": ("failed", "capture's graphics API cannot be replayed on this machine"),
        "crash_me.rdc": ("failed", "crashed (SIGSEGV)"),
        "day/hang_me.rdc": ("failed", "timeout (> 4 s)"),
    }
    assert "crashed (SIGSEGV)" in result.output and "timeout (> 4 s)" in result.output
    assert sorted(p.name for p in (out / "frames").iterdir()) == ["day__good_vk", "good_gl"]
    _assert_only_complete_frames(out)
    with (out / "index.csv").open(newline="") as handle:
        rows = {row["frame_id"]: row for row in csv.DictReader(handle)}
    assert set(rows) == {"day__good_vk", "good_gl"}
    assert rows["good_gl"]["scenario.weather"] == "rain"
    assert rows["good_gl"]["outputs.meta"] == "frames/good_gl/meta.json"
    assert (out / rows["good_gl"]["outputs.meta"]).is_file()

    with (out / "failures.csv").open(newline="") as handle:
        failures = {row["capture"]: (row["cause"], row["error"]) for row in csv.DictReader(handle)}
    assert {capture: cause for capture, (cause, _) in failures.items()} == {
        capture: cause for capture, (state, cause) in status.items() if state == "failed"}
    assert all(error for _, error in failures.values())

    rerun = runner.invoke(app, args)
    assert rerun.exit_code == 1  # the failed captures are still failed
    assert _records(out) == records  # nothing redone, nothing appended
    assert "failed earlier" in rerun.output
    quiet = run_batch(BatchOptions(mixed_folder, out, jobs=2, timeout_s=4, job=STAND_IN))
    assert (quiet.done, quiet.failed, quiet.skipped_done, quiet.skipped_failed) == (0, 0, 2, 6)  # nothing handed out

    monkeypatch.delenv(FAULT_ENV)
    retried = runner.invoke(app, [*args, "--retry-failed"])
    retried_records = _records(out)
    assert retried_records["crash_me.rdc"]["status"] == "done"
    assert retried_records["day/hang_me.rdc"]["status"] == "done"
    assert retried_records["good_gl.rdc"] == records["good_gl.rdc"]  # done ones are not redone
    assert retried.exit_code == 1  # truncated, random, empty, d3d11 still fail


def test_a_forced_attempt_that_crashes_keeps_the_earlier_frame_a_changed_one_does_not(
        tmp_path, vk_capture, monkeypatch):
    folder = capture_folder(tmp_path, vk_capture, "a.rdc")
    out = tmp_path / "out"
    args = ["batch", str(folder), str(out), "--jobs", "1", "--job", STAND_IN]
    assert CliRunner().invoke(app, args).exit_code == 0
    monkeypatch.setenv(FAULT_ENV, "crash:a.rdc")
    assert CliRunner().invoke(app, [*args, "--force"]).exit_code == 1
    assert _records(out)["a.rdc"]["cause"] == "crashed (SIGSEGV)"
    assert (out / "frames" / "a" / "meta.json").is_file()  # nothing lost to a crash of the same capture
    first = _records(out)["a.rdc"]
    os.utime(folder / "a.rdc", ns=(first["mtime_ns"] + 10**9, first["mtime_ns"] + 10**9))
    assert CliRunner().invoke(app, args).exit_code == 1
    assert _records(out)["a.rdc"]["reason"] == "changed"
    assert not (out / "frames" / "a").exists()  # the frame of the old contents is gone


def test_force_redoes_done_captures_and_a_changed_capture_is_redone(tmp_path, vk_capture):
    folder = capture_folder(tmp_path, vk_capture, "a.rdc")
    out = tmp_path / "out"
    runner = CliRunner()
    args = ["batch", str(folder), str(out), "--jobs", "1", "--job", STAND_IN]
    assert runner.invoke(app, args).exit_code == 0
    first = _records(out)["a.rdc"]
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0
    assert _records(out)["a.rdc"]["reason"] == "forced"
    os.utime(folder / "a.rdc", ns=(first["mtime_ns"] + 10**9, first["mtime_ns"] + 10**9))
    assert runner.invoke(app, args).exit_code == 0
    assert _records(out)["a.rdc"]["reason"] == "changed"
    shutil.rmtree(out / "frames" / "a")  # outputs lost: redone although the manifest says done
    assert runner.invoke(app, args).exit_code == 0
    assert _records(out)["a.rdc"]["reason"] == "outputs-missing"
    assert (out / "frames" / "a" / "meta.json").is_file()


def test_kill_9_mid_batch_leaves_no_half_written_outputs_and_resumes(tmp_path, vk_capture):
    count = 14
    folder = capture_folder(tmp_path, vk_capture, *(f"cap_{number:02d}.rdc" for number in range(count)))
    out = tmp_path / "out"
    command = [sys.executable, "-m", "rdc_extract", "batch", str(folder), str(out), "--jobs", "2", "--job", STAND_IN]
    batch = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        manifest = out / "manifest.jsonl"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if manifest.exists() and len(manifest.read_text().splitlines()) >= 3:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the batch finished no capture within 60 s")
        batch.send_signal(signal.SIGKILL)
        batch.wait()
        time.sleep(1.0)  # what orphaned workers still do must not land in frames/ for the resumed run
        _assert_only_complete_frames(out)
        done_before = len(_records(out))
        assert 3 <= done_before < count
    finally:
        try:
            os.killpg(batch.pid, signal.SIGKILL)  # the children it left behind
        except ProcessLookupError:
            pass

    resumed = subprocess.run(command, capture_output=True, text=True, timeout=120)

    records = _records(out)
    assert resumed.returncode == 0, [record for record in records.values() if record["status"] != "done"]
    assert len(records) == count and all(r["status"] == "done" for r in records.values())
    reasons = [r["reason"] for r in records.values()]
    assert reasons.count("new") == count  # each capture was extracted once and recorded once
    _assert_only_complete_frames(out)
    assert len(list((out / "frames").iterdir())) == count
    assert not any((out / ".staging").iterdir()) if (out / ".staging").exists() else True


def test_two_captures_with_one_frame_id_first_discovered_wins(tmp_path, vk_capture):
    folder = tmp_path / "captures"
    (folder / "a").mkdir(parents=True)
    shutil.copyfile(vk_capture, folder / "a__b.rdc")
    shutil.copyfile(vk_capture, folder / "a" / "b.rdc")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["batch", str(folder), str(out), "--jobs", "1", "--job", STAND_IN])
    assert result.exit_code == 1
    records = _records(out)
    assert records["a__b.rdc"]["status"] == "done"
    assert records["a/b.rdc"]["cause"] == "frame_id collision"
    assert json.loads((out / "frames" / "a__b" / "meta.json").read_text())["capture"].endswith("a__b.rdc")
    rerun = CliRunner().invoke(app, ["batch", str(folder), str(out), "--jobs", "1", "--job", STAND_IN])
    assert rerun.exit_code == 1 and _records(out) == records


def test_one_worker_process_serves_many_captures_and_is_recycled(tmp_path, vk_capture):
    folder = capture_folder(tmp_path, vk_capture, *(f"c{number}.rdc" for number in range(5)))
    out = tmp_path / "out"
    args = ["batch", str(folder), str(out), "--jobs", "1", "--job", STAND_IN]
    assert CliRunner().invoke(app, [*args, "--recycle-after", "2"]).exit_code == 0
    pids = [record["worker_pid"] for record in sorted(_records(out).values(), key=lambda r: r["capture"])]
    assert pids[0] == pids[1] != pids[2] == pids[3] != pids[4]
    assert CliRunner().invoke(app, [*args, "--force"]).exit_code == 0
    assert len({record["worker_pid"] for record in _records(out).values()}) == 1


def test_worker_that_cannot_start_stops_the_batch(tmp_path, vk_capture):
    folder = capture_folder(tmp_path, vk_capture, "a.rdc")
    result = CliRunner().invoke(app, ["batch", str(folder), str(tmp_path / "out"), "--job", "no_such_module:job"])
    assert result.exit_code == 1
    assert "batch worker could not start" in result.output
    assert not (tmp_path / "out" / "manifest.jsonl").exists()


def test_missing_input_folder_is_an_error(tmp_path):
    result = CliRunner().invoke(app, ["batch", str(tmp_path / "nope"), str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "input folder does not exist" in result.output


def test_a_capture_given_as_the_input_folder_points_to_extract(tmp_path):
    capture = tmp_path / "one capture.rdc"
    capture.write_bytes(b"RDOC")
    result = CliRunner().invoke(app, ["batch", str(capture), str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.output == (f"error: {capture}: not a folder of captures (one capture: rdc-extract extract "
                             f"'{capture}' OUT)\n")
    assert not (tmp_path / "out").exists()


def test_an_output_folder_that_cannot_be_made_is_one_line(tmp_path, vk_capture):
    folder = capture_folder(tmp_path, vk_capture, "a.rdc")
    (tmp_path / "a_file").write_text("")
    result = CliRunner().invoke(app, ["batch", str(folder), str(tmp_path / "a_file" / "out")])
    assert result.exit_code == 1
    assert result.output.startswith("error: ") and str(tmp_path / "a_file") in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_unknown_profile_stops_before_any_capture(tmp_path, vk_capture):
    folder = capture_folder(tmp_path, vk_capture, "a.rdc")
    result = CliRunner().invoke(app, ["batch", str(folder), str(tmp_path / "out"), "--profile", "no_such_game"])
    assert result.exit_code == 1
    assert "no profile named 'no_such_game'" in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("user_choice", [None, "3"])
def test_each_worker_replays_with_its_share_of_the_cores(tmp_path, vk_capture, monkeypatch, user_choice):
    if user_choice:
        monkeypatch.setenv("LP_NUM_THREADS", user_choice)
    else:
        monkeypatch.delenv("LP_NUM_THREADS", raising=False)
    folder = capture_folder(tmp_path, vk_capture, "c0.rdc", "c1.rdc")
    out = tmp_path / "out"
    args = ["batch", str(folder), str(out), "--jobs", "2", "--job", "rdc_extract.batch.standin:touch_job"]
    assert CliRunner().invoke(app, args).exit_code == 0
    share = max(1, (os.cpu_count() or 1) // 2)
    expected = user_choice or str(share if share > 1 else 0)
    for frame in ("c0", "c1"):
        assert json.loads((out / "frames" / frame / "meta.json").read_text())["rasteriser_threads"] == expected


def test_captures_with_undecodable_names_are_recorded_and_reported_in_every_run(tmp_path, vk_capture):
    folder = capture_folder(tmp_path, vk_capture, "ok.rdc")
    bad, good = os.fsdecode(b"bad\xff.rdc"), os.fsdecode(b"good\xfe\x1b[31m.rdc")
    random_bytes(folder / bad)
    shutil.copyfile(vk_capture, folder / good)
    out = tmp_path / "out"
    args = ["batch", str(folder), str(out), "--jobs", "1", "--job", "rdc_extract.batch.standin:touch_job"]

    for run in range(2):
        result = CliRunner().invoke(app, args)

        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output and "batch summary" in result.output
        records = _records(out)
        assert (records[bad]["cause"], records[good]["cause"], records["ok.rdc"]["status"]) == (
            "not a RenderDoc capture", "capture error", "done")
        with (out / "failures.csv").open(newline="", encoding="utf-8") as handle:
            assert [row["capture"] for row in csv.DictReader(handle)] == ["bad\\xff.rdc", "good\\xfe\x1b[31m.rdc"]
        with (out / "index.csv").open(newline="", encoding="utf-8") as handle:
            assert [row["frame_id"] for row in csv.DictReader(handle)] == ["ok"]
    shown = CliRunner().invoke(app, [*args, "--retry-failed"]).output.replace("\n", "")
    assert "bad\\xff.rdc: not a RenderDoc capture" in shown
    assert "good\\xfe\\x1b[31m.rdc: capture error: RenderDoc opens only paths that are valid UTF-8" in shown


def test_a_writer_child_yields_the_cores_to_replay_and_allocates_from_one_arena(tmp_path):
    from rdc_extract.batch.workers import REPLAY, WRITE, Child, WorkerSettings

    settings = WorkerSettings(out_dir=str(tmp_path), job="rdc_extract.batch.standin:touch_job",
                              finisher="rdc_extract.batch.standin:touch_job", write_in_child=True)
    children = {role: Child(settings, role) for role in (REPLAY, WRITE)}
    try:
        for child in children.values():
            child._await_ready()
        nice = {role: int(Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()[16])
                for role, child in children.items()}
        environ = {role: Path(f"/proc/{child.pid}/environ").read_bytes().split(b"\0")
                   for role, child in children.items()}
    finally:
        for child in children.values():
            child.close()
    here = os.getpriority(os.PRIO_PROCESS, 0)
    assert nice == {REPLAY: here, WRITE: min(here + 10, 19)}
    assert all(b"OPENBLAS_NUM_THREADS=1" in variables for variables in environ.values())
    if "MALLOC_ARENA_MAX" not in os.environ:   # one arena where frames are written; the rasteriser's threads keep theirs
        assert b"MALLOC_ARENA_MAX=1" in environ[WRITE]
        assert not any(variable.startswith(b"MALLOC_ARENA_MAX=") for variable in environ[REPLAY])


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="a writer process starts only with a core to spare")
def test_with_a_core_to_spare_a_writer_process_writes_and_is_recorded(tmp_path):
    sample = sorted((Path(__file__).resolve().parents[1] / "samples" / "captures").glob("*.rdc"))[0]
    folder = capture_folder(tmp_path, sample, "a.rdc")
    result = CliRunner().invoke(app, ["batch", str(folder), str(tmp_path / "out"), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    record = _records(tmp_path / "out")["a.rdc"]
    assert record["writer_pid"] not in (None, record["worker_pid"]) and record["writer_peak_rss_mb"] > 0


def test_a_batch_with_nothing_to_do_starts_no_child(tmp_path, vk_capture):
    folder = capture_folder(tmp_path, vk_capture, "a.rdc")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "rdc_extract", "batch", str(folder), str(out), "--job", STAND_IN]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    rerun = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert rerun.wait(timeout=120) == 0
    assert not list((out / "logs").glob(f"worker-*-{rerun.pid}.log"))   # a child's stderr log names its batch
