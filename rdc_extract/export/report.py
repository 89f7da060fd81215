"""What an export did: frames exported per split, frames skipped and failed with why, the format's counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rdc_extract.dataset.names import shown

SHOWN_PER_REASON = 3   # frame ids named per skip reason
SHOWN_FAILURES = 10


@dataclass
class ExportReport:
    format: str
    out: Path
    dest: Path
    exported: Counter[str] = field(default_factory=Counter)          # split → frames
    counts: Counter[str] = field(default_factory=Counter)            # the format's figures, summed over frames
    skipped: list[tuple[str, str]] = field(default_factory=list)     # (frame_id, reason): lacking, not fatal
    failed: list[tuple[str, str]] = field(default_factory=list)      # (frame_id, one-line error)
    files: list[str] = field(default_factory=list)                   # written, relative to DEST
    notes: list[str] = field(default_factory=list)                   # the format's remarks on the whole export
    published: bool = False

    def add(self, split: str, counts: Mapping[str, int]) -> None:
        self.exported[split] += 1
        self.counts.update(counts)

    @property
    def ok(self) -> bool:
        """Published, and no frame failed (skipped frames lacked what the format needs: not a failure)."""
        return self.published and not self.failed


def summary_lines(report: ExportReport) -> list[str]:
    """The summary a person reads: what was written where, and every reason a frame was left out."""
    frames = sum(report.exported.values())
    lines = []
    if report.published:
        per_split = ", ".join(f"{split}: {count}" for split, count in sorted(report.exported.items()))
        lines.append(f"exported {frames} frames of {shown(str(report.out))} as {report.format} to "
                     f"{shown(str(report.dest))} ({per_split})")
        lines += [f"  {name}" for name in report.files]
    else:
        lines.append(f"nothing exported: {shown(str(report.dest))} not written")
    lines += [f"{name}: {count}" for name, count in report.counts.items()]
    lines += [f"note: {note}" for note in report.notes]
    by_reason: dict[str, list[str]] = {}
    for frame_id, reason in report.skipped:
        by_reason.setdefault(reason, []).append(frame_id)
    for reason, ids in by_reason.items():
        more = f", … ({len(ids) - SHOWN_PER_REASON} more)" if len(ids) > SHOWN_PER_REASON else ""
        lines.append(f"skipped {len(ids)} frames: {reason}: {', '.join(map(shown, ids[:SHOWN_PER_REASON]))}{more}")
    if report.failed:
        lines.append(f"failed {len(report.failed)} frames:")
        lines += [f"  {shown(error)}" for _, error in report.failed[:SHOWN_FAILURES]]
        if len(report.failed) > SHOWN_FAILURES:
            lines.append(f"  … and {len(report.failed) - SHOWN_FAILURES} more")
    return lines
