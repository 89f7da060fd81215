"""Rebuild every frame's labels from its stored raw stencil and draw ids with a new class mapping — no replay.

Each frame folder keeps the raw stencil (docs/dataset.md), and with
`--outputs …,drawids` its draw-id map and table, so a new class set costs
table lookups and three PNG writes per frame instead of a replay. The share
of scene pixels the mapping's signature rules label, and the largest
signatures they leave unlabelled, go to the summary and label_coverage.json.
Frames are independent and run in parallel on threads (joblib): PNG decoding,
the table lookups and zlib release the GIL, and threads spare the command the
second or two that starting worker processes costs. The run is resumable: a
frame whose meta.json already records this mapping's hash is skipped unless
forced, and since meta.json is rewritten last, an interrupted frame still
records its old mapping and is redone next time. The raw map is only read.
In a batch output the frames' manifest records are superseded and index.csv
rebuilt from the manifest, so a later batch run keeps the relabelling.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from joblib import Parallel, delayed

from rdc_extract.batch.index import INDEX_NAME, write_index
from rdc_extract.batch.manifest import DONE, MANIFEST_NAME, Manifest
from rdc_extract.dataset.lock import output_lock
from rdc_extract.dataset.files import write_json
from rdc_extract.dataset.publish import FRAMES_DIR
from rdc_extract.errors import NotADataset
from rdc_extract.labels.classmap import ClassMap
from rdc_extract.labels.files import (
    META_FILE, label_summary, read_draw_ids, read_draw_table, read_raw, with_label_outputs, write_labels,
)
from rdc_extract.labels.signature_rules import Coverage, coverage


RELABELLED, CURRENT, UNFINISHED, FAILED, LINKED = "relabelled", "current", "unfinished", "failed", "linked"
COVERAGE_NAME = "label_coverage.json"


@dataclass(frozen=True)
class FrameOutcome:
    """What happened to one frame folder.

    ``status``: ``relabelled``; ``current`` (already labelled with this mapping,
    skipped); ``unfinished`` (no meta.json: extraction has not finished it, left
    alone); ``failed`` (``error`` says why); ``linked`` (a symbolic link in
    ``frames/``, not followed: it may lead out of the dataset). ``unmapped``: raw value → pixel
    count of values the mapping does not cover (for ``current`` frames, as
    recorded in their meta.json).
    """

    frame_id: str
    status: str
    unmapped: dict[int, int] = field(default_factory=dict)
    error: str | None = None
    record: dict[str, Any] | None = None  # the frame's meta.json `labels` entry, when labelled with this mapping
    coverage: Coverage | None = None  # scene pixels signature rules label; None when the frame has no draw ids


@dataclass
class RelabelReport:
    out_dir: Path
    mapping: str
    mapping_sha256: str
    frames: list[FrameOutcome]
    index_note: str  # what happened to manifest.jsonl and index.csv, for the summary
    signature_rules: int = 0  # how many the mapping has: without any, frames lacking draw ids are unremarkable

    def count(self, status: str) -> int:
        return sum(1 for f in self.frames if f.status == status)

    @property
    def failed(self) -> list[FrameOutcome]:
        return [f for f in self.frames if f.status == FAILED]

    @property
    def linked(self) -> list[FrameOutcome]:
        return [f for f in self.frames if f.status == LINKED]

    @property
    def labelled(self) -> list[FrameOutcome]:
        return [f for f in self.frames if f.status in (RELABELLED, CURRENT)]

    @property
    def without_draw_ids(self) -> list[str]:
        """Labelled frames that have no draw ids: stencil rules alone labelled them."""
        return [f.frame_id for f in self.labelled if f.coverage is None]

    @property
    def coverage(self) -> Coverage:
        """Scene pixels of every labelled frame with draw ids: labelled by a signature rule, or not (by signature)."""
        total = Coverage()
        for frame in self.labelled:
            if frame.coverage is not None:
                total.add(frame.coverage)
        return total

    @property
    def unmapped(self) -> dict[int, tuple[int, int]]:
        """Raw value → (total pixels, number of frames) over all labelled frames, by value."""
        totals: dict[int, tuple[int, int]] = {}
        for frame in self.frames:
            for value, pixels in frame.unmapped.items():
                seen_pixels, seen_frames = totals.get(value, (0, 0))
                totals[value] = (seen_pixels + pixels, seen_frames + 1)
        return dict(sorted(totals.items()))


def frame_dirs(out_dir: Path) -> tuple[list[Path], list[Path]]:
    """The dataset's frame folders and, apart, the symbolic links among them, both sorted.

    Links are never followed: relabel writes only inside the dataset. Raises
    NotADataset when there is no ``frames/`` folder or it is itself a link.
    """
    frames = Path(out_dir) / FRAMES_DIR
    if frames.is_symlink():
        raise NotADataset(out_dir, f"{FRAMES_DIR}/ is a symbolic link; relabel only writes inside the dataset folder")
    if not frames.is_dir():
        raise NotADataset(out_dir, f"not a dataset: no {FRAMES_DIR}/ folder (see docs/dataset.md)")
    entries = sorted(p for p in frames.iterdir() if not p.name.startswith("."))
    links = [p for p in entries if p.is_symlink()]
    return [p for p in entries if not p.is_symlink() and p.is_dir()], links


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
        draws = read_draw_table(frame_dir)
        covered = None if draws is None else coverage(draws, class_map.rules)
        if not force and isinstance(labels, dict) and labels.get("mapping_sha256") == class_map.sha256:
            recorded = labels.get("unmapped") or {}
            return FrameOutcome(frame_id, CURRENT, {int(v): int(n) for v, n in recorded.items()}, record=labels,
                                coverage=covered)
        draw_ids = None if draws is None else read_draw_ids(frame_dir, draws)
        stencil_free = draw_ids is not None and not class_map.has_stencil_rules
        raw = None if stencil_free else read_raw(frame_dir, class_map.source)
        record = write_labels(frame_dir, raw, class_map, draw_ids)
        meta["labels"] = record
        meta["outputs"] = with_label_outputs(meta.get("outputs") or {}, record)
        write_json(meta_path, meta)
        return FrameOutcome(frame_id, RELABELLED, {int(v): n for v, n in record["unmapped"].items()}, record=record,
                            coverage=covered)
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
    """Relabel every finished frame of the dataset at ``out_dir``, then record the mapping in manifest and index.

    ``jobs``: worker threads (joblib convention: -1 = all cores, 1 = one at a
    time). ``force``: redo frames already labelled with this mapping.
    ``on_frame`` is called once per frame as outcomes arrive (for progress).
    Holds the output folder's batch lock throughout. Raises NotADataset if
    ``out_dir`` has no frames folder, BatchError if a batch is writing to it;
    per-frame problems are ``failed`` outcomes in the report.
    """
    out_dir = Path(out_dir)
    dirs, links = frame_dirs(out_dir)
    with output_lock(out_dir):
        if jobs == 1 or len(dirs) <= 1:
            results: Iterable[FrameOutcome] = (relabel_frame(d, class_map, force) for d in dirs)
        else:
            results = Parallel(n_jobs=jobs, prefer="threads", return_as="generator")(
                delayed(relabel_frame)(d, class_map, force) for d in dirs)
        outcomes = [FrameOutcome(link.name, LINKED, error=f"symbolic link to {os.readlink(link)}, not followed")
                    for link in links]
        for outcome in results:
            outcomes.append(outcome)
            if on_frame is not None:
                on_frame(outcome)
        labelled = {o.frame_id: o.record for o in outcomes if o.record is not None}
        note = record_relabels(out_dir, class_map.name, labelled)
        report = RelabelReport(out_dir, class_map.name, class_map.sha256, outcomes, note,
                               len(class_map.rules.exact) + len(class_map.rules.names))
        write_json(out_dir / COVERAGE_NAME, coverage_document(report))
    return report


def coverage_document(report: RelabelReport) -> dict[str, Any]:
    """label_coverage.json: the share of scene pixels signature rules label, and every unlabelled signature by
    pixels, largest first (what to label next)."""
    total = report.coverage

    def share(pixels: int) -> float:
        return round(pixels / total.scene_pixels, 6) if total.scene_pixels else 0.0

    return {
        "mapping": report.mapping,
        "mapping_sha256": report.mapping_sha256,
        "frames_labelled": len(report.labelled),
        "frames_without_draw_ids": report.without_draw_ids,
        "scene_pixels": total.scene_pixels,
        "labelled_pixels": total.labelled_pixels,
        "unlabelled_pixels": total.unlabelled_pixels,
        "labelled_share": share(total.labelled_pixels),
        "unlabelled_signatures": [
            {"signature": signature or None, "pixels": pixels, "share": share(pixels),
             "frames": total.frames[signature], "name": total.names[signature]}
            for signature, pixels in total.largest_unlabelled()],
    }


def record_relabels(out_dir: Path, mapping: str, labelled: dict[str, dict[str, Any]]) -> str:
    """Make the batch's manifest and index.csv say which labels each relabelled frame carries now.

    ``labelled``: frame_id → its meta.json ``labels`` record. Each done manifest
    record of such a frame is superseded by a copy with the new
    ``label_mapping`` and ``labels_*`` outputs (and ``relabelled_at``), then
    index.csv is rebuilt from the manifest as batch builds it, so a later batch
    run keeps the relabelling. Returns a note for the summary (a dataset made
    by ``extract`` alone has neither file).
    """
    if not (out_dir / MANIFEST_NAME).is_file():
        return f"no {MANIFEST_NAME}: not made by batch, no index to update"
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    updated = 0
    with Manifest(out_dir) as manifest:
        done = [record for record in manifest.records.values() if record.get("status") == DONE]
        for record in done:
            labels = labelled.get(record.get("frame_id"))
            if labels is None:
                continue
            outputs = with_label_outputs(record.get("outputs") or {}, labels)
            if record.get("label_mapping") == label_summary(labels) and record.get("outputs") == outputs:
                continue
            manifest.append({**record, "label_mapping": label_summary(labels), "outputs": outputs,
                             "relabelled_at": now})
            updated += 1
        write_index(out_dir, manifest.records.values())
        if manifest.superseded_lines:
            manifest.compact()
    return f"{MANIFEST_NAME} and {INDEX_NAME}: {updated} of {len(done)} done frames newly record {mapping}"
