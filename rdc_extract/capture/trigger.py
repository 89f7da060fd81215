"""Capturing a game that has no mod: when to ask RenderDoc for a capture, and the sidecar the launcher writes.

Without a mod nothing inside the game brackets a frame, so the launcher asks
RenderDoc's target control for captures (`--trigger`, docs/capture.md):

- `frames:N,M,...` queues those frames of every launch (RenderDoc counts frames
  from the process start); the launch ends once all of them are published;
- `every:T` asks for the next frame every T seconds, counted from the moment
  RenderDoc's target reports a window it presents to (its first present: a
  trigger before it would catch the empty frame a toolkit presents when it
  opens the window).

The launcher knows only what it started and when, so its sidecar records the
game's name, command line and frame number, and leaves the game's clock and
weather unknown (null) with `written_by: "launcher"`.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rdc_extract import __version__
from rdc_extract.capture.sidecar import MAX_STRING_CHARS, WRITTEN_BY_LAUNCHER, Sidecar

LAUNCHER_MOD_NAME = "rdc-extract launcher"
UNKNOWN_BUILD = "unknown"
MAX_FRAMES = 64
MAX_FRAME_NUMBER = 2**32 - 2  # RenderDoc's frame numbers are 32-bit; 0xFFFFFFFF means "no frame number"


class TriggerError(ValueError):
    """A `--trigger` value that is not `frames:N,M,...` or `every:T`."""


@dataclass(frozen=True)
class TriggerPlan:
    """Either `frames` (ascending, distinct) or `every_s` is set."""

    frames: tuple[int, ...] = ()
    every_s: float | None = None

    def __str__(self) -> str:
        if self.every_s is not None:
            return f"every:{self.every_s:g}"
        return "frames:" + ",".join(str(f) for f in self.frames)

    def frames_for_launch(self, limit: int) -> tuple[int, ...]:
        """The frames to queue in one launch that may make at most `limit` captures (0 = no limit)."""
        return self.frames[:limit] if limit else self.frames

    def trigger_due(self, presenting_s: float, due_so_far: int) -> bool:
        """`every:T`: whether trigger number `due_so_far + 1` is due, the game presenting for `presenting_s`."""
        return self.every_s is not None and presenting_s >= (due_so_far + 1) * self.every_s


def parse_trigger(text: str) -> TriggerPlan:
    """`frames:60,90` or `every:2.5` → TriggerPlan; raises TriggerError with the reason."""
    kind, _, value = text.partition(":")
    kind, value = kind.strip().lower(), value.strip()
    if kind == "frames":
        try:
            frames = [int(part) for part in value.split(",")]
        except ValueError:
            raise TriggerError(f"{text!r}: frames must be whole numbers, e.g. frames:60,90") from None
        if not all(1 <= f <= MAX_FRAME_NUMBER for f in frames):
            raise TriggerError(f"{text!r}: frame numbers must be between 1 and {MAX_FRAME_NUMBER}")
        if len(set(frames)) != len(frames) or len(frames) > MAX_FRAMES:
            raise TriggerError(f"{text!r}: give at most {MAX_FRAMES} distinct frame numbers")
        return TriggerPlan(frames=tuple(sorted(frames)))
    if kind == "every":
        try:
            seconds = float(value)
        except ValueError:
            raise TriggerError(f"{text!r}: every takes seconds, e.g. every:5") from None
        if not 0.1 <= seconds <= 86400:
            raise TriggerError(f"{text!r}: seconds must be between 0.1 and 86400")
        return TriggerPlan(every_s=seconds)
    raise TriggerError(f"{text!r}: expected frames:N,M,... or every:SECONDS")


def game_name(command: Sequence[str], explicit: str | None = None) -> str:
    """`--game`, else the program's file name without extension (`/opt/Game/game.x86_64` → `game`)."""
    if explicit:
        return explicit
    return (Path(command[0]).stem if command else "") or "game"


def command_line(command: Sequence[str]) -> str:
    """The command as a shell would take it, shortened to fit a sidecar string."""
    text = shlex.join(command)
    return text if len(text) <= MAX_STRING_CHARS else text[: MAX_STRING_CHARS - 1] + "…"


def launcher_sidecar(*, capture: str, game: str, command: Sequence[str], frame_number: int, trigger: TriggerPlan,
                     run_id: str, launch: int, capture_index: int, seconds_since_launch: float,
                     renderdoc_version: str, display: str | None = None) -> Sidecar:
    """The sidecar of a capture the launcher asked RenderDoc for: what it knows, nothing it would have to guess."""
    extra = {"command_line": command_line(command), "trigger": str(trigger),
             "seconds_since_launch": round(seconds_since_launch, 3)}
    if display is not None:
        extra["display"] = display
    return Sidecar(capture=capture, game=game, game_build=UNKNOWN_BUILD, frame_number=frame_number,
                   clock_hour=None, clock_minute=None, weather=None, player_pose=None, seed=None,
                   mod_name=LAUNCHER_MOD_NAME, mod_version=__version__, renderdoc_version=renderdoc_version,
                   run_id=run_id, launch=launch, capture_index=capture_index, extra=extra,
                   written_by=WRITTEN_BY_LAUNCHER)
