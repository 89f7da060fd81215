"""Rich progress display for `rdc-extract capture`: captures, rate, restarts, RenderDoc's target control."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from rdc_extract.capture.launcher import CaptureRunResult, RunProgress
from rdc_extract.capture.target_tracker import TargetStatus


class CaptureProgress:
    """Context manager whose `update` is the launcher's progress callback.

    The display starts with the first update, so a run refused before it starts
    (folder busy, no renderdoccmd) prints its error line alone.
    """

    def __init__(self, console: Console, target: int | None) -> None:
        self._progress = Progress(
            TextColumn("[bold]capturing"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:.1f}/min"),
            TextColumn("restarts {task.fields[restarts]}"),
            TimeElapsedColumn(),
            TextColumn("{task.fields[message]}", markup=False),
            TextColumn("{task.fields[target]}", style="dim", markup=False),
            console=console,
            transient=False,
        )
        self._task = self._progress.add_task("capture", total=target, rate=0.0, restarts=0, message="",
                                          target="target control: starting")
        self._restarts_shown = 0
        self._started = False

    def __enter__(self) -> CaptureProgress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._started:
            self._progress.stop()

    def update(self, state: RunProgress) -> None:
        if not self._started:
            self._progress.start()
            self._started = True
        for reason in state.restart_reasons[self._restarts_shown:]:
            self._progress.console.print(f"restart after {reason}", markup=False, highlight=False)
        self._restarts_shown = len(state.restart_reasons)
        self._progress.update(self._task, completed=state.complete, rate=state.captures_per_minute,
                              restarts=state.restarts, message=state.message,
                              target=state.target.describe())


def summary(result: CaptureRunResult) -> str:
    p = result.progress
    return (f"{len(result.captures)} complete captures in {result.out_dir} ({p.new} new, run {result.run_id}); "
            f"{p.launches} launches, {p.restarts} restarts, {p.elapsed_s:.0f} s; stopped: {result.stopped_because}"
            f"; {target_summary(p.target)}")


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
