"""`rdc-extract batch samples/captures out/` with the real extraction, mixed with bad captures.

Needs the sample game's captures (samples/make_captures.sh writes them to
samples/captures/); skipped when they are absent.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rdc_extract.batch.child import FAULT_ENV
from rdc_extract.batch.runner import BatchOptions, run_batch
from rdc_extract.cli import app
from tests.broken_captures import as_d3d11, random_bytes, truncated

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "captures"
SAMPLE_CAPTURES = sorted(SAMPLES.glob("*.rdc"))[:2]

pytestmark = pytest.mark.skipif(
    len(SAMPLE_CAPTURES) < 2, reason="no sample-game captures: run samples/make_captures.sh"
)


def _copy_with_sidecar(capture: Path, target: Path) -> None:
    shutil.copyfile(capture, target)
    if capture.with_suffix(".json").exists():
        shutil.copyfile(capture.with_suffix(".json"), target.with_suffix(".json"))


def test_batch_extracts_sample_captures_and_reports_each_bad_one(tmp_path, monkeypatch):
    folder = tmp_path / "captures"
    (folder / "run1").mkdir(parents=True)
    good = [folder / "run1" / SAMPLE_CAPTURES[0].name, folder / SAMPLE_CAPTURES[1].name]
    for source, target in zip(SAMPLE_CAPTURES, good):
        _copy_with_sidecar(source, target)
    truncated(SAMPLE_CAPTURES[0], folder / "truncated.rdc")
    random_bytes(folder / "random.rdc")
    (folder / "empty.rdc").write_bytes(b"")
    as_d3d11(SAMPLE_CAPTURES[0], folder / "d3d11.rdc")
    shutil.copyfile(SAMPLE_CAPTURES[0], folder / "crash_me.rdc")
    monkeypatch.setenv(FAULT_ENV, "crash:crash_me")
    out = tmp_path / "out"
    args = ["batch", str(folder), str(out), "--jobs", "2", "--timeout", "300"]

    result = CliRunner().invoke(app, args)

    assert result.exit_code == 1, result.output
    records = {json.loads(line)["capture"]: json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()}
    causes = {capture: record["cause"] for capture, record in records.items()}
    # A half capture may pass OpenFile and fail once replay reads the missing data.
    assert causes.pop("truncated.rdc") == "capture is truncated or corrupt"
    assert "corrupt" in records["truncated.rdc"]["error"]
    good_ids = {f"run1__{good[0].stem}", good[1].stem}
    assert causes == {
        f"run1/{good[0].name}": None, good[1].name: None,
        "random.rdc": "not a RenderDoc capture",
        "empty.rdc": "not a RenderDoc capture",
        "d3d11.rdc": "capture's graphics API cannot be replayed on this machine",
        "crash_me.rdc": "crashed (SIGSEGV)",
    }
    assert {p.name for p in (out / "frames").iterdir()} == good_ids
    with (out / "index.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["frame_id"] for row in rows} == good_ids
    for row in rows:
        assert row["profile"] == "city_game"
        for column in ("outputs.rgb", "outputs.depth", "outputs.labels_ids"):
            assert (out / row[column]).is_file(), column
        assert row["scenario.game"] == "city_game" and row["scenario.weather"]
        meta = json.loads((out / row["frame_dir"] / "meta.json").read_text())
        assert meta["frame_id"] == row["frame_id"]

    with (out / "failures.csv").open(newline="") as handle:
        failures = {row["capture"]: row for row in csv.DictReader(handle)}
    assert set(failures) == {"truncated.rdc", "random.rdc", "empty.rdc", "d3d11.rdc", "crash_me.rdc"}
    assert failures["crash_me.rdc"]["cause"] == "crashed (SIGSEGV)"
    assert "crash_me.rdc: crashed (SIGSEGV)" in result.output and str(out / "failures.csv") in result.output

    rerun = run_batch(BatchOptions(folder, out, jobs=2, timeout_s=300))
    assert (rerun.done, rerun.failed, rerun.skipped_done, rerun.skipped_failed) == (0, 0, 2, 5)  # nothing handed out
    assert rerun.exit_code == 1
    assert len((out / "manifest.jsonl").read_text().splitlines()) == len(records)


def test_batch_extracts_a_capture_once_despite_a_loop_and_reports_every_odd_entry(tmp_path):
    folder = tmp_path / "captures"
    folder.mkdir()
    good = folder / SAMPLE_CAPTURES[0].name
    _copy_with_sidecar(SAMPLE_CAPTURES[0], good)
    (folder / "loop").symlink_to(".")
    (tmp_path / "sibling").mkdir()
    shutil.copyfile(SAMPLE_CAPTURES[1], tmp_path / "sibling" / "s.rdc")
    (folder / "sibling").symlink_to(tmp_path / "sibling")
    (folder / "dir.rdc").mkdir()
    (folder / "gone.rdc").symlink_to("missing.rdc")
    os.mkfifo(folder / "pipe.rdc")
    out = tmp_path / "out"

    result = CliRunner().invoke(app, ["batch", str(folder), str(out), "--jobs", "1", "--timeout", "300"])

    assert result.exit_code == 1, result.output
    lines = (out / "manifest.jsonl").read_text().splitlines()
    records = {json.loads(line)["capture"]: json.loads(line) for line in lines}
    assert len(lines) == len(records) == 4
    assert records[good.name]["status"] == "done"
    assert [p.name for p in (out / "frames").iterdir()] == [good.stem]   # once, not once per loop level
    problems = {capture: (record["cause"], record["error"]) for capture, record in records.items() if capture != good.name}
    assert problems == {
        "dir.rdc": ("not a regular file", f"{folder / 'dir.rdc'}: not a regular file: a directory"),
        "gone.rdc": ("not a regular file",
                     f"{folder / 'gone.rdc'}: not a regular file: a dangling symbolic link (to missing.rdc)"),
        "pipe.rdc": ("not a regular file", f"{folder / 'pipe.rdc'}: not a regular file: a FIFO"),
    }
    with (out / "failures.csv").open(newline="") as handle:
        assert sorted(row["capture"] for row in csv.DictReader(handle)) == sorted(problems)
    output = "".join(result.output.split())  # the console folds long lines anywhere, even inside a path
    for _, error in problems.values():
        assert "".join(error.split()) in output
    assert "notwalked:loop:symboliclinktoadirectory,notfollowed" in output
    assert "notwalked:sibling:symboliclinktoadirectory,notfollowed" in output

    following = run_batch(BatchOptions(folder, tmp_path / "out_following", jobs=1, follow_links=True,
                                       job="rdc_extract.batch.standin:touch_job"))
    assert (following.done, following.failed, following.not_walked) == (2, 3, 1)
    assert (tmp_path / "out_following" / "frames" / "sibling__s" / "meta.json").is_file()
    assert following.first_not_walked[0].relative == "loop"
    assert following.first_not_walked[0].reason.startswith("loop: leads back to the input folder")


def test_a_rerun_redoes_the_frames_of_a_profile_edited_since(tmp_path, monkeypatch):
    pipelines = tmp_path / "pipelines"
    shutil.copytree(Path(__file__).resolve().parents[1] / "pipelines", pipelines)
    monkeypatch.setenv("RDC_EXTRACT_PIPELINES", str(pipelines))   # auto-detection, from the copy
    folder = tmp_path / "captures"
    folder.mkdir()
    _copy_with_sidecar(SAMPLE_CAPTURES[0], folder / SAMPLE_CAPTURES[0].name)
    out = tmp_path / "out"
    frame_meta = out / "frames" / SAMPLE_CAPTURES[0].stem / "meta.json"

    first = run_batch(BatchOptions(folder, out, jobs=1, timeout_s=300))
    made = json.loads(frame_meta.read_text())["profile"]["sha256"]
    unchanged = run_batch(BatchOptions(folder, out, jobs=1, timeout_s=300))
    classes = pipelines / "classes" / "city_game.toml"
    classes.write_text(classes.read_text().replace('name = "road"', 'name = "street"', 1))
    edited = run_batch(BatchOptions(folder, out, jobs=1, timeout_s=300))

    assert (first.done, unchanged.done, unchanged.skipped_done, edited.done) == (1, 0, 1, 1)
    assert edited.redone == {"profile-changed": 1}
    record = json.loads((out / "manifest.jsonl").read_text().splitlines()[-1])
    remade = json.loads(frame_meta.read_text())["profile"]["sha256"]
    assert record["reason"] == "profile-changed" and record["profile_sha256"] == remade != made
