"""Several label sets in one frame folder: the default's files where they always were, the others beside them.

The default set's images are `labels.png`, `labels_train.png` and
`labels_color.png` at the top of the frame folder, so every reader of
`labels.png` keeps working; each other mapping's are the same three names in
`labels/<mapping name>/`. Making another set the default moves files by hard
links (a copy where the filesystem refuses links), never by labelling again:
the old default's files are linked into its own folder first, and meta.json
records that before the top-level files change (docs/classes.md).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import Any

from rdc_extract.dataset.files import atomic_write
from rdc_extract.dataset.names import LABEL_FILES

SETS_DIR = "labels"
TOP = ""


def set_folder(name: str) -> str:
    """Where a set that is not the default keeps its images, relative to the frame folder (mapping names are
    single path components: labels/classmap.py checks)."""
    return f"{SETS_DIR}/{name}/"


def at_top(record: dict[str, Any]) -> bool:
    """Whether a set's record places its images at the top of the frame folder."""
    return record.get("files", {}).get("ids") == LABEL_FILES["ids"]


def _linked(source: Path, temp: Path) -> None:
    temp.unlink()
    try:
        os.link(source, temp)
    except OSError:
        shutil.copyfile(source, temp)


def place(frame_dir: Path, record: dict[str, Any], source: str, target: str) -> dict[str, Any]:
    """Give the set of `record`, whose images are in `frame_dir/source`, the same images in `frame_dir/target`
    (each linked under a temporary name, then renamed over the old one), and remove there a trainId image
    this set does not have; returns the record pointing at `target`. `source` stays as it was."""
    for kind, name in LABEL_FILES.items():
        if kind in record["files"]:
            atomic_write(frame_dir / target / name, lambda temp, name=name: _linked(frame_dir / source / name, temp))
        else:
            (frame_dir / target / name).unlink(missing_ok=True)
    return {**record, "files": {kind: f"{target}{LABEL_FILES[kind]}" for kind in record["files"]}}


def remove_folder(frame_dir: Path, name: str) -> None:
    """Delete `labels/<name>/` (a set that became the default, or what an interrupted switch left)."""
    shutil.rmtree(frame_dir / set_folder(name), ignore_errors=True)
    with contextlib.suppress(OSError):   # other sets are still there, or it was never made
        (frame_dir / SETS_DIR).rmdir()
