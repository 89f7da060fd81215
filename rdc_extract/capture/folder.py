"""The captures folder: unique names, the staging area, and what counts as a complete capture.

Layout of a captures folder::

    <out>/<stem>.rdc          the RenderDoc capture
    <out>/<stem>.json         its sidecar (sidecar.py)
    <out>/<stem>.gt.npz       the game's ground truth, when asked for
    <out>/.staging/           where RenderDoc and the mod write; never read as output
    <out>/.capture.lock       held by the one `rdc-extract capture` run writing here (lock.py)

A capture is *complete* when `<stem>.rdc` and `<stem>.json` are both present.
The mod writes everything into `.staging`, then renames the ground truth and the
.rdc into place and the sidecar last (`publish_capture`), so the sidecar's
arrival marks a finished pair. The sidecar records the capture's SHA-256, which
the extraction checks: RenderDoc files carry no checksum of their own. Whatever
a killed game leaves behind (files in `.staging`, or an .rdc/.gt.npz whose
sidecar never arrived) is removed by `clean_partial_captures` once that game is dead.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from rdc_extract.capture.sidecar import SIDECAR_SUFFIX, Sidecar, file_sha256, write_sidecar

STAGING_DIR = ".staging"
CAPTURE_SUFFIX = ".rdc"
GROUND_TRUTH_SUFFIX = ".gt.npz"

_SAFE = re.compile(r"[^A-Za-z0-9_-]+")
# <game>_<run id>_r<launch>_f<frame>, e.g. city_game_20261125T120301_r02_f000450
STEM_PATTERN = re.compile(r"^(?P<game>[A-Za-z0-9_-]+)_(?P<run>\d{8}T\d{6})_r(?P<launch>\d{2,})_f(?P<frame>\d{6,})$")


def new_run_id(now: datetime | None = None) -> str:
    """A run id from the UTC start time, second resolution: `20261125T120301`."""
    return (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%S")


def capture_stem(game: str, run_id: str, launch: int, frame_number: int) -> str:
    """Unique file stem for one capture: game, run, launch (restart) number and game frame number."""
    game_part = _SAFE.sub("-", game).strip("-_") or "game"
    stem = f"{game_part}_{run_id}_r{launch:02d}_f{frame_number:06d}"
    if not STEM_PATTERN.match(stem):
        raise ValueError(f"cannot build a capture name from game={game!r} run_id={run_id!r}")
    return stem


@dataclass(frozen=True)
class CompleteCapture:
    stem: str
    capture: Path
    sidecar: Path
    ground_truth: Path | None


def complete_captures(folder: str | Path) -> list[CompleteCapture]:
    """Every `<stem>.rdc` with its `<stem>.json` in `folder`, sorted by name."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = []
    for capture in sorted(folder.glob(f"*{CAPTURE_SUFFIX}")):
        stem = capture.name[: -len(CAPTURE_SUFFIX)]
        sidecar = folder / f"{stem}{SIDECAR_SUFFIX}"
        if not sidecar.is_file():
            continue
        gt = folder / f"{stem}{GROUND_TRUTH_SUFFIX}"
        found.append(CompleteCapture(stem, capture, sidecar, gt if gt.is_file() else None))
    return found


def _owned_stem(name: str) -> str | None:
    """The capture stem of a file this pipeline writes, or None for any other file."""
    for suffix in (CAPTURE_SUFFIX, SIDECAR_SUFFIX, GROUND_TRUTH_SUFFIX, SIDECAR_SUFFIX + ".tmp"):
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            return stem if STEM_PATTERN.match(stem) else None
    return None


def partial_captures(folder: str | Path) -> list[Path]:
    """Files of ours in `folder` that are not part of a complete pair (a game died between two renames)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    complete = {c.stem for c in complete_captures(folder)}
    leftovers = []
    for path in sorted(folder.iterdir()):
        stem = _owned_stem(path.name) if path.is_file() else None
        if stem is None:
            continue
        if stem not in complete or path.name.endswith(".tmp"):
            leftovers.append(path)
    return leftovers


def clean_partial_captures(folder: str | Path) -> list[Path]:
    """Empty `.staging` and remove partial pairs; call only when no game writes into `folder`. Returns what went."""
    folder = Path(folder)
    removed = []
    staging = folder / STAGING_DIR
    if staging.is_dir():
        removed.extend(sorted(staging.rglob("*")))
        shutil.rmtree(staging)
    for path in partial_captures(folder):
        path.unlink()
        removed.append(path)
    return removed


def _move_no_clobber(source: Path, target: Path) -> None:
    """Rename within one file system, refusing to replace an existing file (names are unique by design)."""
    if target.exists():
        raise FileExistsError(f"{target} already exists; capture names must be unique")
    os.replace(source, target)


def publish_capture(staged_capture: Path, sidecar: Sidecar, out_dir: Path, stem: str,
                    staged_ground_truth: Path | None = None) -> CompleteCapture:
    """Write the sidecar with the capture's SHA-256 next to the staged capture, then move
    the files out of staging: ground truth, then .rdc, then the sidecar last.

    The staged files must sit on the same file system as `out_dir` (the staging
    folder is inside it), so each move is an atomic rename.
    """
    out_dir = Path(out_dir)
    staged_sidecar = write_sidecar(staged_capture.parent / f"{stem}{SIDECAR_SUFFIX}",
                                   replace(sidecar, capture_sha256=file_sha256(staged_capture)))
    capture = out_dir / f"{stem}{CAPTURE_SUFFIX}"
    sidecar = out_dir / f"{stem}{SIDECAR_SUFFIX}"
    ground_truth = out_dir / f"{stem}{GROUND_TRUTH_SUFFIX}" if staged_ground_truth is not None else None
    if ground_truth is not None:
        _move_no_clobber(staged_ground_truth, ground_truth)
    _move_no_clobber(staged_capture, capture)
    _move_no_clobber(staged_sidecar, sidecar)
    return CompleteCapture(stem, capture, sidecar, ground_truth)
