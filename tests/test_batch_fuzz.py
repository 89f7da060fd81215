"""A hostile input folder in one batch: bad names, bad sidecars, links, FIFOs and bad captures next to good ones.

The whole command runs as a user runs it (a fresh `rdc-extract` process, with a
time limit so a hang fails the test). Afterwards the good captures are done,
every bad entry is reported (a failed record, or a "not walked" line), nothing
was written outside OUT, and the exit code says the folder is incomplete.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rdc_extract.batch.manifest import MANIFEST_NAME, read_records
from tests.broken_captures import random_bytes, truncated

SAMPLE = next(iter(sorted((Path(__file__).resolve().parents[1] / "samples" / "captures").glob("*.rdc"))), None)

GOOD = ["good.rdc", "with space.rdc", "=HYPERLINK(1).rdc", "nested/deeper/good.rdc"]
BAD_CAPTURES = {
    "truncated.rdc": "capture is truncated or corrupt",
    "random.rdc": "not a RenderDoc capture",
    "empty.rdc": "not a RenderDoc capture",
    "pipe.rdc": "not a regular file",
    "dir.rdc": "not a regular file",
    "gone.rdc": "not a regular file",
    "nan_sidecar.rdc": "invalid sidecar",
    "deep_sidecar.rdc": "invalid sidecar",
    "latin1_sidecar.rdc": "invalid sidecar",
    "huge_sidecar.rdc": "invalid sidecar",
}
UNDECODABLE = b"bad\xff.rdc"


def _snapshot(root: Path, skip: Path) -> dict[str, tuple[int, int]]:
    """Every entry under `root` except `skip`: relative path → (size, mtime_ns), links not followed."""
    seen = {}
    for folder, dirs, files in os.walk(root, followlinks=False):
        if Path(folder) == skip:
            dirs[:] = []
            continue
        for name in dirs + files:
            path = os.path.join(folder, name)
            if Path(path) == skip:
                continue
            info = os.lstat(path)
            seen[os.path.relpath(path, root)] = (info.st_size, info.st_mtime_ns)
    return seen


def _hostile_folder(root: Path, capture: Path) -> Path:
    folder = root / "captures"
    for name in GOOD:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(capture, folder / name)
    truncated(capture, folder / "truncated.rdc")
    random_bytes(folder / "random.rdc")
    (folder / "empty.rdc").write_bytes(b"")
    os.mkfifo(folder / "pipe.rdc")
    (folder / "dir.rdc").mkdir()
    (folder / "gone.rdc").symlink_to(root / "nowhere.rdc")
    (folder / "loop").symlink_to(".")
    outside = root / "outside"
    outside.mkdir()
    shutil.copyfile(capture, outside / "linked_in.rdc")
    (folder / "outside_link").symlink_to(outside)
    for name in ("nan_sidecar", "deep_sidecar", "latin1_sidecar", "huge_sidecar"):
        shutil.copyfile(capture, folder / f"{name}.rdc")
    (folder / "nan_sidecar.json").write_text('{"schema": "rdc-extract/capture-sidecar", "frame_number": NaN}')
    (folder / "deep_sidecar.json").write_text("[" * 100_000 + "]" * 100_000)
    (folder / "latin1_sidecar.json").write_bytes(b'{"weather": "\xe9t\xe9"}')
    with (folder / "huge_sidecar.json").open("wb") as handle:
        handle.truncate(150 << 20)  # sparse: 150 MB that cost no disk
    shutil.copyfile(capture, os.path.join(os.fsencode(folder), UNDECODABLE))
    return folder


@pytest.mark.skipif(SAMPLE is None, reason="no sample-game captures: run samples/make_captures.sh")
def test_a_hostile_folder_costs_only_its_bad_entries_and_nothing_leaves_out(tmp_path):
    folder = _hostile_folder(tmp_path, SAMPLE)
    out = tmp_path / "out"
    before = _snapshot(tmp_path, out)

    run = subprocess.run([sys.executable, "-m", "rdc_extract", "batch", str(folder), str(out), "--jobs", "2",
                          "--timeout", "120"], capture_output=True, text=True, errors="replace", timeout=600)

    assert run.returncode == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert _snapshot(tmp_path, out) == before, "the batch wrote or changed something outside OUT"

    records, _ = read_records(out / MANIFEST_NAME)
    for name in GOOD:
        assert records[name]["status"] == "done", records[name]
        assert (out / "frames" / records[name]["frame_id"] / "meta.json").is_file()
    for name, cause in BAD_CAPTURES.items():
        assert records[name]["status"] == "failed" and records[name]["cause"] == cause, records[name]
    undecodable = os.fsdecode(UNDECODABLE)
    assert records[undecodable]["status"] == "failed"
    assert len(records) == len(GOOD) + len(BAD_CAPTURES) + 1, "a capture was extracted twice or through a link"

    with (out / "failures.csv").open(encoding="utf-8", newline="") as handle:
        failed = {row["capture"] for row in csv.DictReader(handle)}
    assert failed == set(BAD_CAPTURES) | {"bad\\xff.rdc"}
    with (out / "index.csv").open(encoding="utf-8", newline="") as handle:
        indexed = {row["capture"] for row in csv.DictReader(handle)}
    assert indexed == set(GOOD) - {"=HYPERLINK(1).rdc"} | {"'=HYPERLINK(1).rdc"}
    assert "not walked: loop" in run.stdout and "not walked: outside_link" in run.stdout
    frames = {path.name for path in (out / "frames").iterdir()}
    assert all(not name.startswith(".") and "/" not in name for name in frames)
