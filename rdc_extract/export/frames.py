"""The frames an export reads: the dataset's finished frame folders, each with its split.

A frame is finished when its folder has meta.json (docs/dataset.md). When the
dataset has `index.csv` (batch writes it), its rows are the frames: a frame
folder it does not list (an older folder kept after a failed retry, or one
`extract` added) is skipped, and a row whose folder is gone is a failure. The
split of a frame comes from the caller, else from index.csv's `split` column,
else it is `all`. Skips are reported, not fatal; failures make the command
exit 1.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rdc_extract.batch.index import FORMULA_STARTS, INDEX_NAME
from rdc_extract.dataset.names import META_FILE, MAX_FRAME_ID_BYTES, is_safe_component
from rdc_extract.export.base import ExportFrame
from rdc_extract.labels.relabel import frame_dirs

ALL_SPLIT = "all"
SPLIT_COLUMN = "split"
SPLIT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")  # it names files: instances_<split>.json


@dataclass
class FrameListing:
    """`frames` to export, in frame_id order; `skipped` and `failed`: (frame_id, one-line reason)."""

    frames: list[ExportFrame] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def index_cell(text: str) -> str:
    """An index.csv cell as written before the CSV-injection escape (docs/batch.md): `'=x` → `=x`."""
    return text[1:] if text.startswith("'") and text[1:2] in FORMULA_STARTS else text


def read_index(out: Path) -> dict[str, dict[str, str]] | None:
    """index.csv's rows by frame_id (cells unescaped), None when the dataset has no index.csv."""
    path = out / INDEX_NAME
    if not path.is_file():
        return None
    with path.open(newline="", encoding="utf-8") as handle:
        rows = [{key: index_cell(value or "") for key, value in row.items()} for row in csv.DictReader(handle)]
    return {row["frame_id"]: row for row in rows if row.get("frame_id")}


def list_frames(out: Path, splits: Mapping[str, str] | None = None) -> FrameListing:
    """The finished frames of the dataset at `out` with their splits (see the module's docstring)."""
    dirs, links = frame_dirs(out)
    index = read_index(out)
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
    if index is not None and SPLIT_COLUMN in index[frame_id]:
        return index[frame_id][SPLIT_COLUMN]
    return ALL_SPLIT
