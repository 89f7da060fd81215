"""The dataset card `OUT/README.md` (docs/preview.md): what a dataset holds, gathered from its frames.

Every frame is read through `rdc_extract.data`; what the card needs of it
(sizes, mapping, class pixels, depth histogram, sidecar) is kept per frame in
`OUT/card/frame_stats.json` with a fingerprint of the frame folder, so a rerun
reads only frames that were added, re-extracted or relabelled since. Each file
is written atomically, README.md last; a README.md the card did not write is
never replaced.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rdc_extract import __version__
from rdc_extract.data.reader import Dataset, Frame
from rdc_extract.dataset.files import write_png, write_text
from rdc_extract.dataset.lock import reading_lock
from rdc_extract.dataset.names import META_FILE
from rdc_extract.errors import DatasetFileError, PreviewError
from rdc_extract.preview.mappings import MappingClasses, mapping_classes
from rdc_extract.preview.stats import (
    ClassTally, DepthStats, ScenarioCounts, class_pixels, depth_stats, merge_depth, scenario_counts,
)

CARD_FILE = "README.md"
CARD_DIR = "card"
STATS_FILE = "frame_stats.json"
FAILURES_FILE = "failures.csv"   # rdc_extract/batch/index.py
CARD_MARK = "<!-- rdc-extract card:"
STATS_SCHEMA = "rdc-extract/card-frame-stats/1"
Progress = Callable[[str], None]


@dataclass(frozen=True)
class FrameRecord:
    """What the card needs of one frame; `mapping` is (name, sha256) of its labels."""

    size: tuple[int, int] | None
    profile: str | None
    api: str | None
    versions: tuple[str | None, str | None]   # rdc_extract, renderdoc
    mapping: tuple[str, str] | None
    class_pixels: dict[int, int]
    depth: DepthStats | None
    scenario: dict[str, Any] | None
    unit_assumed: bool = False   # depth in metres taking the game's unit as a metre: no profile stated it

    def to_json(self) -> dict[str, Any]:
        document = asdict(self)
        document["class_pixels"] = {str(label): count for label, count in self.class_pixels.items()}
        return document

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> FrameRecord:
        depth = document["depth"]
        return cls(
            size=tuple(document["size"]) if document["size"] else None, profile=document["profile"],
            api=document["api"], versions=tuple(document["versions"]),
            mapping=tuple(document["mapping"]) if document["mapping"] else None,
            class_pixels={int(label): count for label, count in document["class_pixels"].items()},
            depth=None if depth is None else DepthStats(**{**depth, "counts": tuple(depth["counts"])}),
            scenario=document["scenario"], unit_assumed=document.get("unit_assumed", False),
        )


def frame_record(frame: Frame) -> FrameRecord:
    """Read one frame's metadata, label ids and depth (DatasetFileError when a file is missing or unreadable)."""
    meta = frame.meta
    mapping = frame.label_mapping
    pixels = class_pixels(frame.labels("ids")) if mapping is not None and "ids" in mapping.files else {}
    depth = depth_stats(frame.depth()) if frame.has("depth") or frame.has("depth_kitti") else None
    versions = meta.get("versions") or {}
    size = frame.size if "image" in meta else None
    return FrameRecord(size, (meta.get("profile") or {}).get("name"), meta.get("api"),
                       (versions.get("rdc_extract"), versions.get("renderdoc")),
                       None if mapping is None else (mapping.name, mapping.sha256), pixels, depth, frame.scenario,
                       _unit_assumed(meta))


def _unit_assumed(meta: dict[str, Any]) -> bool:
    """Whether the frame's metres rest on taking the game's world unit as a metre (meta.json `depth`)."""
    scale = (meta.get("depth") or {}).get("metres_per_unit") or {}
    return isinstance(scale, dict) and str(scale.get("source", "")).startswith("assumed")


def fingerprint(frame: Frame) -> list[int]:
    """Changes whenever the frame is re-extracted (a new folder) or a file in it is replaced (relabel)."""
    folder, meta = os.stat(frame.folder), os.stat(frame.folder / META_FILE)
    return [folder.st_ino, folder.st_mtime_ns, meta.st_ino, meta.st_mtime_ns, meta.st_size]


@dataclass
class CardData:
    """Everything the card shows: `records` by frame id, `unreadable` frame id → one-line error."""

    name: str
    records: dict[str, FrameRecord]
    unreadable: dict[str, str]
    splits: Counter | None = None                 # split → frames; None without a `split` column
    failures: Counter | None = None               # cause → captures; None without failures.csv
    tallies: dict[tuple[str, str], ClassTally] = field(default_factory=dict)
    classes: dict[tuple[str, str], MappingClasses] = field(default_factory=dict)
    depth: DepthStats | None = None
    scenarios: ScenarioCounts | None = None

    @property
    def frames(self) -> int:
        return len(self.records) + len(self.unreadable)

    def count(self, what: Callable[[FrameRecord], Any]) -> Counter:
        return Counter(what(record) for record in self.records.values())


