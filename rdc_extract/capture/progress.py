"""Rich progress display for `rdc-extract capture`: captures, rate, launches and restarts."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from rdc_extract.capture.launcher import CaptureRunResult, RunProgress


class CaptureProgress:
    """Context manager whose `update` is the launcher's progress callback."""

    def __init__(self, console: Console, target: int | None) -> None:
        self._progress = Progress(
            TextColumn("[bold]capturing"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:.1f}/min"),
            TextColumn("restarts {task.fields[restarts]}"),
            TimeElapsedColumn(),
            TextColumn("{task.fields[message]}", markup=False),
            console=console,
            transient=False,
        )
        self._task = self._progress.add_task("capture", total=target, rate=0.0, restarts=0, message="")
        self._restarts_shown = 0

    def __enter__(self) -> CaptureProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._progress.stop()

    def update(self, state: RunProgress) -> None:
        for reason in state.restart_reasons[self._restarts_shown:]:
            self._progress.console.print(f"restart after {reason}", markup=False, highlight=False)
        self._restarts_shown = len(state.restart_reasons)
        self._progress.update(self._task, completed=state.complete, rate=state.captures_per_minute,
                              restarts=state.restarts, message=state.message)


def summary(result: CaptureRunResult) -> str:
    p = result.progress
    return (f"{len(result.captures)} complete captures in {result.out_dir} ({p.new} new, run {result.run_id}); "
            f"{p.launches} launches, {p.restarts} restarts, {p.elapsed_s:.0f} s; stopped: {result.stopped_because}")
