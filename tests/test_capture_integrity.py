"""A capture whose bytes changed since publication fails; a bad sidecar fails only its capture (issue 12, 8 and 13).

RenderDoc files carry no checksum: a single flipped bit in a sample-game
capture (the one at FLIPPED_OFFSET) still replays to a "done" frame with other
pixels. The sidecar records the capture's SHA-256 when the capture is
published, and the extraction checks it. Real replay on the shipped samples.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rdc_extract.cli import app

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "captures"
SAMPLE = SAMPLES / "city_game_20261125T123148_r01_f000060.rdc"
FLIPPED_OFFSET = 1_000_000  # inside the compressed frame data; RenderDoc replays it without complaint
MISMATCH = "capture does not match its sidecar's sha256"

pytestmark = pytest.mark.skipif(not SAMPLE.is_file(), reason="no sample-game captures: run samples/make_captures.sh")


def _copy(folder: Path, stem: str, *, sidecar: dict | None = None, flip: bool = False) -> Path:
    """A copy of the sample capture as `<stem>.rdc`, with its sidecar (or `sidecar`), one bit flipped if asked."""
    capture = folder / f"{stem}.rdc"
    shutil.copyfile(SAMPLE, capture)
    if flip:
        with capture.open("r+b") as handle:
            handle.seek(FLIPPED_OFFSET)
            byte = handle.read(1)[0]
            handle.seek(FLIPPED_OFFSET)
            handle.write(bytes([byte ^ 0x01]))
    text = json.dumps(sidecar) if sidecar is not None else SAMPLE.with_suffix(".json").read_text()
    capture.with_suffix(".json").write_text(text)
    return capture


def test_extract_of_a_capture_changed_after_publication_fails_with_that_cause(tmp_path):
    capture = _copy(tmp_path, "flipped", flip=True)
    result = CliRunner().invoke(app, ["extract", str(capture), str(tmp_path / "out"), "--outputs", "rgb"])
    assert result.exit_code == 1, result.output
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {capture}: {MISMATCH}: ")
    assert not (tmp_path / "out" / "frames" / "flipped").exists()


def test_batch_fails_changed_captures_and_bad_sidecars_one_by_one_and_records_verification(tmp_path):
    folder = tmp_path / "captures"
    folder.mkdir()
    recorded = json.loads(SAMPLE.with_suffix(".json").read_text())
    _copy(folder, "intact", sidecar={**recorded, "extra": {"note": "=1+1"}})
    _copy(folder, "flipped", flip=True)
    _copy(folder, "bad_sidecar", sidecar={**recorded, "extra": {f"k{i}": i for i in range(65)}})
    (_copy(folder, "no_sidecar")).with_suffix(".json").unlink()
    out = tmp_path / "out"

    result = CliRunner().invoke(app, ["batch", str(folder), str(out), "--jobs", "2", "--outputs", "rgb"])

    assert result.exit_code == 1, result.output
    records = {json.loads(line)["capture"]: json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()}
    assert {capture: (r["status"], r["cause"]) for capture, r in records.items()} == {
        "intact.rdc": ("done", None),
        "no_sidecar.rdc": ("done", None),
        "flipped.rdc": ("failed", MISMATCH),
        "bad_sidecar.rdc": ("failed", "invalid sidecar"),
    }
    assert records["bad_sidecar.rdc"]["error"] == (
        f"{folder / 'bad_sidecar.json'}: invalid sidecar: extra has 65 keys, more than 64")
    assert {p.name for p in (out / "frames").iterdir()} == {"intact", "no_sidecar"}
    verified = {name: json.loads((out / "frames" / name / "meta.json").read_text())["capture"]["verified"]
                for name in ("intact", "no_sidecar")}
    assert verified == {"intact": True, "no_sidecar": False}
    with (out / "index.csv").open(newline="") as handle:
        rows = {row["frame_id"]: row for row in csv.DictReader(handle)}
    assert rows["intact"]["scenario.extra.note"] == "'=1+1"
    assert rows["intact"]["scenario.capture_sha256"] == recorded["capture_sha256"]
