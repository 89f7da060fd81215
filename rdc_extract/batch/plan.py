"""What to do with each discovered capture, given its manifest record: pure decisions on plain data."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rdc_extract.batch.discover import FoundCapture
from rdc_extract.batch.manifest import DONE, FAILED
from rdc_extract.dataset.names import ON_REQUEST_OUTPUTS, frame_id
from rdc_extract.errors import DISK_FULL, OUTPUT_NOT_AVAILABLE, REMOTE_LOST, REMOTE_UNAVAILABLE, timed_out_after

WORKER_KILLED = "batch worker killed"
# Failures that say nothing about the capture: a rerun retries them without --retry-failed.
TRANSIENT_CAUSES = frozenset({DISK_FULL, WORKER_KILLED, REMOTE_UNAVAILABLE, REMOTE_LOST})


class Action(enum.Enum):
    RUN = "run"
    SKIP_DONE = "skip-done"          # done earlier, capture unchanged, frame folder complete
    SKIP_FAILED = "skip-failed"      # failed earlier, capture unchanged, no --retry-failed


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str   # why it runs (new, changed, forced, retry-failed, retry-transient, retry-longer-timeout,
                  # retry-other-outputs, outputs-missing, profile-changed, outputs-changed) or is skipped


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


def made_otherwise(record: dict[str, Any], profile_sha256: str | None,
                   outputs_wanted: list[str] | None) -> str | None:
    """Why a done frame is not what this run would make ("profile-changed", "outputs-changed"), or None.

    `profile_sha256` is the hash of the profile this run would use for the
    capture (None: not known before replay). A record without provenance (from
    before it was recorded) is taken as it is. Asking for fewer outputs than a
    frame has keeps the frame; asking for one it was not made with redoes it
    (a frame made with the default outputs has none of those written only on request).
    """
    recorded = record.get("profile_sha256")
    if recorded and profile_sha256 is not None and recorded != profile_sha256:
        return "profile-changed"
    before = record.get("outputs_wanted")
    if before is not None and (outputs_wanted is None or set(outputs_wanted) - set(before)):
        return "outputs-changed"
    if before is None and set(outputs_wanted or ()) & set(ON_REQUEST_OUTPUTS):
        return "outputs-changed"
    return None


def decide(
    found: FoundCapture,
    record: dict[str, Any] | None,
    *,
    force: bool = False,
    retry_failed: bool = False,
    frame_complete: Callable[[], bool] = lambda: True,
    profile_sha256: Callable[[dict[str, Any]], str | None] = lambda record: None,
    outputs_wanted: list[str] | None = None,
    timeout_s: float | None = None,
) -> Decision:
    """Run or skip one capture. `frame_complete` and `profile_sha256` (the hash of the profile this run
    would use for the capture of a record, None when unknown) are only called for an unchanged, done capture;
    `timeout_s`: this run's `--timeout`, which retries a capture that timed out under a shorter one; other
    `outputs_wanted` retry one that could not give those asked before."""
    if record is None:
        return Decision(Action.RUN, "new")
    if not same_identity(found, record):
        return Decision(Action.RUN, "changed")
    if force:
        return Decision(Action.RUN, "forced")
    status = record.get("status")
    if status == DONE:
        if not frame_complete():
            return Decision(Action.RUN, "outputs-missing")
        otherwise = made_otherwise(record, profile_sha256(record), outputs_wanted)
        if otherwise:
            return Decision(Action.RUN, otherwise)
        return Decision(Action.SKIP_DONE, "done")
    if status == FAILED and not retry_failed:
        if record.get("cause") in TRANSIENT_CAUSES:
            return Decision(Action.RUN, "retry-transient")
        timed_out = timed_out_after(record.get("cause"))
        if timed_out is not None and timeout_s is not None and timeout_s > timed_out:
            return Decision(Action.RUN, "retry-longer-timeout")
        if record.get("cause") == OUTPUT_NOT_AVAILABLE and record.get("outputs_wanted") != outputs_wanted:
            return Decision(Action.RUN, "retry-other-outputs")
        return Decision(Action.SKIP_FAILED, "failed earlier")
    return Decision(Action.RUN, "retry-failed" if status == FAILED else "unknown-status")
