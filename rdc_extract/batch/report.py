"""What a batch shows on the terminal: a rich progress bar while it runs, a summary table at the end."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from rdc_extract.batch.manifest import DONE
from rdc_extract.batch.plan import Action
from rdc_extract.batch.runner import BatchSummary


class RichProgress:
    """Progress over the captures to extract: done/failed counts, rate (captures/s) and ETA."""

    def __init__(self, console: Console) -> None:
        self.done = 0
        self.failed = 0
        self.skipped_count = 0
        self._progress = Progress(
            TextColumn("[bold]batch"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
            TextColumn("[green]{task.fields[done]} done[/] [red]{task.fields[failed]} failed[/] "
                       "[dim]{task.fields[skipped]} skipped[/]"),
            TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
            console=console, transient=False, speed_estimate_period=120,
        )
        self._task = None

    def _refresh(self, advance: int = 0) -> None:
        speed = self._progress.tasks[0].speed if self._progress.tasks else None
        rate = f"{speed:.2f}/s" if speed else "–/s"
        self._progress.update(self._task, advance=advance, done=self.done, failed=self.failed,
                              skipped=self.skipped_count, rate=rate)

    def start(self, total: int) -> None:
        self._task = self._progress.add_task("batch", total=total, done=0, failed=0, skipped=0, rate="–/s")
        self._progress.start()

    def skipped(self, action: Action) -> None:
        self.skipped_count += 1
        self._refresh()

    def finished(self, record: dict[str, Any]) -> None:
        if record["status"] == DONE:
            self.done += 1
        else:
            self.failed += 1
        self._refresh(advance=1)

    def stop(self) -> None:
        self._progress.stop()


def summary_table(summary: BatchSummary) -> Table:
    """Done, skipped and failed counts, failures grouped by cause."""
    table = Table(title=f"batch summary ({summary.seconds:.1f} s)", show_header=True)
    table.add_column("outcome")
    table.add_column("captures", justify="right")
    table.add_row("[green]done[/]", str(summary.done))
    table.add_row("skipped (already done)", str(summary.skipped_done))
    for cause, count in summary.causes.most_common():
        table.add_row(f"[red]failed[/]: {cause}", str(count))
    for cause, count in summary.earlier_causes.most_common():
        table.add_row(f"[red]failed earlier[/] (not retried): {cause}", str(count))
    table.add_row("[bold]failed in total[/]", str(summary.failed_total))
    return table
