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
from dataclasses import dataclass
from pathlib import Path

from rdc_extract.dataset.names import MAX_FRAME_ID_BYTES, is_safe_component

FRAMES_DIR = "frames"
STAGING_DIR = ".staging"


@dataclass(frozen=True)
class StagedFrame:
    """One writer's attempt at one frame: `stage` is written, then published as `final`.

    `tag` tells concurrent writers' folders apart (host, process, counter).
    A `frame_id` that is not one safe path component (`.`, `..`, `a/b`, ...)
    is refused here, whoever made it: `final` must be a folder inside `frames/`.
    """

    out_dir: Path
    frame_id: str
    tag: str

    def __post_init__(self) -> None:
        if not is_safe_component(self.frame_id, MAX_FRAME_ID_BYTES):
            raise ValueError(f"frame_id {self.frame_id!r} is not a safe folder name (docs/dataset.md)")

    @property
    def staging(self) -> Path:
        return self.out_dir / STAGING_DIR

    @property
    def stage(self) -> Path:
        return self.staging / f"{self.frame_id}.{self.tag}"

    @property
    def final(self) -> Path:
        return self.out_dir / FRAMES_DIR / self.frame_id

    def publish(self) -> None:
        """Replace `final` by the complete folder `stage` (renames only; `final` is never half-written)."""
        self.final.parent.mkdir(parents=True, exist_ok=True)
        self.retire()
        os.rename(self.stage, self.final)

    def retire(self) -> None:
        """Move the published frame out of `frames/` (rename: atomic), then delete it."""
        if self.final.exists():
            trash = self.staging / f"{self.frame_id}.old.{self.tag}"
            os.rename(self.final, trash)
            shutil.rmtree(trash, ignore_errors=True)

    def discard(self) -> None:
        """Remove what is left of `stage` (all of it after a failure, nothing after `publish`)."""
        shutil.rmtree(self.stage, ignore_errors=True)
