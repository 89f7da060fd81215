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
from pathlib import Path, PurePosixPath
from typing import Any

from joblib import Parallel, delayed

from rdc_extract.batch.index import INDEX_NAME as INDEX_FILE
from rdc_extract.batch.index import columns_of, flatten
from rdc_extract.dataset.files import write_json
from rdc_extract.errors import NotADataset
from rdc_extract.labels.classmap import ClassMap
from rdc_extract.labels.files import LABEL_FILES, META_FILE, label_summary, read_raw, write_labels, write_text_atomic

FRAMES_DIR = "frames"
INDEX_FRAME_COLUMN = "frame_id"
INDEX_LABEL_PREFIX = "label_mapping"  # batch flattens a frame's labels record into label_mapping.<key> columns
# the keys of that record batch keeps in the index (rdc_extract/batch/workers.py, make_record)

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
    record: dict[str, Any] | None = None  # the frame's meta.json `labels` entry, when labelled with this mapping


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
            return FrameOutcome(frame_id, CURRENT, {int(v): int(n) for v, n in recorded.items()}, record=labels)
        record = write_labels(frame_dir, read_raw(frame_dir, class_map.source), class_map)
        meta["labels"] = record
        write_json(meta_path, meta)
        return FrameOutcome(frame_id, RELABELLED, {int(v): n for v, n in record["unmapped"].items()}, record=record)
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
    labelled = {o.frame_id: o.record for o in outcomes if o.record is not None}
    note = update_index(out_dir, class_map.name, labelled)
    return RelabelReport(out_dir, class_map.name, class_map.sha256, outcomes, note)


def _label_cells(frame_id: str, record: dict[str, Any]) -> dict[str, str]:
    """A frame's label columns as batch writes them: the flattened record, and the label output paths."""
    summary = label_summary(record)
    cells = {key: "" if value is None else str(value) for key, value in flatten(summary, INDEX_LABEL_PREFIX).items()}
    frame_dir = PurePosixPath(FRAMES_DIR) / frame_id
    files = record.get("files") or {}
    for kind in LABEL_FILES:
        cells[f"outputs.labels_{kind}"] = str(frame_dir / files[kind]) if kind in files else ""
    return cells


def update_index(out_dir: Path, mapping: str, labelled: dict[str, dict[str, Any]]) -> str:
    """Rewrite index.csv's label columns for the frames now labelled with the new mapping.

    ``labelled``: frame_id → its meta.json ``labels`` record. Those rows get
    exactly the cells `batch` would have written for that record
    (``label_mapping.*`` and ``outputs.labels_*``, rdc_extract/batch/index.py);
    other rows (failed, unfinished frames) keep theirs; label columns left empty
    in every row are dropped. Written atomically. Returns a note for the summary
    (index.csv is optional: batch writes it).
    """
    path = out_dir / INDEX_FILE
    if not path.is_file():
        return f"no {INDEX_FILE}: nothing to update"
    text = path.read_bytes().decode("utf-8")  # keep line endings as written (csv's default is \r\n)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if INDEX_FRAME_COLUMN not in (reader.fieldnames or []):
        return f"{INDEX_FILE} has no {INDEX_FRAME_COLUMN!r} column: not updated"
    rows = list(reader)
    updated = 0
    for row in rows:
        record = labelled.get(row[INDEX_FRAME_COLUMN])
        if record is None:
            continue
        for key in [k for k in row if _is_label_column(k)]:
            del row[key]
        row.update(_label_cells(row[INDEX_FRAME_COLUMN], record))
        updated += 1
    columns = [c for c in columns_of(rows) if not _is_label_column(c) or any(row.get(c) for row in rows)]
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=columns, restval="", extrasaction="ignore",
                            lineterminator="\r\n" if "\r\n" in text else "\n")
    writer.writeheader()
    writer.writerows(rows)
    write_text_atomic(path, out.getvalue())
    return f"{INDEX_FILE}: {updated} of {len(rows)} rows record {mapping}"


def _is_label_column(column: str) -> bool:
    return column.startswith(f"{INDEX_LABEL_PREFIX}.") or column.startswith("outputs.labels_")
