"""`rdc-extract split`: group the index's frames, assign the groups to splits, write the `split` column and
`OUT/splits.json` (how the splits were made).

Running it again with the same plan (by, names, ratios, seed) keeps every
group where it was and places only groups that have no split yet (frames a
later batch added), so a model's test set does not change under it; a
different plan, or `reassign`, assigns every group anew.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rdc_extract import __version__
from rdc_extract.batch.index import INDEX_NAME, SPLIT_COLUMN, Written, index_cell, read_index, write_index
from rdc_extract.dataset.files import write_json
from rdc_extract.dataset.lock import output_lock
from rdc_extract.dataset.names import command_line, shown
from rdc_extract.dataset.publish import FRAMES_DIR
from rdc_extract.errors import DatasetIndexError, NotADataset
from rdc_extract.export.registry import suggested_export
from rdc_extract.splits.assign import SplitPlan, SplitPlanError, assign_groups
from rdc_extract.splits.groups import NO_GROUP, WHAT, group_of

SPLITS_NAME = "splits.json"


@dataclass
class SplitReport:
    """What `split` did: frames and groups per split, frames without the grouping value, kept or assigned anew."""

    out: Path
    by: str
    plan: SplitPlan
    frames: dict[str, int] = field(default_factory=dict)
    groups: dict[str, int] = field(default_factory=dict)
    ungrouped: int = 0          # frames whose sidecar lacks the value: one group, NO_GROUP
    kept: int = 0               # groups left in the split they had
    anew: str = ""              # why every group was assigned anew ("" when the earlier splits were kept)

    def document(self) -> dict[str, Any]:
        """splits.json."""
        return {"by": self.by, "names": list(self.plan.names), "ratios": list(self.plan.ratios),
                "seed": self.plan.seed, "frames": self.frames, "groups": self.groups,
                "frames_without_group": self.ungrouped,
                "made": datetime.now(timezone.utc).isoformat(timespec="seconds"), "rdc_extract": __version__}


def _earlier_plan(out: Path) -> dict[str, Any] | None:
    try:
        earlier = json.loads((out / SPLITS_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return earlier if isinstance(earlier, dict) else None


def _why_anew(earlier: dict[str, Any] | None, by: str, plan: SplitPlan, reassign: bool) -> str:
    if reassign:
        return "asked to (--reassign)"
    if earlier is None:
        return f"no {SPLITS_NAME} yet"
    now = {"by": by, "names": list(plan.names), "ratios": list(plan.ratios), "seed": plan.seed}
    changed = [key for key, value in now.items() if earlier.get(key) != value]
    return f"{', '.join(changed)} changed since {SPLITS_NAME}" if changed else ""


def _kept_groups(rows: dict[str, dict[str, str]], groups: dict[str, str]) -> dict[str, str]:
    """Group → the one split its frames have; a group whose frames are in several splits is not kept."""
    seen: dict[str, set[str]] = {}
    for frame_id, row in rows.items():
        if row.get(SPLIT_COLUMN):
            seen.setdefault(groups[frame_id], set()).add(str(row[SPLIT_COLUMN]))
    return {group: splits.pop() for group, splits in seen.items() if len(splits) == 1}


def split_dataset(out: str | Path, by: str, plan: SplitPlan, *, reassign: bool = False) -> SplitReport:
    """Assign every frame of `out/index.csv` a split, grouped `by` run, seed or scenario; write the index
    (atomically) and splits.json under the dataset's lock. Raises DatasetIndexError when there is no index or
    its groups cannot fill the splits, BatchError while another command writes to `out`."""
    out = Path(out)
    index_path = out / INDEX_NAME
    if not (out / FRAMES_DIR).is_dir():
        raise NotADataset.without_frames(out)
    with output_lock(out):
        rows = read_index(out, as_written=True)
        if not rows:
            raise DatasetIndexError(index_path, "no frames to split: batch, extract and relabel write the index")
        groups = {frame_id: group_of({key: index_cell(value) for key, value in row.items()}, by)
                  for frame_id, row in rows.items()}
        earlier = _earlier_plan(out)
        report = SplitReport(out, by, plan, anew=_why_anew(earlier, by, plan, reassign))
        keep = {} if report.anew else _kept_groups(rows, groups)
        try:
            assigned = assign_groups(Counter(groups.values()), plan, keep)
        except SplitPlanError as exc:
            raise DatasetIndexError(index_path, f"cannot split by {by}: {exc}") from None
        for frame_id, row in rows.items():
            row[SPLIT_COLUMN] = Written(assigned[groups[frame_id]])
        report.kept = sum(1 for group, name in keep.items() if assigned.get(group) == name)
        report.ungrouped = sum(1 for group in groups.values() if group == NO_GROUP)
        report.frames = {name: 0 for name in plan.names}
        report.groups = {name: 0 for name in plan.names}
        for group, name in assigned.items():
            report.groups[name] += 1
        for group in groups.values():
            report.frames[assigned[group]] += 1
        write_index(out, previous=rows)
        write_json(out / SPLITS_NAME, report.document())
    return report


def split_lines(report: SplitReport) -> list[str]:
    """The summary: frames and groups per split, what was kept, the files written, the command to run next."""
    per_split = ", ".join(f"{name} {report.frames[name]} frames ({report.groups[name]} groups)"
                          for name in report.plan.names)
    lines = [f"split by {report.by}: {per_split}"]
    if report.anew:
        lines.append(f"every group assigned anew: {report.anew}")
    else:
        lines.append(f"{report.kept} groups kept in the split they had; new groups placed around them")
    lines.append(f"written: {shown(str(report.out / INDEX_NAME))} (column {SPLIT_COLUMN}), "
                 f"{shown(str(report.out / SPLITS_NAME))}")
    export = suggested_export(report.out, (read_index(report.out) or {}).values())
    if export:
        lines.append("next: " + export)
    return lines


def ungrouped_warning(report: SplitReport) -> str | None:
    """One line when frames lacked the grouping value and were put together."""
    if not report.ungrouped:
        return None
    return (f"{report.ungrouped} frames have no {WHAT[report.by]} in their sidecar (or no sidecar): kept together "
            f"as one group, {NO_GROUP}")
