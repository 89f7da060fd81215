"""The frames an export reads: the dataset's finished frame folders, each with its split.

A frame is finished when its folder has meta.json (docs/dataset.md). When the
dataset has `index.csv` (batch, extract and relabel write it), its rows are
the frames: a frame folder it does not list (an older folder kept after a
failed retry) is skipped, and a row whose folder is gone is a failure. The
split of a frame comes from the caller, else from index.csv's `split` column
(`rdc-extract split`); while no frame has one, every frame is in `all`. Skips
are reported, not fatal; failures make the command exit 1.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rdc_extract.batch.index import INDEX_NAME, SPLIT_COLUMN, read_index
from rdc_extract.dataset.names import META_FILE, MAX_FRAME_ID_BYTES, is_safe_component
from rdc_extract.export.base import ExportFrame
from rdc_extract.labels.relabel import frame_dirs

ALL_SPLIT = "all"
SPLIT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")  # it names files: instances_<split>.json


@dataclass
class FrameListing:
    """`frames` to export, in frame_id order; `skipped` and `failed`: (frame_id, one-line reason)."""

    frames: list[ExportFrame] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def list_frames(out: Path, splits: Mapping[str, str] | None = None) -> FrameListing:
    """The finished frames of the dataset at `out` with their splits (see the module's docstring)."""
    dirs, links = frame_dirs(out)
    index = read_index(out)
    if index is not None and not any(row.get(SPLIT_COLUMN) for row in index.values()):
        splits = splits if splits is not None else {}.fromkeys(index, ALL_SPLIT)   # `split` never ran
    listing = FrameListing()
    listing.skipped += [(link.name, f"symbolic link to {os.readlink(link)}, not followed") for link in links]
    found = {path.name for path in dirs}
    for path in dirs:
        frame_id = path.name
        if index is not None and frame_id not in index:
            listing.skipped.append((frame_id, f"not listed in {INDEX_NAME} (not a done frame of the batch)"))
            continue
        meta_path = path / META_FILE
        if not meta_path.is_file():
            listing.skipped.append((frame_id, f"unfinished: no {META_FILE}"))
            continue
        split = _split_of(frame_id, splits, index)
        if not split:
            listing.skipped.append((frame_id, "no split assigned"))
            continue
        if not SPLIT_NAME.fullmatch(split):
            listing.failed.append((frame_id, f"{out / INDEX_NAME}: split {split!r} of {frame_id}: expected a name "
                                             "of letters, digits, _ and - (it names the export's files)"))
            continue
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            listing.failed.append((frame_id, f"{meta_path}: cannot read: {exc}"))
            continue
        if not isinstance(meta, dict):
            listing.failed.append((frame_id, f"{meta_path}: expected a JSON object"))
            continue
        listing.frames.append(ExportFrame(frame_id, path, meta, split))
    for frame_id in sorted(set(index or ()) - found):
        shown = frame_id if is_safe_component(frame_id, MAX_FRAME_ID_BYTES) else repr(frame_id)
        listing.failed.append((frame_id, f"{out / INDEX_NAME}: lists {shown}, but there is no frames/{shown}/"))
    return listing


def _split_of(frame_id: str, splits: Mapping[str, str] | None,
              index: Mapping[str, Mapping[str, str]] | None) -> str:
    if splits is not None:
        return splits.get(frame_id, "")
    if index is not None:
        return index[frame_id].get(SPLIT_COLUMN, "")
    return ALL_SPLIT
