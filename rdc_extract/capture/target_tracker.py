"""What RenderDoc's target-control events mean for a capture run: plain logic, no RenderDoc calls.

The launcher feeds `TargetTracker` the events of rdc_extract/rd/target_control.py
and the stems of the complete pairs it sees in the folder. The folder stays the
source of truth for "a capture is complete"; target control adds:

- whether the launch's target is connected, and its API (for the progress line);
- how many captures RenderDoc announced (`NewCapture`), and which of them never
  became a complete pair within a grace period or before their launch ended;
- when the connection was lost while the game process lives on, and the
  target has not reappeared: a process whose RenderDoc target is gone cannot
  capture any more, so the launcher may restart it before the stall timeout.

An announced capture is matched to a pair by name: RenderDoc writes
`<template>_capture.rdc` or `<template>_frame<N>.rdc`, and the pairing
protocol (docs/capture.md) has the mod set the template to `.staging/<stem>`, so
the announced file name starts with the stem of its pair.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from rdc_extract.rd.target_control import (
    TargetApi,
    TargetBusy,
    TargetCapture,
    TargetConnected,
    TargetControlUnavailable,
    TargetDisconnected,
    TargetEvent,
    TargetWindows,
)

NOT_CONNECTED = "target control: not connected (watching process and folder)"


@dataclass
class TargetStatus:
    """Target control as seen by a run; part of RunProgress."""

    connected: bool = False
    ident: int | None = None
    pid: int | None = None
    api: str = ""
    windows: int = 0  # windows the target presents to; a frame trigger needs one
    unavailable: str | None = None  # why target control cannot be used at all
    ever_connected: bool = False
    connections: int = 0
    disconnects: int = 0
    announced: int = 0  # NewCapture events of the whole run
    announced_published: int = 0  # of those, matched to a complete pair
    unpublished: list[str] = field(default_factory=list)  # announced file names that never became a pair

    def describe(self) -> str:
        if self.connected:
            return f"RenderDoc connected, target {self.ident}, API {self.api or 'not registered yet'}"
        if self.unavailable:
            return f"target control: unavailable ({self.unavailable}); watching process and folder"
        if self.ident is not None:
            return f"RenderDoc target {self.ident} disconnected"
        return NOT_CONNECTED


@dataclass(frozen=True)
class _Announcement:
    file_name: str
    at_s: float


class TargetTracker:
    """Folds target-control events and folder arrivals into a TargetStatus. Times are monotonic seconds."""

    def __init__(self, stems_at_start: Iterable[str] = ()) -> None:
        self.status = TargetStatus()
        self._known_stems = set(stems_at_start)
        self._unclaimed_stems: list[str] = []  # pairs of this launch not yet matched to an announcement
        self._pending: list[_Announcement] = []
        self._lost_at_s: float | None = None

    def launch_started(self) -> None:
        self.status.connected, self.status.ident, self.status.pid, self.status.api = False, None, None, ""
        self.status.windows = 0
        self._unclaimed_stems.clear()
        self._lost_at_s = None

    def apply(self, event: TargetEvent, now_s: float) -> str | None:
        """Take one event; returns a line for the progress display when it is news."""
        status = self.status
        if isinstance(event, TargetConnected):
            status.connected, status.ident, status.pid = True, event.ident, event.pid
            status.api = event.api or status.api
            status.ever_connected = True
            status.connections += 1
            self._lost_at_s = None
            return status.describe()
        if isinstance(event, TargetApi):
            status.api = event.api
            return status.describe() if status.connected else None
        if isinstance(event, TargetWindows):
            status.windows = event.count
            return None
        if isinstance(event, TargetCapture):
            status.announced += 1
            self._pending.append(_Announcement(event.file_name, now_s))
            self._match()
            return f"RenderDoc announced {event.file_name}"
        if isinstance(event, TargetBusy):
            # Possibly our target, taken by another client: no sign that the game lost RenderDoc.
            self._lost_at_s = None
            return None
        if isinstance(event, TargetDisconnected):
            if status.connected:
                status.connected = False
                status.disconnects += 1
                self._lost_at_s = now_s
            return f"RenderDoc target {event.ident} disconnected"
        if isinstance(event, TargetControlUnavailable):
            status.connected, status.unavailable = False, event.reason
            return status.describe()
        raise TypeError(f"not a target-control event: {event!r}")

    def folder_has(self, stems: Iterable[str]) -> None:
        """The stems of every complete pair in the folder now."""
        for stem in stems:
            if stem not in self._known_stems:
                self._known_stems.add(stem)
                self._unclaimed_stems.append(stem)
        self._match()

    def claimed(self, file_name: str, stem: str) -> None:
        """The launcher published announced `file_name` as `stem` itself (trigger mode: names differ)."""
        self._known_stems.add(stem)
        if stem in self._unclaimed_stems:
            self._unclaimed_stems.remove(stem)
        announcement = next((a for a in self._pending if a.file_name == file_name), None)
        if announcement is not None:
            self._pending.remove(announcement)
            self.status.announced_published += 1

    def _match(self) -> None:
        for announcement in list(self._pending):
            stem = next((s for s in self._unclaimed_stems if announcement.file_name.startswith(s)), None)
            if stem is not None:
                self._unclaimed_stems.remove(stem)
                self._pending.remove(announcement)
                self.status.announced_published += 1

    def overdue(self, now_s: float, grace_s: float) -> list[str]:
        """Announced captures without a pair for more than `grace_s`: recorded as unpublished and returned."""
        late = [a for a in self._pending if now_s - a.at_s > grace_s]
        return self._give_up(late)

    def launch_ended(self) -> list[str]:
        """The game is dead and its partial files removed: whatever is still unmatched will never be a pair."""
        self.status.connected = False
        self._lost_at_s = None
        return self._give_up(list(self._pending))

    def _give_up(self, announcements: list[_Announcement]) -> list[str]:
        for announcement in announcements:
            self._pending.remove(announcement)
            self.status.unpublished.append(announcement.file_name)
        return [a.file_name for a in announcements]

    def lost_for(self, now_s: float) -> float:
        """Seconds since the connection was lost with no sign of the target since; 0 when not lost."""
        return 0.0 if self._lost_at_s is None else now_s - self._lost_at_s
