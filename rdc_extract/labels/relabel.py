"""Label every frame from its stored raw stencil and draw ids with another class mapping — no replay.

Each frame folder keeps the raw stencil (docs/dataset.md), and with
`--outputs …,drawids` its draw-id map and table, so a new class set costs
table lookups and three PNG writes per frame instead of a replay. Each
mapping's labels are a label set of their own beside the others
(labels/sets.py); the default set stays the one the frame had unless asked to
change, and a mapping written for another game is reported. The share
of scene pixels the mapping's signature rules label, and the largest
signatures they leave unlabelled, go to the summary and label_coverage.json.
Frames are independent and run in parallel on threads: PNG decoding,
the table lookups and zlib release the GIL, and threads spare the command the
second or two that starting worker processes costs. The run is resumable: a
frame whose meta.json already records this mapping's hash is skipped unless
forced, and since meta.json is rewritten last, an interrupted frame still
records its old mapping and is redone next time. The raw map is only read.
In a batch output the frames' manifest records are superseded, so a later
batch run keeps the relabelling; index.csv gets every labelled frame's row.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rdc_extract.batch.index import INDEX_NAME, frame_row, read_index, write_index
from rdc_extract.batch.manifest import DONE, MANIFEST_NAME, Manifest, frame_facts
from rdc_extract.dataset.lock import output_lock
from rdc_extract.dataset.files import write_json
from rdc_extract.dataset.names import META_FILE
from rdc_extract.dataset.publish import FRAMES_DIR
from rdc_extract.errors import NotADataset
from rdc_extract.labels.classmap import ClassMap
from rdc_extract.labels.files import read_draw_ids, read_draw_table, read_raw, write_labels
from rdc_extract.labels.meta import label_sets, label_sets_entry, label_summary, with_label_outputs
from rdc_extract.labels.sets import TOP, at_top, place, remove_folder, set_folder
from rdc_extract.labels.signature_rules import Coverage, coverage


RELABELLED, CURRENT, SWITCHED = "relabelled", "current", "switched"
UNFINISHED, FAILED, LINKED = "unfinished", "failed", "linked"
COVERAGE_NAME = "label_coverage.json"


@dataclass(frozen=True)
class FrameOutcome:
    """What happened to one frame folder.

    ``status``: ``relabelled``; ``current`` (already labelled with this mapping,
    skipped); ``switched`` (already labelled with it, now made the default);
    ``unfinished`` (no meta.json: extraction has not finished it, left
    alone); ``failed`` (``error`` says why); ``linked`` (a symbolic link in
    ``frames/``, not followed: it may lead out of the dataset). ``unmapped``: raw value → pixel
    count of values the mapping does not cover (for ``current`` frames, as
    recorded in their meta.json).
    """

    frame_id: str
    status: str
    unmapped: dict[int, int] = field(default_factory=dict)
    error: str | None = None
    record: dict[str, Any] | None = None  # this mapping's label set record, when the frame has it
    coverage: Coverage | None = None  # scene pixels signature rules label; None when the frame has no draw ids
    default: dict[str, Any] | None = None  # the frame's meta.json `labels` entry: its default set, afterwards
    sets: tuple[str, ...] = ()  # the names of its label sets, the default first
    profile: str | None = None   # the profile that made the frame, where recorded
    game: str | None = None      # the game its sidecar names, where recorded
    facts: dict[str, Any] | None = None  # meta.json's image size and intrinsics, for the manifest and index


@dataclass
class RelabelReport:
    out_dir: Path
    mapping: str
    mapping_sha256: str
    frames: list[FrameOutcome]
    index_note: str  # what happened to manifest.jsonl and index.csv, for the summary
    signature_rules: int = 0  # how many the mapping has: without any, frames lacking draw ids are unremarkable
    game: str | None = None  # the game the mapping says it is for
    mapping_path: Path | None = None
    made_default: bool = False  # asked to make this mapping's labels the default set

    @property
    def other_games(self) -> dict[str, int]:
        """Frames made for a game other than the mapping's, by their game (`'G'`: the one their sidecar names;
        `profile 'P'`: the profile that made them, when no sidecar names one) → frames; none when the mapping
        names no game. A frame whose profile or sidecar names the mapping's game is its game's."""
        others: dict[str, int] = {}
        if self.game is None:
            return others
        for frame in self.labelled:
            if (frame.profile or frame.game) and self.game not in (frame.profile, frame.game):
                known = repr(frame.game) if frame.game else f"profile {frame.profile!r}"
                others[known] = others.get(known, 0) + 1
        return dict(sorted(others.items(), key=lambda item: (-item[1], item[0])))

    def game_warning(self) -> str | None:
        """One line when the mapping was written for another game than the frames'."""
        others = self.other_games
        if not others:
            return None
        frames = sum(others.values())
        games = ", ".join(f"{name} ({count})" for name, count in others.items())
        where = self.mapping_path or self.mapping
        return (f"{where}: mapping {self.mapping!r} is for game {self.game!r}, but {frames} of "
                f"{len(self.labelled)} frames are of other games: {games}")

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
        return [f for f in self.frames if f.status in (RELABELLED, CURRENT, SWITCHED)]

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
        raise NotADataset.without_frames(out_dir)
    entries = sorted(p for p in frames.iterdir() if not p.name.startswith("."))
    links = [p for p in entries if p.is_symlink()]
    return [p for p in entries if not p.is_symlink() and p.is_dir()], links


