"""Sidecars are bounded and validated before anything is built from them (issue 12, defect 8).

A sidecar is copied into meta.json, the batch manifest and one index.csv column
per key: each case below used to be copied whole (a 150 MB sidecar, 20k
`extra` keys) or ended in a long traceback (bad UTF-8, NaN, deep nesting, huge
integers). Now each is one line, `<path>: invalid sidecar: <detail>`.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest

from rdc_extract.capture.sidecar import (
    MAX_BYTES,
    PlayerPose,
    Sidecar,
    file_sha256,
    read_sidecar,
    sidecar_from_json,
    write_sidecar,
)
from rdc_extract.errors import SidecarError

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "captures"


def _valid() -> dict:
    return Sidecar(capture="g_20260101T000000_r01_f000040.rdc", game="g", game_build="1.0", frame_number=40,
                   clock_hour=23, clock_minute=5, weather="fog",
                   player_pose=PlayerPose(x=1.5, y=-2.0, heading_deg=90.0, z=0.0), seed=3, mod_name="m",
                   mod_version="1", renderdoc_version="1.24", run_id="20260101T000000", launch=1,
                   capture_index=0, extra={"in_vehicle": True}).to_json()


def _text_with(**changes: str) -> str:
    """A valid sidecar's JSON text with the values of some keys replaced by raw JSON text."""
    data = _valid()
    for key in changes:
        data[key] = f"@{key}@"
    text = json.dumps(data, indent=2)
    for key, raw in changes.items():
        text = text.replace(f'"@{key}@"', raw)
    return text


def _nested(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


CASES = {
    "invalid UTF-8": (_text_with(weather='"r\\u00e4in"').encode().replace(b"r\\u00e4in", b"r\xe4in"),
                      "not UTF-8 (byte 0xe4"),
    "NaN": (_text_with(extra='{"speed": NaN}'), "NaN, a non-finite number"),
    "Infinity": (_text_with(extra='{"speed": -Infinity}'), "-Infinity, a non-finite number"),
    "overflowing float": (_text_with(extra='{"speed": 1e400}'), "non-finite as a double"),
    "huge integer": (_text_with(seed="1" + "0" * 5000), "outside ±2^53"),
    "integer past 2^53": (_text_with(seed=str(2**53 + 1)), "outside ±2^53"),
    "deep nesting": (_text_with(extra="[" * 30_000 + "]" * 30_000), "nests deeper than 6 levels"),
    "nesting past the limit": (_text_with(extra=_nested(6)), "extra.a.a.a.a.a nests deeper than 6 levels"),
    "too many extra keys": (_text_with(extra=json.dumps({f"k{i}": i for i in range(65)})),
                            "extra has 65 keys, more than 64"),
    "too many keys in all": (_text_with(extra=json.dumps({f"g{j}": {f"k{i}": i for i in range(60)}
                                                          for j in range(4)})), "more than 256 keys in all"),
    "key that is not a name": (_text_with(extra='{"=cmd|calc": 1}'), "key '=cmd|calc' in extra is not a name"),
    "dotted key": (_text_with(plan_step='{"a.b": 1}'), "key 'a.b' in plan_step is not a name"),
    "long string": (_text_with(weather=json.dumps("x" * 1025)), "weather is a string of 1025 characters"),
    "long list": (_text_with(extra=json.dumps({"v": list(range(65))})), "extra.v has 65 items"),
    "lone surrogate": (_text_with(game='"\\ud800"'), "game is not valid Unicode"),
    "bad capture_sha256": (_text_with(capture_sha256='"ABC"'), "capture_sha256 'ABC' is not 64 lower-case hex"),
}


@pytest.mark.parametrize("content, message", CASES.values(), ids=CASES.keys())
def test_a_bad_sidecar_is_one_line_naming_the_file(tmp_path, content, message):
    path = tmp_path / "cap.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(SidecarError) as raised:
        read_sidecar(path)
    text = str(raised.value)
    assert text.startswith(f"{path}: invalid sidecar: ") and "\n" not in text and len(text) < 400
    assert message in text


def test_an_oversized_sidecar_is_refused_by_its_size_without_reading_it(tmp_path):
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:
        handle.write(json.dumps(_valid()).encode())
        handle.truncate(150 * 1024 * 1024)  # sparse: 150 MB on paper
    with pytest.raises(SidecarError, match=rf"huge.json: invalid sidecar: is 157286400 bytes, larger than the limit of {MAX_BYTES}"):
        read_sidecar(path)


def test_a_sidecar_that_cannot_be_read_is_one_line(tmp_path):
    (tmp_path / "dir.json").mkdir()
    with pytest.raises(SidecarError, match="dir.json: invalid sidecar: is a directory, not a regular file"):
        read_sidecar(tmp_path / "dir.json")


def test_the_writer_keeps_to_the_limits_the_reader_checks(tmp_path):
    with pytest.raises(SidecarError, match="extra.v is a non-finite number"):
        write_sidecar(tmp_path / "a.json", dataclasses.replace(sidecar_from_json(_valid()), extra={"v": float("nan")}))
    with pytest.raises(SidecarError, match="more than 1024"):
        sidecar_from_json({**_valid(), "game_build": "x" * 2000})
    assert not list(tmp_path.iterdir())


def test_limits_leave_room_for_real_sidecars():
    data = _valid()
    data["extra"] = {f"k{i}": "x" * 100 for i in range(64)}
    data["capture_sha256"] = "0" * 64
    assert sidecar_from_json(data).extra == data["extra"]
    for sidecar in SAMPLES.glob("*.json"):
        assert os.path.getsize(sidecar) < MAX_BYTES // 32
        read_sidecar(sidecar)


def test_shipped_sidecars_record_their_captures_sha256():
    sidecars = sorted(SAMPLES.glob("*.json"))
    assert sidecars
    for path in sidecars:
        assert read_sidecar(path).capture_sha256 == file_sha256(path.with_suffix(".rdc")), path.name
