"""What to do with each discovered capture, given its manifest record: pure decisions on plain data."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rdc_extract.batch.discover import FoundCapture
from rdc_extract.batch.manifest import DONE, FAILED
from rdc_extract.dataset.names import frame_id
from rdc_extract.errors import DISK_FULL

WORKER_KILLED = "batch worker killed"
# Failures that say nothing about the capture: a rerun retries them without --retry-failed.
TRANSIENT_CAUSES = frozenset({DISK_FULL, WORKER_KILLED})


class Action(enum.Enum):
    RUN = "run"
    SKIP_DONE = "skip-done"          # done earlier, capture unchanged, frame folder complete
    SKIP_FAILED = "skip-failed"      # failed earlier, capture unchanged, no --retry-failed


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str   # why it runs (new, changed, forced, retry-failed, retry-transient, outputs-missing) or is skipped


@dataclass(frozen=True)
class Task:
    """One capture to extract, as handed to a worker (picklable plain data)."""

    capture: str        # path relative to the input folder, POSIX
    path: str           # absolute path of the capture
    size: int
    mtime_ns: int
    frame_id: str
    reason: str
    collides_with: str | None = None   # an earlier-discovered capture with the same frame_id
    problem: str | None = None         # why the entry cannot be a capture (FoundCapture.problem)

    @classmethod
    def from_found(cls, found: FoundCapture, reason: str, frame: str | None = None,
                   collides_with: str | None = None) -> Task:
        return cls(found.relative, found.path, found.size, found.mtime_ns, frame or frame_id(found.relative), reason,
                   collides_with, found.problem)


def same_identity(found: FoundCapture, record: dict[str, Any]) -> bool:
    """A capture is unchanged when its size and modification time (ns) match the record's."""
    return record.get("size") == found.size and record.get("mtime_ns") == found.mtime_ns


def decide(
    found: FoundCapture,
    record: dict[str, Any] | None,
    *,
    force: bool = False,
    retry_failed: bool = False,
    frame_complete: Callable[[], bool] = lambda: True,
) -> Decision:
    """Run or skip one capture. `frame_complete` is only called for an unchanged, done capture."""
    if record is None:
        return Decision(Action.RUN, "new")
    if not same_identity(found, record):
        return Decision(Action.RUN, "changed")
    if force:
        return Decision(Action.RUN, "forced")
    status = record.get("status")
    if status == DONE:
        if frame_complete():
            return Decision(Action.SKIP_DONE, "done")
        return Decision(Action.RUN, "outputs-missing")
    if status == FAILED and not retry_failed:
        if record.get("cause") in TRANSIENT_CAUSES:
            return Decision(Action.RUN, "retry-transient")
        return Decision(Action.SKIP_FAILED, "failed earlier")
    return Decision(Action.RUN, "retry-failed" if status == FAILED else "unknown-status")