def _profile_and_game(meta: dict[str, Any]) -> dict[str, str | None]:
    """The profile that made the frame and the game its sidecar names, where meta.json records them."""
    def text(entry: Any, key: str) -> str | None:
        value = entry.get(key) if isinstance(entry, dict) else None
        return value if isinstance(value, str) else None

    return {"profile": text(meta.get("profile"), "name"), "game": text(meta.get("scenario"), "game")}


def relabel_frame(frame_dir: Path, class_map: ClassMap, force: bool = False,
                  make_default: bool = False) -> FrameOutcome:
    """Label one frame folder with `class_map`; never raises — a problem becomes a ``failed`` outcome naming it.

    The labels go to the top of the folder when they are (or become, as the
    frame's first set) the default, else to ``labels/<mapping>/``;
    ``make_default`` makes them the default (labels/sets.py).
    """
    frame_id = frame_dir.name
    meta_path = frame_dir / META_FILE
    if not meta_path.is_file():
        return FrameOutcome(frame_id, UNFINISHED)
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if not isinstance(meta, dict):
            raise ValueError(f"{meta_path}: expected a JSON object")
        default, sets = label_sets(meta)
        name = class_map.name
        record = sets.get(name)
        draws = read_draw_table(frame_dir)
        covered = None if draws is None else coverage(draws, class_map.rules)
        current = not force and isinstance(record, dict) and record.get("mapping_sha256") == class_map.sha256
        top = default in (None, name)
        facts = frame_facts(meta)
        outcome = FrameOutcome(frame_id, CURRENT, coverage=covered, **_profile_and_game(meta),
                               facts={"image": facts["image"], "intrinsics": facts["intrinsics"]})
        if current and (top or not make_default):
            return _outcome(outcome, record, default, sets)
        if not current:
            draw_ids = None if draws is None else read_draw_ids(frame_dir, draws)
            stencil_free = draw_ids is not None and not class_map.has_stencil_rules
            raw = None if stencil_free else read_raw(frame_dir, class_map.source)
            record = write_labels(frame_dir, raw, class_map, draw_ids, TOP if top else set_folder(name))
        if not top and make_default:
            if at_top(sets[default]):   # keep the old default's images, and say where, before they are replaced
                sets[name] = record
                sets[default] = place(frame_dir, sets[default], TOP, set_folder(default))
                meta["label_sets"] = label_sets_entry(default, sets)
                write_json(meta_path, meta)
            record = place(frame_dir, record, set_folder(name), TOP)
        sets[name] = record
        if top or make_default:
            default = name
        meta["labels"] = sets[default]
        meta["label_sets"] = label_sets_entry(default, sets)
        meta["outputs"] = with_label_outputs(meta.get("outputs") or {}, sets[default])
        write_json(meta_path, meta)
        if default == name:
            remove_folder(frame_dir, name)   # moved to the top, or left by an interrupted switch
        status = SWITCHED if current else RELABELLED
        return _outcome(dataclasses.replace(outcome, status=status), record, default, sets)
    except Exception as exc:  # noqa: BLE001 — one bad frame is a record, not the end of the run
        return FrameOutcome(frame_id, FAILED, error=f"{type(exc).__name__}: {exc}")


def _outcome(outcome: FrameOutcome, record: dict[str, Any], default: str, sets: dict[str, Any]) -> FrameOutcome:
    unmapped = {int(value): int(count) for value, count in (record.get("unmapped") or {}).items()}
    names = tuple(sorted(sets, key=lambda set_name: (set_name != default, set_name)))
    return dataclasses.replace(outcome, unmapped=unmapped, record=record, default=sets[default], sets=names)


