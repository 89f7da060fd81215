"""`extract` on the sample game's captures, checked against the game's own ground truth.

The game renders true z-distance and the stencil class of every pixel in a
separate pass that is not part of the capture (samples/city_game, docs/sample_game.md),
written beside each capture as `<name>.gt.npz` by the capture mod.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import tifffile
from typer.testing import CliRunner

from rdc_extract.cli import app
from tests.broken_captures import truncated
from rdc_extract.dataset.files import read_png
from rdc_extract.decode.depth import intrinsics_from_projection
from rdc_extract.extract.pipeline import extract_capture
from rdc_extract.labels.classmap import load_class_map

REPO = Path(__file__).resolve().parents[1]
SAMPLES = sorted((REPO / "samples" / "captures").glob("*.rdc"))
CLASS_MAP = REPO / "pipelines" / "classes" / "city_game.toml"


def _ground_truth(capture: Path) -> dict[str, np.ndarray]:
    with np.load(capture.with_suffix(".gt.npz")) as data:
        return dict(data)


@pytest.fixture(scope="module", params=SAMPLES, ids=[p.stem[-7:] for p in SAMPLES])
def extracted(request, tmp_path_factory) -> tuple[Path, Path, dict]:
    capture = request.param
    frame_dir = tmp_path_factory.mktemp("frame") / capture.stem
    meta = extract_capture(capture, frame_dir)
    return capture, frame_dir, meta


def test_samples_exist():
    assert len(SAMPLES) >= 6


def test_metric_depth_matches_the_games_ground_truth_within_one_percent(extracted):
    capture, frame_dir, _ = extracted
    truth = _ground_truth(capture)["depth_m"]
    depth = tifffile.imread(frame_dir / "depth.tiff")
    assert depth.dtype == np.float32 and depth.shape == truth.shape
    assert np.array_equal(np.isfinite(depth), np.isfinite(truth)), "sky / no-geometry pixels differ"
    finite = np.isfinite(truth)
    relative = np.abs(depth[finite] - truth[finite]) / truth[finite]
    assert relative.max() < 0.01, f"max relative depth error {relative.max():.4%}"


def test_stencil_and_labels_match_the_classes_the_game_drew(extracted):
    capture, frame_dir, meta = extracted
    truth = _ground_truth(capture)["stencil"]
    stencil = read_png(frame_dir / "stencil.png")
    assert np.array_equal(stencil, truth)
    class_map = load_class_map(CLASS_MAP)
    assert np.array_equal(read_png(frame_dir / "labels.png"), class_map.ids[truth])
    assert meta["labels"]["mapping"] == "city_game" and meta["labels"]["unmapped"] == {}


def test_meta_records_camera_profile_events_and_scenario(extracted):
    capture, frame_dir, meta = extracted
    assert json.loads((frame_dir / "meta.json").read_text()) == meta
    truth = _ground_truth(capture)
    assert np.allclose(meta["camera"]["proj"], truth["proj"], rtol=1e-5, atol=1e-6)
    assert np.allclose(meta["camera"]["view"], truth["view"], rtol=1e-5, atol=1e-4)
    height, width = truth["depth_m"].shape
    assert np.allclose(meta["camera"]["K"], intrinsics_from_projection(truth["proj"], width, height), rtol=1e-5)
    assert meta["camera"]["near_m"] == pytest.approx(float(truth["near"]))
    assert meta["profile"]["name"] == "city_game"
    events = meta["events"]
    assert events["gbuffer_first"] < events["gbuffer_last"] < events["final_image"] < events["first_hud"]
    assert meta["scenario"]["capture"] == capture.name
    assert meta["capture"]["verified"] is True  # the shipped sidecars record their captures' sha256
    assert meta["capture"]["sha256"] and meta["image"] == {"width": width, "height": height}


def test_normals_are_unit_vectors_facing_the_camera(extracted):
    _, frame_dir, _ = extracted
    normals = tifffile.imread(frame_dir / "normals.tiff")
    depth = tifffile.imread(frame_dir / "depth.tiff")
    valid = np.isfinite(depth)
    assert np.array_equal(np.all(np.isfinite(normals), axis=-1), valid)
    assert np.allclose(np.linalg.norm(normals[valid], axis=-1), 1.0, atol=2e-3)
    # Visible surfaces face the camera: the OpenCV z component (forward) is mostly negative.
    assert np.mean(normals[valid][:, 2] <= 0.05) > 0.95
    encoded = read_png(frame_dir / "normals.png")
    assert encoded.dtype == np.uint16 and np.all(encoded[~valid] == 0)


def test_rgb_is_the_final_image_without_the_hud(extracted):
    _, frame_dir, meta = extracted
    rgb = read_png(frame_dir / "rgb.png")
    assert rgb.shape == (meta["image"]["height"], meta["image"]["width"], 3) and rgb.dtype == np.uint8
    assert rgb.std() > 10


def test_cli_extract_writes_only_the_requested_outputs(tmp_path):
    result = CliRunner().invoke(app, ["extract", str(SAMPLES[0]), str(tmp_path), "--outputs", "rgb,depth"])
    assert result.exit_code == 0, result.stderr
    frame_dir = tmp_path / "frames" / SAMPLES[0].stem
    assert sorted(p.name for p in frame_dir.iterdir()) == ["depth.tiff", "depth_kitti.png", "meta.json", "rgb.png"]


def test_cli_extract_that_fails_leaves_the_earlier_frame_as_it_was(tmp_path):
    assert CliRunner().invoke(app, ["extract", str(SAMPLES[0]), str(tmp_path / "out")]).exit_code == 0
    frame_dir = tmp_path / "out" / "frames" / SAMPLES[0].stem
    before = {p.name: p.read_bytes() for p in frame_dir.iterdir()}
    broken = tmp_path / "broken" / SAMPLES[0].name
    broken.parent.mkdir()
    truncated(SAMPLES[0], broken)
    result = CliRunner().invoke(app, ["extract", str(broken), str(tmp_path / "out")])
    assert result.exit_code == 1 and "truncated or corrupt" in result.stderr
    assert {p.name: p.read_bytes() for p in frame_dir.iterdir()} == before
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [".batch.lock", "frames", "index.csv"]


def test_cli_extract_rejects_unknown_outputs_and_bad_captures(tmp_path):
    result = CliRunner().invoke(app, ["extract", str(SAMPLES[0]), str(tmp_path), "--outputs", "rgb,bogus"])
    assert result.exit_code == 1 and "unknown output 'bogus'" in result.stderr
    empty = tmp_path / "empty.rdc"
    empty.touch()
    result = CliRunner().invoke(app, ["extract", str(empty), str(tmp_path)])
    assert result.exit_code == 1 and result.stderr.strip() == f"error: {empty}: not a RenderDoc capture: file is empty"


def test_cli_extract_of_captures_named_like_dot_folders_keeps_every_earlier_frame(tmp_path):
    out = tmp_path / "out"
    assert CliRunner().invoke(app, ["extract", str(SAMPLES[0]), str(out), "--outputs", "rgb"]).exit_code == 0
    earlier = {p.relative_to(out): p.read_bytes() for p in (out / "frames").rglob("*") if p.is_file()}
    made = {}
    for name, frame in [("..rdc", "%2E"), ("...rdc", "%2E."), (".rdc", "%2Erdc")]:
        shutil.copyfile(SAMPLES[0], out / name)
        result = CliRunner().invoke(app, ["extract", str(out / name), str(out), "--outputs", "rgb"])
        assert result.exit_code == 0, result.output
        made[frame] = json.loads((out / "frames" / frame / "meta.json").read_text())["frame_id"]
    assert made == {frame: frame for frame in made}
    assert {p.relative_to(out): p.read_bytes() for p in (out / "frames").rglob("*") if p.is_file()
            if p.parent.name not in made} == earlier
    assert {p.name for p in out.iterdir()} == {".batch.lock", "..rdc", "...rdc", ".rdc", "frames", "index.csv"}
    with (out / "index.csv").open(newline="") as handle:   # every extract added its frame's row
        assert [row["frame_id"] for row in csv.DictReader(handle)] == sorted([SAMPLES[0].stem, *made])


def test_cli_extract_of_a_capture_whose_name_is_not_utf8_is_a_one_line_error(tmp_path):
    capture = tmp_path / os.fsdecode(b"bad\xff.rdc")
    shutil.copyfile(SAMPLES[0], capture)
    result = CliRunner().invoke(app, ["extract", str(capture), str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.stderr == f"error: {tmp_path}/bad\\xff.rdc: capture error: RenderDoc opens only paths that are valid UTF-8; rename the file\n"
