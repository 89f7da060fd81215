"""A capture gives the same frame whichever command and worker made it: `extract`, or `batch` at `--jobs 1`
(a writer process beside the replay process) and `--jobs 2` (each replay process writing its own frames),
a worker's later capture included. Only `meta.json`'s `timing_s` may differ."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.corpus import CORPUS, decompressed

SAMPLE = sorted((Path(__file__).resolve().parents[1] / "samples" / "captures").glob("*.rdc"))[0]


def _run(*args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "rdc_extract", *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def _frames(out: Path) -> dict[tuple[str, str], object]:
    """Every file of every frame: its bytes, or for meta.json its document without the timings."""
    found: dict[tuple[str, str], object] = {}
    for path in sorted((out / "frames").glob("*/*")):
        if path.name == "meta.json":
            meta = json.loads(path.read_text())
            meta.pop("timing_s")
            found[(path.parent.name, path.name)] = meta
        else:
            found[(path.parent.name, path.name)] = path.read_bytes()
    return found


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="--jobs 1 writes in a process of its own only with a spare core")
def test_extract_and_batch_at_either_jobs_make_the_same_frames(tmp_path):
    """warzone2100 draws into the window's default framebuffer, which exists only in replay: RenderDoc numbers it
    afresh in every replay of a process, so a batch worker's second capture once recorded other ids than extract."""
    captures = tmp_path / "captures"
    captures.mkdir()
    shutil.copyfile(SAMPLE, captures / SAMPLE.name)
    shutil.copyfile(SAMPLE.with_suffix(".json"), captures / SAMPLE.with_suffix(".json").name)
    decompressed("warzone2100", captures)   # sorts after the sample: a --jobs 1 worker's second capture
    shutil.copyfile(CORPUS / "warzone2100.json", captures / "warzone2100.json")
    for capture in sorted(captures.glob("*.rdc")):
        _run("extract", str(capture), str(tmp_path / "extract"))
    for jobs in ("1", "2"):
        _run("batch", str(captures), str(tmp_path / f"jobs{jobs}"), "--jobs", jobs)
    made = _frames(tmp_path / "extract")
    assert {frame for frame, _ in made} == {SAMPLE.stem, "warzone2100"}
    for jobs in ("1", "2"):
        other = _frames(tmp_path / f"jobs{jobs}")
        assert other.keys() == made.keys(), jobs
        assert [key for key in made if other[key] != made[key]] == [], jobs
