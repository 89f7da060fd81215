"""What a batch shows on the terminal: a rich progress bar while it runs, a summary at the end."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console, Group
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from rdc_extract.batch.index import FAILURES_NAME
from rdc_extract.batch.manifest import DONE
from rdc_extract.batch.plan import Action
from rdc_extract.batch.runner import BatchSummary
from rdc_extract.dataset.names import shown


def rate_and_eta(finished: int, total: int, elapsed_s: float) -> tuple[str, str]:
    """("1.52/s", "0:12:05") from captures finished since the start; dashes before the first one.

    Over the whole run rather than a recent window: a burst of instant failures
    (empty files, not captures) must not promise an ETA the real captures miss.
    """
    if finished <= 0 or elapsed_s <= 0:
        return "–/s", "-:--:--"
    rate = finished / elapsed_s
    remaining = round(max(total - finished, 0) / rate)
    return f"{rate:.2f}/s", f"{remaining // 3600}:{remaining // 60 % 60:02d}:{remaining % 60:02d}"


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
            TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("ETA {task.fields[eta]}"),
            console=console, transient=False,
        )
        self._task = None
        self._total = 0
        self._started = time.monotonic()

    def _refresh(self, advance: int = 0) -> None:
        rate, eta = rate_and_eta(self.done + self.failed, self._total, time.monotonic() - self._started)
        self._progress.update(self._task, advance=advance, done=self.done, failed=self.failed,
                              skipped=self.skipped_count, rate=rate, eta=eta)

    def start(self, total: int) -> None:
        self._total, self._started = total, time.monotonic()
        self._task = self._progress.add_task("batch", total=total, done=0, failed=0, skipped=0, rate="–/s",
                                             eta="-:--:--")
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


def failure_line(record: dict[str, Any]) -> str:
    """One line naming the capture, the cause and the detail, without saying any of them twice.

    Names are shown with undecodable bytes and control characters escaped.
    """
    capture, cause, error = shown(record["capture"]), record.get("cause") or "failed", shown(record.get("error") or "")
    if capture.rsplit("/", 1)[-1] in error and cause in error:
        return error    # CaptureError messages already read "<path>: <cause>: <detail>"
    return f"{capture}: {cause}" + (f": {error}" if error else "")


def summary_view(summary: BatchSummary) -> Group:
    """Notes, the summary table, the first entries discovery did not walk (and why), this run's first
    failures (capture: error) and where the full list is."""
    parts: list[Any] = [Text(note, overflow="fold") for note in summary.notes]
    parts.append(summary_table(summary))
    for entry in summary.first_not_walked:
        parts.append(Text(f"not walked: {entry.relative}: {entry.reason}", overflow="fold"))
    if summary.not_walked > len(summary.first_not_walked):
        parts.append(Text(f"… and {summary.not_walked - len(summary.first_not_walked)} more not walked"))
    for record in summary.first_failures:
        parts.append(Text(failure_line(record), overflow="fold"))
    if summary.failed_total and summary.out_dir is not None:
        shown = f"first {len(summary.first_failures)} of this run above; " if summary.first_failures else ""
        parts.append(Text(f"failed captures ({shown}all {summary.failed_total}): {summary.out_dir / FAILURES_NAME}"))
    return Group(*parts)


def summary_table(summary: BatchSummary) -> Table:
    """Done, skipped and failed counts, failures grouped by cause."""
    table = Table(title=f"batch summary ({summary.seconds:.1f} s)", show_header=True)
    table.add_column("outcome")
    table.add_column("captures", justify="right")
    table.add_row("[green]done[/]", str(summary.done))
    table.add_row("skipped (already done)", str(summary.skipped_done))
    for reason, what in (("profile-changed", "the profile or its class mapping changed"),
                         ("outputs-changed", "more outputs asked for")):
        if summary.redone[reason]:
            table.add_row(f"[yellow]redone[/]: {what}", str(summary.redone[reason]))
    if summary.not_walked:
        table.add_row("[yellow]not walked[/]: directories and links (below)", str(summary.not_walked))
    for cause, count in summary.causes.most_common():
        table.add_row(f"[red]failed[/]: {cause}", str(count))
    for cause, count in summary.earlier_causes.most_common():
        table.add_row(f"[red]failed earlier[/] (not retried): {cause}", str(count))
    table.add_row("[bold]failed in total[/]", str(summary.failed_total))
    return table
