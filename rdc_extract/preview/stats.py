"""The dataset card's numbers (docs/preview.md), from plain data: arrays and dicts in, tallies out.

Per-frame statistics are small and mergeable, so the card keeps them per
frame and a rerun recomputes only frames that changed: class pixel counts by
label id, and depth as exact min/max plus a histogram on fixed log-spaced
bins, from which the dataset's percentiles are read to within one bin
(`DEPTH_BIN_RATIO`, 3.7 %).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

DEPTH_BINS_PER_DECADE = 64
DEPTH_LOWEST_M = 1e-3   # 1 mm .. 1000 km: values outside count in the end bins (min/max stay exact)
DEPTH_DECADES = 9
DEPTH_BINS = DEPTH_BINS_PER_DECADE * DEPTH_DECADES
DEPTH_BIN_RATIO = 10 ** (1 / DEPTH_BINS_PER_DECADE)
DEPTH_PERCENTS = (1, 5, 50, 95, 99)
# Sidecar fields that identify one capture or measure it rather than set its scenario (docs/capture.md).
IDENTIFYING_FIELDS = frozenset({"schema", "schema_version", "capture", "capture_sha256", "captured_at_utc",
                                "ground_truth", "frame_number", "capture_index", "written_by", "player_pose"})
MAX_SCENARIO_VALUES = 12   # a field with more distinct values is a measurement, not a scenario setting


def depth_bin_edges() -> np.ndarray:
    """The DEPTH_BINS + 1 edges in metres, log-spaced from DEPTH_LOWEST_M."""
    return DEPTH_LOWEST_M * np.power(10.0, np.arange(DEPTH_BINS + 1) / DEPTH_BINS_PER_DECADE)


@dataclass(frozen=True)
class DepthStats:
    """One frame's depth, or several merged: `counts` is the histogram slab starting at bin `first_bin`."""

    valid: int
    invalid: int
    low: float | None = None
    high: float | None = None
    first_bin: int = 0
    counts: tuple[int, ...] = ()

    def histogram(self) -> np.ndarray:
        """The full DEPTH_BINS histogram."""
        full = np.zeros(DEPTH_BINS, dtype=np.int64)
        full[self.first_bin:self.first_bin + len(self.counts)] = self.counts
        return full


def depth_stats(depth: np.ndarray) -> DepthStats:
    """Statistics of a float depth map in metres, NaN (or inf, 0) where invalid (`Frame.depth()`)."""
    valid = depth[np.isfinite(depth) & (depth > 0)].astype(np.float64)
    if not valid.size:
        return DepthStats(valid=0, invalid=int(depth.size))
    bins = np.clip(np.floor(np.log10(valid / DEPTH_LOWEST_M) * DEPTH_BINS_PER_DECADE), 0, DEPTH_BINS - 1)
    histogram = np.bincount(bins.astype(np.int64), minlength=DEPTH_BINS)
    return _from_histogram(int(valid.size), int(depth.size - valid.size), float(valid.min()), float(valid.max()),
                           histogram)


def _from_histogram(valid: int, invalid: int, low: float | None, high: float | None,
                    histogram: np.ndarray) -> DepthStats:
    used = np.flatnonzero(histogram)
    if not used.size:
        return DepthStats(valid=valid, invalid=invalid)
    first, last = int(used[0]), int(used[-1])
    return DepthStats(valid, invalid, low, high, first, tuple(int(n) for n in histogram[first:last + 1]))


def merge_depth(parts: Iterable[DepthStats]) -> DepthStats:
    """Several frames' depth statistics as one."""
    parts = list(parts)
    lows = [part.low for part in parts if part.low is not None]
    highs = [part.high for part in parts if part.high is not None]
    histogram = sum((part.histogram() for part in parts), np.zeros(DEPTH_BINS, dtype=np.int64))
    return _from_histogram(sum(part.valid for part in parts), sum(part.invalid for part in parts),
                           min(lows) if lows else None, max(highs) if highs else None, histogram)


def depth_percentiles(stats: DepthStats, percents: Sequence[float] = DEPTH_PERCENTS) -> list[float]:
    """Percentiles of the valid depth, interpolated geometrically inside the bin that holds each one and kept
    within [low, high]; empty when no pixel had depth."""
    if not stats.valid or stats.low is None or stats.high is None:
        return []
    edges = depth_bin_edges()
    histogram = stats.histogram()
    cumulative = np.cumsum(histogram)
    values = []
    for percent in percents:
        target = percent / 100 * stats.valid
        index = min(int(np.searchsorted(cumulative, target, side="left")), DEPTH_BINS - 1)
        before = cumulative[index - 1] if index else 0
        inside = (target - before) / histogram[index] if histogram[index] else 0.0
        value = edges[index] * (edges[index + 1] / edges[index]) ** inside
        values.append(float(min(max(value, stats.low), stats.high)))
    return values


def class_pixels(ids: np.ndarray) -> dict[int, int]:
    """{label id: pixels} of a label-id image (uint8), ids that occur only."""
    counts = np.bincount(ids.ravel(), minlength=1)
    return {int(value): int(counts[value]) for value in np.flatnonzero(counts)}


@dataclass
class ClassTally:
    """One class mapping's labels over the frames labelled with it."""

    frames: int = 0
    pixels: Counter = field(default_factory=Counter)          # label id → pixels
    frames_with: Counter = field(default_factory=Counter)     # label id → frames where it occurs

    @property
    def total_pixels(self) -> int:
        return sum(self.pixels.values())

    def add(self, pixels: Mapping[int, int]) -> None:
        self.frames += 1
        self.pixels.update(pixels)
        self.frames_with.update(label for label, count in pixels.items() if count)


def flat_scalars(value: Any, prefix: str = "") -> dict[str, Any]:
    """`{"a": {"b": 1}, "c": [1]}` → `{"a.b": 1}`: nested keys dotted as in index.csv, lists and nulls left out."""
    if isinstance(value, Mapping):
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(flat_scalars(item, f"{prefix}{key}."))
        return flat
    if value is None or isinstance(value, (list, tuple)):
        return {}
    return {prefix[:-1]: value}


@dataclass(frozen=True)
class ScenarioCounts:
    """Frames per value of each scenario field; `many`: fields with too many values to list (field → count)."""

    fields: dict[str, Counter]
    many: dict[str, int]


def scenario_counts(scenarios: Iterable[Mapping[str, Any] | None]) -> ScenarioCounts:
    """Frames per value of each sidecar field (flattened), identifying fields (capture name, time, …) left out."""
    values: dict[str, Counter] = {}
    for scenario in scenarios:
        for key, value in flat_scalars(scenario or {}).items():
            if key.split(".")[0] not in IDENTIFYING_FIELDS:
                values.setdefault(key, Counter())[shown_value(value)] += 1
    listed = {key: counts for key, counts in sorted(values.items()) if len(counts) <= MAX_SCENARIO_VALUES}
    many = {key: len(counts) for key, counts in sorted(values.items()) if len(counts) > MAX_SCENARIO_VALUES}
    return ScenarioCounts(listed, many)


def shown_value(value: Any) -> str:
    """A sidecar value as the card and the gallery show it (JSON's true/false)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def sorted_counts(counts: Mapping[Any, int]) -> list[tuple[Any, int]]:
    """Most frequent first, ties in the values' order (a card must not change between runs)."""
    return sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))
