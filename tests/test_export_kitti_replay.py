"""`rdc-extract export --format kitti` on real extractions of the sample game (the shared `drawids_dataset`, with
depth), read back by KITTI's conventions: the depth devkit's PNG decoding gives depth.tiff's metres, and each
calibration file's P2 holds meta.json's K."""

from __future__ import annotations

import json

import numpy as np
import tifffile
from typer.testing import CliRunner

from rdc_extract.cli import app
from tests.export_frames import read_calib, read_csv, read_kitti_depth


def test_depth_and_calibration_read_back_as_kittis_devkit_reads_them(drawids_dataset, tmp_path):
    dest = tmp_path / "kitti"
    result = CliRunner().invoke(app, ["export", str(drawids_dataset), str(dest), "--format", "kitti"])
    assert result.exit_code == 0, result.stdout + result.stderr
    rows = read_csv(dest / "frames.csv")
    assert len(rows) == 2
    for row in rows:
        frame = drawids_dataset / "frames" / row["frame_id"]
        drive = dest / row["split"] / row["drive"]
        metres = read_kitti_depth(drive / "proj_depth" / "groundtruth" / "image_02" / f"{row['number']}.png")
        extracted = tifffile.imread(frame / "depth.tiff")
        valid = np.isfinite(extracted)
        assert valid.any() and (~valid).any(), "the sample frames show sky"
        assert np.array_equal(metres > 0, valid) and (metres[~valid] == -1).all()
        near = valid & (extracted < 255)
        assert np.abs(metres[near] - extracted[near]).max() <= 1 / 512
        assert (drive / "image_02" / "data" / f"{row['number']}.png").read_bytes() == (frame / "rgb.png").read_bytes()
        projection = read_calib(drive / "calib" / f"{row['number']}.txt")["P2"].reshape(3, 4)
        meta = json.loads((frame / "meta.json").read_text(encoding="utf-8"))
        assert np.array_equal(projection[:, :3], np.array(meta["camera"]["K"]))
