"""What every export format shares: the frame it is handed, the options, and the interface it implements.

A format is one module of this package with one `Exporter` subclass, listed in
`registry.FORMATS`. The driver (run.py) lists the dataset's finished frames,
skips (and reports) those lacking a file the format `needs`, hands the others
to `add_frame` in frame_id order, then calls `finish` to write the format's
tables. Everything is written into a staging folder that becomes DEST only
when the export completed, so a format writes plainly, never to DEST itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from rdc_extract.dataset.names import META_FILE
from rdc_extract.errors import ExportError
from rdc_extract.labels.classmap import ClassMap

LINK, COPY = "link", "copy"
IMAGE_MODES = (LINK, COPY)


@dataclass(frozen=True)
class Need:
    """A file a frame must have for a format, and the extraction output that writes it (for the skip reason)."""

    file: str
    output: str


@dataclass(frozen=True)
class ExportFrame:
    """One finished frame: its folder, its meta.json and the split it goes to."""

    frame_id: str
    path: Path
    meta: Mapping[str, Any]
    split: str


@dataclass(frozen=True)
class ExportOptions:
    """`force`: replace a DEST that is not empty. `images`: `link` (hard link, a copy where a link cannot be
    made) or `copy`. `classes`: the class mapping the frames' labels were made with (name or path; default:
    the one their meta.json names). `things`: class names exported as countable objects (default: by category,
    see the format). `splits`: frame_id → split, overriding index.csv's `split` column."""

    force: bool = False
    images: str = LINK
    classes: str | None = None
    things: tuple[str, ...] | None = None
    splits: Mapping[str, str] | None = None


@dataclass(frozen=True)
class ExportContext:
    """`dest` is the staging folder the format writes into; `class_map` is set when the format needs labels."""

    out: Path
    dest: Path
    options: ExportOptions
    class_map: ClassMap | None


class Exporter:
    """One export format. Subclasses set the class attributes and implement `add_frame` and `finish`."""

    name: ClassVar[str]
    needs: ClassVar[tuple[Need, ...]]
    #: Python packages the format imports (module name → pip requirement), checked before any work.
    requires: ClassVar[Mapping[str, str]] = {}

    def __init__(self, context: ExportContext) -> None:
        self.context = context
        self.notes: list[str] = []  # what the summary should say about the export as a whole

    @classmethod
    def uses_labels(cls) -> bool:
        return any(need.output == "labels" for need in cls.needs)

    def add_frame(self, frame: ExportFrame) -> Mapping[str, int]:
        """Convert one frame (its per-frame files written now, its table rows kept for `finish`); returns counts
        for the summary (`{"annotations": 12, ...}`). Raises on a frame file it cannot use."""
        raise NotImplementedError

    def finish(self) -> list[str]:
        """Write the tables; returns every file and folder written, relative to DEST, for the summary."""
        raise NotImplementedError


def read_image(path: Path, dtypes: tuple[type, ...], channels: int | None = None) -> np.ndarray:
    """A frame's PNG at its stored bit depth, checked: one of `dtypes`, `channels` (None: single-channel)."""
    from rdc_extract.dataset.files import read_png

    try:
        image = read_png(path)
    except OSError as exc:
        raise ExportError(path, f"cannot read the image: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ExportError(path, f"cannot read the image: {str(exc).removeprefix(f'{path}: ')}") from None
    shape_ok = image.ndim == 2 if channels is None else image.ndim == 3 and image.shape[2] == channels
    if image.dtype.type not in dtypes or not shape_ok:
        wanted = "single-channel" if channels is None else f"{channels}-channel"
        names = " or ".join(np.dtype(d).name for d in dtypes)
        raise ExportError(path, f"expected a {wanted} {names} image, got {image.dtype} {image.shape}")
    return image


def camera_matrix(frame: ExportFrame) -> np.ndarray | None:
    """The frame's intrinsics K (meta.json `camera.K`, 3×3, pixels), None when extraction found no camera."""
    return _camera_entry(frame, "K", (3, 3), "intrinsics matrix with last row 0 0 1")


def camera_pose(frame: ExportFrame) -> np.ndarray | None:
    """The frame's `camera.world_to_camera` (4×4), None when meta.json has none."""
    return _camera_entry(frame, "world_to_camera", (4, 4), "rigid transform with last row 0 0 0 1")


def _camera_entry(frame: ExportFrame, key: str, shape: tuple[int, int], what: str) -> np.ndarray | None:
    camera = frame.meta.get("camera")
    if not isinstance(camera, Mapping) or camera.get(key) is None:
        return None
    try:
        matrix = np.array(camera[key], dtype=np.float64)
    except (TypeError, ValueError):
        matrix = np.empty(0)
    last_row = [0.0] * (shape[1] - 1) + [1.0]
    if matrix.shape != shape or not np.isfinite(matrix).all() or matrix[-1].tolist() != last_row:
        raise ExportError(frame.path / META_FILE, f"camera.{key}: expected a {shape[0]}x{shape[1]} {what}, "
                                                  f"got {camera[key]!r}")
    return matrix + 0.0  # -0.0 entries (a negated zero skew) as 0.0


def image_size(path: Path) -> tuple[int, int]:
    """(width, height) of an image from its header alone."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            return image.size
    except OSError as exc:  # PIL.UnidentifiedImageError included
        raise ExportError(path, f"cannot read the image: {exc}") from None
