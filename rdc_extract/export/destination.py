"""DEST of an export: checked before any work, written in a staging folder beside it, renamed into place whole.

A reader of DEST sees nothing, the previous export, or the complete new one:
never a half-written layout. The staging folder (`.tmp-export-<name>-*`, in
DEST's parent so the rename stays on one filesystem) is deleted when the
export fails or is interrupted. DEST must not hold the dataset (it would be
replaced) nor sit inside its `frames/` (it would look like a frame), and an
existing DEST that is not empty is replaced only with `force`: the old one
is renamed away, the new one renamed in, then the old one deleted.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

from rdc_extract.dataset.files import TEMP_PREFIX
from rdc_extract.dataset.publish import FRAMES_DIR
from rdc_extract.errors import ExportError, WriteFailed
from rdc_extract.export.base import COPY

STAGING_PREFIX = f"{TEMP_PREFIX}export-"
#: A hard link cannot be made across filesystems, where links are not allowed, or past a file's link limit.
_NO_LINK = (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EACCES)


def check_destination(out: Path, dest: Path, force: bool) -> None:
    """Refuse a DEST that would replace or hide inside the dataset `out`, or replace files without `force`."""
    out_real, dest_real = out.resolve(), dest.resolve()
    if dest_real == out_real or out_real.is_relative_to(dest_real):
        raise ExportError(dest, f"holds the dataset {out}: an export there would replace it; choose another folder")
    if dest_real.is_relative_to(out_real / FRAMES_DIR):
        raise ExportError(dest, f"is inside the dataset's {FRAMES_DIR}/ folder; choose a folder outside it")
    if dest.is_symlink():
        raise ExportError(dest, "is a symbolic link; give the folder it leads to")
    if dest.exists() and not dest.is_dir():
        raise ExportError(dest, "exists and is not a folder")
    if not force and _not_empty(dest):
        raise ExportError(dest, "exists and is not empty (--force replaces it)")


def _not_empty(folder: Path) -> bool:
    return folder.is_dir() and any(folder.iterdir())


class StagedDestination:
    """A staging folder for DEST: `path` is written, `publish()` renames it to DEST; discarded unless published."""

    def __init__(self, dest: Path, force: bool) -> None:
        self.dest = dest
        self.force = force
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            self.path = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{dest.name}-", dir=dest.parent))
        except OSError as exc:
            raise WriteFailed(dest, exc) from exc
        self.published = False

    def __enter__(self) -> StagedDestination:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if not self.published:
            shutil.rmtree(self.path, ignore_errors=True)

    def publish(self) -> None:
        """Make the staging folder DEST (rechecked: another program may have filled DEST meanwhile)."""
        os.chmod(self.path, 0o777 & ~_umask())  # mkdtemp makes 0700; an export is an ordinary folder
        if _not_empty(self.dest) and not self.force:
            raise ExportError(self.dest, "was filled while exporting; nothing replaced (--force replaces it)")
        old = None
        try:
            if _not_empty(self.dest):
                old = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}old-{self.dest.name}-", dir=self.dest.parent))
                os.replace(self.dest, old)
            os.replace(self.path, self.dest)  # onto a missing or empty folder
        except OSError as exc:
            if old is not None and not self.dest.exists():
                os.replace(old, self.dest)  # put the previous export back
            raise WriteFailed(self.dest, exc) from exc
        self.published = True
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def place_image(source: Path, target: Path, mode: str) -> bool:
    """`target` becomes `source`'s content: a hard link (the dataset's files are replaced by rename, never
    rewritten in place, so a link never changes under the export), a copy with `mode` COPY or where no link
    can be made. Returns whether it linked."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if mode != COPY:
            try:
                os.link(source, target)
                return True
            except OSError as exc:
                if exc.errno not in _NO_LINK:
                    raise
        shutil.copyfile(source, target)
        return False
    except OSError as exc:
        if exc.filename is not None and Path(exc.filename) == source:
            raise ExportError(source, f"cannot read: {exc.strerror or exc}") from None
        raise WriteFailed(target, exc) from exc
