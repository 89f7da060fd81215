"""Label files in a frame folder (docs/dataset.md): reading the raw id map and the draw ids, writing the label images.

Extraction and `relabel` both write labels through `write_labels`, and every
PNG goes through the dataset's one PNG writer (rdc_extract/dataset/files.py:
temp name in the same folder, then rename), so the same stencil and mapping
give byte-identical files whichever command wrote them. `meta.json` is
written last, by the caller.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from rdc_extract.dataset.files import read_png, write_png
from rdc_extract.dataset.names import LABEL_FILES, OUTPUT_FILES
from rdc_extract.errors import DatasetFileError
from rdc_extract.labels.classmap import ClassMap, LabelImages, apply_class_map
from rdc_extract.labels.signature_rules import DrawIds

DRAW_IDS, DRAW_TABLE = OUTPUT_FILES["drawids"]["drawids"], OUTPUT_FILES["drawids"]["drawids_table"]


def read_raw(frame_dir: Path, source: str) -> np.ndarray:
    """The frame's raw id map ``<source>.png`` (e.g. the stencil) as uint8 ``(H, W)``; read-only use."""
    path = frame_dir / f"{source}.png"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no raw id map {source!r} in this frame")
    raw = read_png(path)
    if raw.dtype != np.uint8 or raw.ndim != 2:
        raise ValueError(f"{path}: expected a uint8 single-channel image, got {raw.dtype} {raw.shape}")
    return raw


def read_draw_table(frame_dir: Path) -> list[dict[str, Any]] | None:
    """The ``draws`` of the frame's drawids.json, None when the frame has no draw ids; `DatasetFileError` naming
    the file when it cannot be read as one."""
    path = frame_dir / DRAW_TABLE
    if not path.is_file():
        return None
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DatasetFileError(path, f"cannot be read as a draw-id table ({exc})") from None
    draws = table.get("draws") if isinstance(table, dict) else None
    if not isinstance(draws, list) or not all(isinstance(draw, dict) for draw in draws):
        raise DatasetFileError(path, "not a draw-id table: no list of draws (docs/drawids.md)")
    return draws


def read_draw_ids(frame_dir: Path, draws: list[dict[str, Any]]) -> DrawIds:
    """The frame's drawids.png with the ``draws`` of its drawids.json, checked against each other."""
    path = frame_dir / DRAW_IDS
    if not path.is_file():
        raise FileNotFoundError(f"{path}: missing beside {DRAW_TABLE}")
    try:
        return DrawIds(read_png(path), draws)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None


def label_record(class_map: ClassMap, images: LabelImages, folder: str = "") -> dict[str, Any]:
    """The ``labels`` entry of a frame's meta.json: which mapping made the labels, where they are (``files``,
    relative to the frame folder), what it missed and, for a frame with draw ids, how many of its scene pixels
    a signature rule labelled."""
    files = {kind: f"{folder}{name}" for kind, name in LABEL_FILES.items()
             if kind != "train_ids" or images.train_ids is not None}
    record: dict[str, Any] = {
        "mapping": class_map.name,
        "mapping_sha256": class_map.sha256,
        "source": f"{class_map.source}.png" if images.raw_read else DRAW_IDS,
        "files": files,
        "unmapped": {str(value): count for value, count in sorted(images.unmapped.items())},
    }
    if images.coverage is not None:
        record["signatures"] = {"draw_ids": DRAW_IDS, "scene_pixels": images.coverage.scene_pixels,
                                "labelled_pixels": images.coverage.labelled_pixels}
    return record


def write_labels(frame_dir: Path, raw: np.ndarray | None, class_map: ClassMap,
                 draw_ids: DrawIds | None = None, folder: str = "") -> dict[str, Any]:
    """Label ``raw`` (and ``draw_ids``, when the frame has them) with ``class_map`` and write labels.png,
    labels_train.png (if any) and labels_color.png into ``frame_dir / folder`` (``folder``: "" or
    ``labels/<name>/``, labels/sets.py).

    A labels_train.png left by an earlier mapping with trainIds is removed when
    this one has none, so the folder never mixes two mappings. Returns the
    record for meta.json's ``labels`` entry; writing meta.json is the caller's
    job (it goes last, see docs/dataset.md).
    """
    return write_label_images(frame_dir, apply_class_map(raw, class_map, draw_ids), class_map, folder)


def write_label_images(frame_dir: Path, images: LabelImages, class_map: ClassMap, folder: str = "") -> dict[str, Any]:
    """`write_labels` for label images already made with `class_map` (extraction also reads them for instances)."""
    target = frame_dir / folder
    write_png(target / LABEL_FILES["ids"], images.ids)
    if images.train_ids is not None:
        write_png(target / LABEL_FILES["train_ids"], images.train_ids)
    else:
        (target / LABEL_FILES["train_ids"]).unlink(missing_ok=True)
    write_png(target / LABEL_FILES["color"], images.color)
    return label_record(class_map, images, folder)
