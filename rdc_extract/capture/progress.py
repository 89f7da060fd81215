"""Progress of `rdc-extract capture` (a bar on a terminal, lines in a log): captures, rate, restarts, RenderDoc's
target control; and the summary at the end."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from rdc_extract.capture.launcher import CaptureRunResult, RunProgress
from rdc_extract.capture.target_tracker import TargetStatus
from rdc_extract.dataset.names import command_line
from rdc_extract.progress import CommandProgress


def progress_note(state: RunProgress) -> str:
    """The run's last message and target control's state, once when the message is that state (a connection)."""
    return " · ".join(dict.fromkeys(filter(None, (state.message, state.target.describe()))))


class CaptureProgress:
    """Context manager whose `update` is the launcher's progress callback.

    The display starts with the first update, so a run refused before it starts
    (folder busy, no renderdoccmd) prints its error line alone. Each restart's
    reason is printed on a line of its own.
    """

    def __init__(self, console: Console, target: int | None, **display: Any) -> None:
        self._display = CommandProgress(console, "capture", "captures", counts=("restarts",), failures=False,
                                        **display)
        self._target = target
        self._restarts_shown = 0
        self._started = False

    def __enter__(self) -> CaptureProgress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._display.stop()

    def update(self, state: RunProgress) -> None:
        for reason in state.restart_reasons[self._restarts_shown:]:
            self._display.print(f"restart after {reason}")
        self._restarts_shown = len(state.restart_reasons)
        self._display.update(completed=state.complete, restarts=state.restarts, note=progress_note(state))
        if not self._started:
            self._display.start(self._target, at_start=state.found_at_start)
            self._started = True


def summary(result: CaptureRunResult) -> str:
    p = result.progress
    return (f"{len(result.captures)} complete captures in {result.out_dir} ({p.new} new, run {result.run_id}); "
            f"{p.launches} launches, {p.restarts} restarts, {p.elapsed_s:.0f} s; stopped: {result.stopped_because}"
            f"; {target_summary(p.target)}")


def next_step(result: CaptureRunResult) -> str | None:
    """The command that turns the captures into a dataset."""
    if not result.captures:
        return None
    return "next: " + command_line("rdc-extract", "batch", result.out_dir, "DATASET")


def target_summary(target: TargetStatus) -> str:
    """RenderDoc's side of the run: connected or not, captures announced, announced ones that never arrived."""
    if target.unavailable:
        return f"target control unavailable ({target.unavailable})"
    if not target.ever_connected:
        return "target control never connected (watched process and folder only)"
    text = (f"RenderDoc target control: {target.connections} connections, {target.disconnects} disconnects, "
            f"{target.announced} captures announced, {target.announced_published} published as pairs")
    if target.unpublished:
        text += f"; announced but never published: {', '.join(target.unpublished)}"
    return text
