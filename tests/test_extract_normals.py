"""The normals encoding on real captures: checked against depth, detected when the profile names none.

The sample game stores world-space normals as n * 0.5 + 0.5 in an RGB10A2
target (`unorm_xyz`, `world` in pipelines/city_game.toml). Copies of that
profile with the encoding removed, wrong, or without a camera block show what
extraction does in each case (docs/decoding.md, "Choosing an encoding").
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tifffile
from typer.testing import CliRunner

from rdc_extract.cli import app
from rdc_extract.extract.pipeline import extract_capture

REPO = Path(__file__).resolve().parents[1]
SAMPLES = sorted((REPO / "samples" / "captures").glob("*.rdc"))
PROFILE = REPO / "pipelines" / "city_game.toml"
NORMALS_LINE = 'normals = { slot = 1, encoding = "unorm_xyz", space = "world" }'


def profile_copy(tmp_path: Path, normals_line: str, *, camera: bool = True) -> Path:
    text = PROFILE.read_text()
    assert NORMALS_LINE in text
    text = text.replace(NORMALS_LINE, normals_line)
    text = text.replace('classes = "classes/', f'classes = "{REPO}/pipelines/classes/')
    if not camera:  # without a [camera] block the camera would be found by search: name one that is not bound
        start = text.index("[camera]")
        text = text[:start] + '[camera]\nblock = "NotBoundAnywhere"\n\n' + text[text.index("[stencil]"):]
    path = tmp_path / "city_game_copy.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("capture", SAMPLES, ids=[p.stem.split("_")[-2] for p in SAMPLES])
def test_without_an_encoding_in_the_profile_unorm_xyz_in_world_space_is_detected(tmp_path, capture):
    profile = profile_copy(tmp_path, "normals = { slot = 1 }")
    meta = extract_capture(capture, tmp_path / "frame", profile=str(profile), outputs=["normals"])
    record = meta["normals"]
    assert (record["encoding"], record["space"], record["source"]) == ("unorm_xyz", "world", "detected")
    assert record["verified"] and record["written"] and meta["warnings"] == []
    assert record["agreement"]["median_angle_deg"] < 1.0 and record["agreement"]["within_30deg"] > 0.95


def test_detected_normals_are_the_ones_the_profile_gives(tmp_path):
    stated = extract_capture(SAMPLES[0], tmp_path / "stated", outputs=["normals"])
    assert stated["normals"]["source"] == "profile" and stated["normals"]["verified"]
    profile = profile_copy(tmp_path, "normals = { slot = 1 }")
    extract_capture(SAMPLES[0], tmp_path / "detected", profile=str(profile), outputs=["normals"])
    for name in ("normals.tiff", "normals.png"):
        assert (tmp_path / "stated" / name).read_bytes() == (tmp_path / "detected" / name).read_bytes()


def test_a_profile_encoding_depth_contradicts_is_not_written_and_the_summary_says_why(tmp_path):
    profile = profile_copy(tmp_path, 'normals = { slot = 1, encoding = "octahedral_unorm", space = "world" }')
    result = CliRunner().invoke(app, ["extract", str(SAMPLES[0]), str(tmp_path / "out"), "--profile", str(profile),
                                      "--outputs", "normals,depth"])
    assert result.exit_code == 0, result.output
    frame_dir = tmp_path / "out" / "frames" / SAMPLES[0].stem
    assert sorted(p.name for p in frame_dir.iterdir()) == ["depth.tiff", "depth_kitti.png", "meta.json"]
    assert "octahedral_unorm/world (profile; depth disagrees" in " ".join(result.stdout.split())
    lines = result.stderr.splitlines()
    assert any(line.startswith("warning: normals: the profile's octahedral_unorm/world disagrees with depth")
               for line in lines)
    assert any(line.startswith("warning: normals: unorm_xyz/world agrees with depth") for line in lines)
    assert "warning: normals: not written: depth does not confirm the decode" in lines


def test_the_meta_records_a_contradicted_encoding_and_the_one_that_agrees(tmp_path):
    profile = profile_copy(tmp_path, 'normals = { slot = 1, encoding = "unorm_xyz", space = "view" }')
    meta = extract_capture(SAMPLES[0], tmp_path / "frame", profile=str(profile), outputs=["normals"])
    record = meta["normals"]
    assert (record["encoding"], record["space"], record["source"]) == ("unorm_xyz", "view", "profile")
    assert not record["verified"] and not record["written"] and "normals" not in meta["outputs"]
    assert (record["better"]["encoding"], record["better"]["space"]) == ("unorm_xyz", "world")
    assert any("not written" in line for line in meta["warnings"])


def test_without_a_camera_the_profile_encoding_is_used_unchecked_and_none_is_not_guessed(tmp_path):
    stated = profile_copy(tmp_path, 'normals = { slot = 1, encoding = "unorm_xyz", space = "view" }', camera=False)
    meta = extract_capture(SAMPLES[0], tmp_path / "stated", profile=str(stated), outputs=["normals"])
    assert meta["normals"]["written"] and not meta["normals"]["verified"] and meta["normals"]["agreement"] is None
    assert meta["warnings"] == [
        "profile 'city_game' [camera] block = 'NotBoundAnywhere': no constant block of that name is bound at event 617 "
        "(bound: ObjectConstants, CameraConstants)",
        "normals: not checked against depth: no camera block"]
    normals = tifffile.imread(tmp_path / "stated" / "normals.tiff")
    assert np.isfinite(normals).any()
    unnamed = profile_copy(tmp_path, "normals = { slot = 1 }", camera=False)
    meta = extract_capture(SAMPLES[0], tmp_path / "unnamed", profile=str(unnamed), outputs=["normals"])
    assert not meta["normals"]["written"] and meta["normals"]["source"] is None
    assert not (tmp_path / "unnamed" / "normals.tiff").exists()
