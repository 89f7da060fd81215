"""The KITTI depth export on plain data: calibration files read back as KITTI's tools parse them, and a whole
export of synthetic frames (one without depth skipped, one without a camera and one with a malformed K failed),
read back as KITTI's devkit reads depth."""

from __future__ import annotations

import numpy as np

from rdc_extract.export.base import ExportOptions
from rdc_extract.export.kitti import calib_text
from rdc_extract.export.run import export_dataset
from tests.export_frames import camera, read_calib, read_csv, read_kitti_depth, scene, write_frame, write_index

RUN = {"scenario": {"game": "city_game", "run_id": "20261125T123148"}}


def test_calibration_holds_k_in_every_projection_and_kittis_velodyne_axes(tmp_path):
    matrix = np.array([[311.7691421508789, 0.0, 319.5], [0.0, 311.76913976669, 179.5], [0.0, 0.0, 1.0]])
    (tmp_path / "calib.txt").write_text(calib_text(matrix), encoding="ascii")
    calib = read_calib(tmp_path / "calib.txt")
    assert list(calib) == ["P0", "P1", "P2", "P3", "R0_rect", "Tr_velo_to_cam", "Tr_imu_to_velo"]
    for key in ("P0", "P1", "P2", "P3"):
        projection = calib[key].reshape(3, 4)
        assert np.array_equal(projection[:, :3], matrix) and not projection[:, 3].any()
    assert np.array_equal(calib["R0_rect"].reshape(3, 3), np.eye(3))
    rotation = calib["Tr_velo_to_cam"].reshape(3, 4)[:, :3]
    forward, left, up = np.eye(3)  # KITTI's velodyne axes → the camera's: z forward, x right, y down
    assert (rotation @ forward).tolist() == [0, 0, 1] and (rotation @ left).tolist() == [-1, 0, 0]
    assert (rotation @ up).tolist() == [0, -1, 0]


def test_a_synthetic_dataset_exports_kittis_depth_layout(tmp_path):
    out, dest = tmp_path / "out", tmp_path / "kitti"
    labels, _ = scene()
    depth = np.zeros(labels.shape, np.uint16)
    depth[6:] = 2560  # 10 m on the lower half, invalid above
    write_frame(out, "f1", labels, None, depth=depth, meta={**RUN, "camera": camera()})
    write_frame(out, "f2", labels, None, depth=depth, meta={**RUN, "camera": camera(focal=30.0)})
    write_frame(out, "no_depth", labels, None, meta={**RUN, "camera": camera()})
    write_frame(out, "no_camera", labels, None, depth=depth, meta=RUN)
    write_frame(out, "bad_camera", labels, None, depth=depth, meta={"camera": {"K": [[1, 0], [0, 1]]}})
    write_index(out, [{"frame_id": f, "split": "train"} for f in ("f1", "f2", "no_depth", "no_camera", "bad_camera")])

    report = export_dataset(out, dest, "kitti", ExportOptions())
    assert report.published and dict(report.exported) == {"train": 2}
    assert dict(report.skipped) == {"no_depth": "no depth_kitti.png (extract with --outputs ...,depth)"}
    assert report.failed == [
        ("bad_camera", f"{out}/frames/bad_camera/meta.json: camera.K: expected a 3x3 intrinsics matrix with last "
                       "row 0 0 1, got [[1, 0], [0, 1]]"),
        ("no_camera", f"{out}/frames/no_camera/meta.json: no camera.K: a KITTI calibration needs the intrinsics")]
    drive = dest / "train" / "city-game-20261125T123148_sync"
    rows = read_csv(dest / "frames.csv")
    assert [(row["frame_id"], row["drive"], row["number"]) for row in rows] == [
        ("f1", drive.name, "0000000000"), ("f2", drive.name, "0000000001")]
    for row, focal in zip(rows, (20.0, 30.0)):
        number = row["number"]
        metres = read_kitti_depth(drive / "proj_depth" / "groundtruth" / "image_02" / f"{number}.png")
        assert (metres[6:] == 10.0).all() and (metres[:6] == -1).all()
        assert (drive / "image_02" / "data" / f"{number}.png").read_bytes() == (
            out / "frames" / row["frame_id"] / "rgb.png").read_bytes()
        p2 = read_calib(drive / "calib" / f"{number}.txt")["P2"].reshape(3, 4)
        assert np.array_equal(p2[:, :3], np.array(camera(focal=focal)["K"]))
