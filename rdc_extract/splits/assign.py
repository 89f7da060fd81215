"""Assigning groups of frames (runs, seeds, scenarios) to splits: pure and deterministic.

Frames of one group are alike (one run of the game, one seeded world, one
weather and time of day), so a group goes whole into one split: no split sees
a group another split was trained or evaluated on. Groups are placed largest
first, each into the split furthest below its share of frames; then single
moves and pairwise swaps that bring the frames per split closer to the ratios
(least squares) are made while there are any. That honours the ratios as
closely as the group sizes allow in nearly every case tried against all
assignments, and misses by less than one group otherwise. The seed orders
groups of equal size, so it decides which of them go where. Every split with a ratio above 0 gets at least
one group. The result depends only on the group sizes, the
ratios, the names and the seed (and on the groups kept from before), never on
the order frames are listed in.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_NAMES = {1: ("all",), 2: ("train", "val"), 3: ("train", "val", "test")}
MAX_SWAP_GROUPS = 400   # swaps are tried while there are at most this many groups to place (pairs: n²)
SPLIT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")   # it names export files: instances_<split>.json


class SplitPlanError(ValueError):
    """Splits that cannot be assigned as asked: bad ratios or names (`option` says which), or fewer groups than
    splits to fill."""

    def __init__(self, message: str, option: str = "--ratios") -> None:
        super().__init__(message)
        self.option = option


@dataclass(frozen=True)
class SplitPlan:
    """Split names, their shares of the frames (summing to 1) and the seed ordering groups of equal size."""

    names: tuple[str, ...]
    ratios: tuple[float, ...]
    seed: int = 0


def parse_plan(ratios: str, names: str | None = None, seed: int = 0) -> SplitPlan:
    """`"0.8,0.1,0.1"` (any non-negative numbers, scaled to sum 1) and `"train,val,test"` (default for 2 or 3
    ratios) → a plan; SplitPlanError says what is wrong."""
    try:
        shares = tuple(float(text) for text in ratios.split(","))
    except ValueError:
        raise SplitPlanError(f"expected numbers separated by commas, like 0.8,0.1,0.1, got {ratios!r}") from None
    if any(not math.isfinite(share) or share < 0 for share in shares) or sum(shares) <= 0:
        raise SplitPlanError(f"expected ratios ≥ 0, at least one above 0, got {ratios!r}")
    if names is None:
        if len(shares) not in DEFAULT_NAMES:
            raise SplitPlanError(f"{len(shares)} ratios: name the splits with --names", "--names")
        chosen = DEFAULT_NAMES[len(shares)]
    else:
        chosen = tuple(name.strip() for name in names.split(","))
    if len(chosen) != len(shares):
        raise SplitPlanError(f"{len(chosen)} names for {len(shares)} ratios", "--names")
    for name in chosen:
        if not SPLIT_NAME.fullmatch(name):
            raise SplitPlanError(f"split name {name!r}: expected letters, digits, _ and - (it names exported files)",
                                 "--names")
    if len(set(chosen)) != len(chosen):
        raise SplitPlanError(f"split names must differ, got {','.join(chosen)}", "--names")
    total = sum(shares)
    return SplitPlan(chosen, tuple(share / total for share in shares), seed)


def _tiebreak(seed: int, group: str) -> str:
    return hashlib.sha256(f"{seed}\0{group}".encode("utf-8", "surrogatepass")).hexdigest()


def assign_groups(sizes: Mapping[str, int], plan: SplitPlan,
                  keep: Mapping[str, str] | None = None) -> dict[str, str]:
    """Group → split name for every group of `sizes` (group → frames).

    `keep`: groups already assigned (group → split), left where they are when
    the group still exists and the plan still has that split; the others are
    placed around them. Raises SplitPlanError when there are fewer groups than
    splits with a ratio above 0.
    """
    wanted = [index for index, ratio in enumerate(plan.ratios) if ratio > 0]
    if len(sizes) < len(wanted):
        raise SplitPlanError(f"{len(sizes)} group{'s' if len(sizes) != 1 else ''} of frames cannot fill "
                             f"{len(wanted)} splits ({', '.join(plan.names[i] for i in wanted)}): every split "
                             "needs a group of its own; use fewer splits or group by something finer")
    total = sum(sizes.values())
    targets = [ratio * total for ratio in plan.ratios]
    frames = [0] * len(plan.names)
    groups = [0] * len(plan.names)
    assigned: dict[str, str] = {}
    for group, name in (keep or {}).items():
        if group in sizes and name in plan.names:
            index = plan.names.index(name)
            assigned[group] = name
            frames[index] += sizes[group]
            groups[index] += 1
    placing = sorted((group for group in sizes if group not in assigned),
                     key=lambda group: (-sizes[group], _tiebreak(plan.seed, group)))
    where: dict[str, int] = {}
    for position, group in enumerate(placing):
        empty = [index for index in wanted if groups[index] == 0]
        candidates = empty if empty and len(placing) - position <= len(empty) else wanted
        where[group] = max(candidates, key=lambda i: (targets[i] - frames[i], -i))
        frames[where[group]] += sizes[group]
        groups[where[group]] += 1
    _refine(placing, sizes, where, frames, groups, targets, wanted)
    assigned.update((group, plan.names[index]) for group, index in where.items())
    return assigned


def _refine(placed: list[str], sizes: Mapping[str, int], where: dict[str, int], frames: list[int],
            groups: list[int], targets: list[float], wanted: list[int]) -> None:
    """Make the best move of one placed group, or swap of two, that brings `frames` closer to `targets`, until
    none does; a split with a ratio above 0 keeps at least one group."""
    def error(change: dict[int, int]) -> float:
        return sum((frames[i] + change.get(i, 0) - targets[i]) ** 2 for i in range(len(frames)))

    for _ in range(4 * len(placed) + 4):
        best, step = error({}) - 1e-9, None
        for a, group in enumerate(placed):
            i, size = where[group], sizes[group]
            if groups[i] > 1 or i not in wanted:
                for j in wanted:
                    if j != i and error({i: -size, j: size}) < best:
                        best, step = error({i: -size, j: size}), (group, j, None)
            if len(placed) > MAX_SWAP_GROUPS:
                continue
            for other in placed[a + 1:]:
                j, delta = where[other], sizes[other] - size
                if j != i and delta and error({i: delta, j: -delta}) < best:
                    best, step = error({i: delta, j: -delta}), (group, j, other)
        if step is None:
            return
        group, j, other = step
        i = where[group]
        if other is None:
            frames[i], frames[j] = frames[i] - sizes[group], frames[j] + sizes[group]
            groups[i], groups[j] = groups[i] - 1, groups[j] + 1
        else:
            delta = sizes[other] - sizes[group]
            frames[i], frames[j] = frames[i] + delta, frames[j] - delta
            where[other] = i
        where[group] = j