def relabel_dataset(
    out_dir: str | Path,
    class_map: ClassMap,
    *,
    jobs: int = -1,
    force: bool = False,
    make_default: bool = False,
    on_start: Callable[[int], None] | None = None,
    on_frame: Callable[[FrameOutcome], None] | None = None,
) -> RelabelReport:
    """Label every finished frame of the dataset at ``out_dir`` with ``class_map``, then record it in manifest and
    index.

    ``jobs``: worker threads (as joblib counts: -1 = all cores, 1 = one at a
    time). ``force``: redo frames already labelled with this mapping.
    ``make_default``: make its labels each frame's default set.
    ``on_start(frames)`` is called once the frames are counted, ``on_frame``
    once per frame as outcomes arrive (for progress). Holds the output
    folder's batch lock throughout. Raises NotADataset if ``out_dir`` has no
    frames folder, BatchError if a batch is writing to it; per-frame problems
    are ``failed`` outcomes in the report.
    """
    out_dir = Path(out_dir)
    dirs, links = frame_dirs(out_dir)
    threads = max(1, jobs if jobs > 0 else (os.cpu_count() or 1) + 1 + jobs)
    with output_lock(out_dir), ThreadPoolExecutor(min(threads, max(len(dirs), 1))) as pool:
        if on_start is not None:
            on_start(len(dirs))
        outcomes = [FrameOutcome(link.name, LINKED, error=f"symbolic link to {os.readlink(link)}, not followed")
                    for link in links]
        for outcome in pool.map(lambda frame_dir: relabel_frame(frame_dir, class_map, force, make_default), dirs):
            outcomes.append(outcome)
            if on_frame is not None:
                on_frame(outcome)
        note = record_relabels(out_dir, class_map.name, [o for o in outcomes if o.default is not None])
        report = RelabelReport(out_dir, class_map.name, class_map.sha256, outcomes, note,
                               len(class_map.rules.exact) + len(class_map.rules.names), class_map.game,
                               class_map.path, make_default)
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


def _frame_rows(out_dir: Path, frames: list[FrameOutcome], previous: dict[str, dict[str, str]]) -> list[dict]:
    """Index rows, from their meta.json, of labelled frames no manifest record names (`extract` made them)."""
    rows = []
    for frame in frames:
        meta = json.loads((out_dir / FRAMES_DIR / frame.frame_id / META_FILE).read_text(encoding="utf-8"))
        capture = meta.get("capture")
        capture = capture.get("path") if isinstance(capture, dict) else capture
        rows.append(frame_row(frame.frame_id, previous.get(frame.frame_id, {}).get("capture", capture), meta))
    return rows


def record_relabels(out_dir: Path, mapping: str, labelled: list[FrameOutcome]) -> str:
    """Make the batch's manifest and index.csv say which labels each labelled frame carries now.

    Each done manifest record of such a frame is superseded by a copy with its
    default set's ``label_mapping`` and ``labels_*`` outputs, its ``label_sets``,
    image size and intrinsics (and ``relabelled_at``), so a later batch run
    keeps the relabelling; the
    index is rewritten with those records and, for frames no record names, a row
    from their meta.json. Returns a note for the summary.
    """
    previous = read_index(out_dir, as_written=True) or {}
    if not (out_dir / MANIFEST_NAME).is_file():
        write_index(out_dir, rows=_frame_rows(out_dir, labelled, previous), previous=previous)
        return f"{INDEX_NAME}: {len(labelled)} frames (no {MANIFEST_NAME}: not made by batch)"
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    updated = 0
    by_frame = {frame.frame_id: frame for frame in labelled}
    with Manifest(out_dir) as manifest:
        done = [record for record in manifest.records.values() if record.get("status") == DONE]
        for record in done:
            frame = by_frame.get(record.get("frame_id"))
            if frame is None:
                continue
            change = {**(frame.facts or {}), "label_mapping": label_summary(frame.default),
                      "label_sets": list(frame.sets),
                      "outputs": with_label_outputs(record.get("outputs") or {}, frame.default)}
            if all(record.get(key) == value for key, value in change.items()):
                continue
            manifest.append({**record, **change, "relabelled_at": now})
            updated += 1
        named = {record.get("frame_id") for record in manifest.records.values()}
        rows = _frame_rows(out_dir, [frame for frame in labelled if frame.frame_id not in named], previous)
        write_index(out_dir, manifest.records.values(), rows=rows, previous=previous)
        if manifest.superseded_lines:
            manifest.compact()
    return f"{MANIFEST_NAME} and {INDEX_NAME}: {updated} of {len(done)} done frames newly record {mapping}"
