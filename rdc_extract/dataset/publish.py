"""Publishing a frame folder into `out/frames/` whole: staged elsewhere, then renamed in.

A job writes a frame into `out/.staging/<frame_id>.<tag>/`; only a complete
folder (meta.json written last) is renamed to `out/frames/<frame_id>/`, and an
older folder of that frame is first renamed away, then deleted. Renames within
one filesystem are atomic, so `frames/` only ever holds complete frames,
whatever kills the writer. `batch` and `extract` both publish this way.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

FRAMES_DIR = "frames"
STAGING_DIR = ".staging"


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def retire_frame(final: Path, staging: Path, tag: str) -> None:
    """Move a frame folder out of `frames/` (rename: atomic), then delete it."""
    if final.exists():
        trash = staging / f"{final.name}.old.{tag}"
        os.rename(final, trash)
        remove_tree(trash)


def publish_frame(stage: Path, final: Path, staging: Path, tag: str) -> None:
    """Replace `final` by the complete folder `stage` (renames only; `final` is never half-written)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    retire_frame(final, staging, tag)
    os.rename(stage, final)
