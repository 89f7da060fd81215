"""KITTI depth (docs/export.md): the depth completion / prediction benchmark's folders, with a calibration per frame.

Per frame, in drive `<game>-<run>_sync` with a 10-digit number (naming.py):

    DEST/<split>/<drive>/image_02/data/<number>.png            rgb.png (KITTI raw's left colour camera)
    DEST/<split>/<drive>/proj_depth/groundtruth/image_02/<number>.png   depth_kitti.png (metres × 256, 0 = invalid)
    DEST/<split>/<drive>/calib/<number>.txt                    P0..P3 = K [I | 0], R0_rect, Tr_velo_to_cam, …
    DEST/frames.csv                                            the numbers back to frame ids

The depth PNG is the one extraction writes, already in KITTI's encoding
(docs/dataset.md), so it is linked or copied as is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from rdc_extract.dataset.files import write_text
from rdc_extract.dataset.names import META_FILE
from rdc_extract.errors import ExportError
from rdc_extract.export.base import ExportContext, ExportFrame, Exporter, Need, camera_matrix, image_size, read_image
from rdc_extract.export.coco import COPIED, LINKED
from rdc_extract.export.destination import place_image
from rdc_extract.export.naming import Numbering, group_name, write_frame_table

DEPTH_FILE = "depth_kitti.png"
CAMERA = "image_02"
DRIVE_SUFFIX = "_sync"
NUMBER_DIGITS = 10
#: KITTI's velodyne axes (x forward, y left, z up) → the camera's (x right, y down, z forward), at the camera.
VELO_TO_CAMERA = np.array([[0, -1, 0, 0], [0, 0, -1, 0], [1, 0, 0, 0]], np.float64)
DEPTH_MAPS = "depth maps"


def calib_text(matrix: np.ndarray) -> str:
    """A KITTI calibration file (object benchmark format: `key: 12 numbers`) for one pinhole camera with
    intrinsics `matrix`. Every P is K [I | 0] (one camera, no stereo baseline), R0_rect is identity (the image
    is already rectified), Tr_velo_to_cam turns KITTI's velodyne axes at the camera into camera axes, and
    Tr_imu_to_velo is identity. Numbers have 17 significant digits: they read back exactly."""
    projection = np.hstack([matrix, np.zeros((3, 1))])
    entries = [(f"P{index}", projection) for index in range(4)]
    entries += [("R0_rect", np.eye(3)), ("Tr_velo_to_cam", VELO_TO_CAMERA), ("Tr_imu_to_velo", np.eye(3, 4))]
    return "".join(f"{key}: {' '.join(f'{value:.16e}' for value in np.ravel(values))}\n" for key, values in entries)


class KittiExporter(Exporter):
    name = "kitti"
    needs = (Need("rgb.png", "rgb"), Need(DEPTH_FILE, "depth"))

    def __init__(self, context: ExportContext) -> None:
        super().__init__(context)
        self.numbering = Numbering()
        self.rows: list[dict[str, Any]] = []

    def add_frame(self, frame: ExportFrame) -> Mapping[str, int]:
        matrix = camera_matrix(frame)
        if matrix is None:
            raise ExportError(frame.path / META_FILE, "no camera.K: a KITTI calibration needs the intrinsics")
        depth = read_image(frame.path / DEPTH_FILE, (np.uint16,))
        width, height = image_size(frame.path / "rgb.png")
        if depth.shape != (height, width):
            raise ExportError(frame.path / DEPTH_FILE, f"{depth.shape[1]}x{depth.shape[0]}, but rgb.png is "
                                                       f"{width}x{height}")
        drive = group_name(frame.meta) + DRIVE_SUFFIX
        number = f"{self.numbering.next(drive):0{NUMBER_DIGITS}d}"
        folder = self.context.dest / frame.split / drive
        mode = self.context.options.images
        linked = place_image(frame.path / "rgb.png", folder / CAMERA / "data" / f"{number}.png", mode)
        place_image(frame.path / DEPTH_FILE, folder / "proj_depth" / "groundtruth" / CAMERA / f"{number}.png", mode)
        write_text(folder / "calib" / f"{number}.txt", calib_text(matrix))
        self.rows.append({"frame_id": frame.frame_id, "split": frame.split, "drive": drive, "number": number})
        return {DEPTH_MAPS: 1, LINKED if linked else COPIED: 1}

    def finish(self) -> list[str]:
        written = []
        for split in sorted({row["split"] for row in self.rows}):
            drives = {row["drive"] for row in self.rows if row["split"] == split}
            frames = sum(row["split"] == split for row in self.rows)
            written.append(f"{split}/ ({len(drives)} drives, {frames} frames: image_02/data, "
                           f"proj_depth/groundtruth/image_02, calib)")
        written.append(write_frame_table(self.context.dest, list(self.rows[0]), self.rows))
        return written


EXPORTER = KittiExporter