def collect(out: Path, on_frame: Progress | None = None) -> CardData:
    """The card's data for the dataset at `out`, reusing the per-frame statistics of frames unchanged since."""
    dataset = Dataset(out)
    cached = _read_stats(out)
    records: dict[str, FrameRecord] = {}
    fresh: dict[str, dict[str, Any]] = {}
    unreadable: dict[str, str] = {}
    for frame in dataset:
        try:
            stamp = fingerprint(frame)
            record = _cached_record(cached.get(frame.frame_id), stamp) or frame_record(frame)
            records[frame.frame_id] = record
            fresh[frame.frame_id] = {"fingerprint": stamp, "record": record.to_json()}
        except FileNotFoundError:
            unreadable[frame.frame_id] = str(DatasetFileError(frame.folder / META_FILE, "missing"))
        except DatasetFileError as exc:
            unreadable[frame.frame_id] = str(exc)
        if on_frame is not None:
            on_frame(frame.frame_id)
    document = {"schema": STATS_SCHEMA, "frames": fresh}   # compact: ~1.5 kB a frame
    write_text(out / CARD_DIR / STATS_FILE, json.dumps(document, separators=(",", ":"), allow_nan=False) + "\n")
    return summarise(out.resolve().name, records, unreadable, _splits(dataset), _failures(out))


def summarise(name: str, records: dict[str, FrameRecord], unreadable: dict[str, str],
              splits: Counter | None = None, failures: Counter | None = None) -> CardData:
    """Tally the per-frame records (no frame file is read: tests build records by hand)."""
    data = CardData(name, records, unreadable, splits, failures)
    for record in records.values():
        if record.mapping is not None:
            data.tallies.setdefault(record.mapping, ClassTally()).add(record.class_pixels)
    data.classes = {key: mapping_classes(*key) for key in sorted(data.tallies)}
    depths = [record.depth for record in records.values() if record.depth is not None]
    data.depth = merge_depth(depths) if depths else None
    data.scenarios = scenario_counts(record.scenario for record in records.values())
    return data


def _cached_record(entry: Any, stamp: list[int]) -> FrameRecord | None:
    """The record kept for a frame if the frame is unchanged since (and the entry is well formed)."""
    if not isinstance(entry, dict) or entry.get("fingerprint") != stamp:
        return None
    try:
        return FrameRecord.from_json(entry["record"])
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def _read_stats(out: Path) -> dict[str, dict[str, Any]]:
    """The previous run's per-frame statistics; nothing when absent, unreadable or of another schema."""
    try:
        document = json.loads((out / CARD_DIR / STATS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(document, dict) or document.get("schema") != STATS_SCHEMA:
        return {}
    frames = document.get("frames")
    return frames if isinstance(frames, dict) else {}


def _splits(dataset: Dataset) -> Counter | None:
    rows = dataset.index()
    if not rows or "split" not in rows[0]:
        return None
    return Counter(row["split"] or "(none)" for row in rows)


def _failures(out: Path) -> Counter | None:
    path = out / FAILURES_FILE
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            return Counter(row.get("cause") or "(no cause)" for row in csv.DictReader(handle))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DatasetFileError(path, f"cannot read the failures ({exc})") from None


def check_card_target(out: Path) -> None:
    """Refuse before any work to replace an OUT/README.md that the card did not write."""
    path = out / CARD_FILE
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            first = handle.readline()
    except FileNotFoundError:
        return
    if not first.startswith(CARD_MARK):
        raise PreviewError(path, "exists and was not written by `rdc-extract card`; move it away to write the card")


@dataclass(frozen=True)
class CardFiles:
    card: Path
    plots: list[Path]


def plot_name(mapping: tuple[str, str], all_mappings: list[tuple[str, str]]) -> str:
    """`classes-<mapping>.png`, with the start of its sha256 when two mappings share a name."""
    name, sha256 = mapping
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    if sum(other[0] == name for other in all_mappings) > 1:
        stem += f"-{sha256[:12]}"
    return f"classes-{stem}.png"


def write_card(out: Path, on_frame: Progress | None = None) -> CardFiles:
    """Collect the statistics (no writer may hold OUT meanwhile) and write OUT/card/*.png, then OUT/README.md."""
    from rdc_extract.preview import plots
    from rdc_extract.preview.card_text import card_markdown

    check_card_target(out)
    with reading_lock(out):
        data = collect(out, on_frame)
    folder = out / CARD_DIR
    written: list[Path] = []
    class_plots: dict[tuple[str, str], str] = {}
    mappings = sorted(data.tallies)
    for mapping in mappings:
        name = plot_name(mapping, mappings)
        written.append(write_png(folder / name, plots.class_bars(data.tallies[mapping], data.classes[mapping])))
        class_plots[mapping] = f"{CARD_DIR}/{name}"
    depth_plot = None
    if data.depth is not None and data.depth.valid:
        written.append(write_png(folder / "depth.png", plots.depth_histogram(data.depth)))
        depth_plot = f"{CARD_DIR}/depth.png"
    for stale in set(folder.glob("classes-*.png")) - set(written):
        stale.unlink(missing_ok=True)
    if depth_plot is None:
        (folder / "depth.png").unlink(missing_ok=True)
    card = write_text(out / CARD_FILE, card_markdown(data, class_plots, depth_plot, __version__))
    return CardFiles(card, written)
