"""Rebuild every frame's labels from its stored raw stencil with a new class mapping — no replay.

Each frame folder keeps the raw stencil (docs/dataset.md), so a new class set
costs one table lookup and three PNG writes per frame instead of a replay.
Frames are independent and run in parallel (joblib). The run is resumable: a
frame whose meta.json already records this mapping's hash is skipped unless
forced, and since meta.json is rewritten last, an interrupted frame still
records its old mapping and is redone next time. The raw map is only read.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from joblib import Parallel, delayed

from rdc_extract.errors import NotADataset
from rdc_extract.labels.classmap import ClassMap
from rdc_extract.dataset.files import write_json
from rdc_extract.labels.files import META_FILE, read_raw, write_labels, write_text_atomic

FRAMES_DIR = "frames"
INDEX_FILE = "index.csv"
INDEX_FRAME_COLUMN = "frame_id"
INDEX_LABEL_COLUMNS = ("label_mapping", "label_mapping_sha256")

RELABELLED, CURRENT, UNFINISHED, FAILED = "relabelled", "current", "unfinished", "failed"


@dataclass(frozen=True)
class FrameOutcome:
    """What happened to one frame folder.

    ``status``: ``relabelled``; ``current`` (already labelled with this mapping,
    skipped); ``unfinished`` (no meta.json: extraction has not finished it, left
    alone); ``failed`` (``error`` says why). ``unmapped``: raw value → pixel
    count of values the mapping does not cover (for ``current`` frames, as
    recorded in their meta.json).
    """

    frame_id: str
    status: str
    unmapped: dict[int, int] = field(default_factory=dict)
    error: str | None = None


@dataclass
class RelabelReport:
    out_dir: Path
    mapping: str
    mapping_sha256: str
    frames: list[FrameOutcome]
    index_note: str  # what happened to index.csv, for the summary

    def count(self, status: str) -> int:
        return sum(1 for f in self.frames if f.status == status)

    @property
    def failed(self) -> list[FrameOutcome]:
        return [f for f in self.frames if f.status == FAILED]

    @property
    def unmapped(self) -> dict[int, tuple[int, int]]:
        """Raw value → (total pixels, number of frames) over all labelled frames, by value."""
        totals: dict[int, tuple[int, int]] = {}
        for frame in self.frames:
            for value, pixels in frame.unmapped.items():
                seen_pixels, seen_frames = totals.get(value, (0, 0))
                totals[value] = (seen_pixels + pixels, seen_frames + 1)
        return dict(sorted(totals.items()))


def frame_dirs(out_dir: Path) -> list[Path]:
    """The dataset's frame folders, sorted; raises NotADataset when there is no ``frames/`` folder."""
    frames = Path(out_dir) / FRAMES_DIR
    if not frames.is_dir():
        raise NotADataset(out_dir, f"not a dataset: no {FRAMES_DIR}/ folder (see docs/dataset.md)")
    return sorted(p for p in frames.iterdir() if p.is_dir() and not p.name.startswith("."))


def relabel_frame(frame_dir: Path, class_map: ClassMap, force: bool = False) -> FrameOutcome:
    """Relabel one frame folder; never raises — a problem becomes a ``failed`` outcome naming it."""
    frame_id = frame_dir.name
    meta_path = frame_dir / META_FILE
    if not meta_path.is_file():
        return FrameOutcome(frame_id, UNFINISHED)
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if not isinstance(meta, dict):
            raise ValueError(f"{meta_path}: expected a JSON object")
        labels = meta.get("labels")
        if not force and isinstance(labels, dict) and labels.get("mapping_sha256") == class_map.sha256:
            recorded = labels.get("unmapped") or {}
            return FrameOutcome(frame_id, CURRENT, {int(v): int(n) for v, n in recorded.items()})
        record = write_labels(frame_dir, read_raw(frame_dir, class_map.source), class_map)
        meta["labels"] = record
        write_json(meta_path, meta)
        return FrameOutcome(frame_id, RELABELLED, {int(v): n for v, n in record["unmapped"].items()})
    except Exception as exc:  # noqa: BLE001 — one bad frame is a record, not the end of the run
        return FrameOutcome(frame_id, FAILED, error=f"{type(exc).__name__}: {exc}")


def relabel_dataset(
    out_dir: str | Path,
    class_map: ClassMap,
    *,
    jobs: int = -1,
    force: bool = False,
    on_frame: Callable[[FrameOutcome], None] | None = None,
) -> RelabelReport:
    """Relabel every finished frame of the dataset at ``out_dir``, then record the mapping in index.csv.

    ``jobs``: worker processes (joblib convention: -1 = all cores, 1 = in this
    process). ``force``: redo frames already labelled with this mapping.
    ``on_frame`` is called once per frame as outcomes arrive (for progress).
    Raises NotADataset if ``out_dir`` has no frames folder; per-frame problems
    are ``failed`` outcomes in the report.
    """
    out_dir = Path(out_dir)
    dirs = frame_dirs(out_dir)
    if jobs == 1 or len(dirs) <= 1:
        results: Iterable[FrameOutcome] = (relabel_frame(d, class_map, force) for d in dirs)
    else:
        results = Parallel(n_jobs=jobs, return_as="generator")(delayed(relabel_frame)(d, class_map, force) for d in dirs)
    outcomes = []
    for outcome in results:
        outcomes.append(outcome)
        if on_frame is not None:
            on_frame(outcome)
    labelled = {o.frame_id for o in outcomes if o.status in (RELABELLED, CURRENT)}
    note = update_index(out_dir, class_map, labelled)
    return RelabelReport(out_dir, class_map.name, class_map.sha256, outcomes, note)


def update_index(out_dir: Path, class_map: ClassMap, labelled: set[str]) -> str:
    """Set ``label_mapping`` / ``label_mapping_sha256`` in index.csv for the frames now carrying this mapping.

    Rows of other frames (failed, unfinished) keep what they had. Columns are
    appended if missing; the file is replaced atomically. Returns a one-line
    note for the summary (index.csv is optional: batch writes it).
    """
    path = out_dir / INDEX_FILE
    if not path.is_file():
        return f"no {INDEX_FILE}: nothing to update"
    text = path.read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = list(reader.fieldnames or [])
    if INDEX_FRAME_COLUMN not in columns:
        return f"{INDEX_FILE} has no {INDEX_FRAME_COLUMN!r} column: not updated"
    rows = list(reader)
    columns += [c for c in INDEX_LABEL_COLUMNS if c not in columns]
    updated = 0
    for row in rows:
        if row.get(INDEX_FRAME_COLUMN) in labelled:
            row[INDEX_LABEL_COLUMNS[0]], row[INDEX_LABEL_COLUMNS[1]] = class_map.name, class_map.sha256
            updated += 1
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n" if "\r\n" in text else "\n")
    writer.writeheader()
    writer.writerows(rows)
    write_text_atomic(path, out.getvalue())
    return f"{INDEX_FILE}: {updated} of {len(rows)} rows record {class_map.name}"
