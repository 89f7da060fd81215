"""`rdc-extract export --format hf` on real extractions of the sample game (the shared `drawids_dataset`, with
depth), loaded by `datasets.load_dataset` itself: each row's image, trainIds, depth and K are the frame's."""

from __future__ import annotations

import json

import datasets
import numpy as np
from typer.testing import CliRunner

from rdc_extract.cli import app
from rdc_extract.dataset.files import read_png


def test_datasets_loads_every_frame_with_its_pixels_and_camera(drawids_dataset, tmp_path):
    dest = tmp_path / "hf"
    result = CliRunner().invoke(app, ["export", str(drawids_dataset), str(dest), "--format", "hf"])
    assert result.exit_code == 0 and "note:" not in result.stdout, result.stdout + result.stderr
    loaded = datasets.load_dataset(str(dest), cache_dir=str(tmp_path / "cache"))
    assert list(loaded) == ["train"] and loaded["train"].num_rows == 2
    for row in loaded["train"]:
        frame = drawids_dataset / "frames" / row["frame_id"]
        meta = json.loads((frame / "meta.json").read_text(encoding="utf-8"))
        assert np.array_equal(np.asarray(row["image"]), read_png(frame / "rgb.png"))
        assert np.array_equal(np.asarray(row["label"]), read_png(frame / "labels_train.png"))
        assert np.array_equal(np.asarray(row["depth"]), read_png(frame / "depth_kitti.png"))
        assert row["K"] == meta["camera"]["K"] and row["world_to_camera"] == meta["camera"]["world_to_camera"]
