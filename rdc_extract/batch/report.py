"""What a batch shows: progress while it runs (a bar on a terminal, lines in a log), a summary at the end."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from rdc_extract.batch.index import FAILURES_NAME, INDEX_NAME, read_index
from rdc_extract.batch.manifest import DONE, MANIFEST_NAME
from rdc_extract.batch.plan import Action
from rdc_extract.batch.runner import BatchSummary
from rdc_extract.dataset.names import command_line, shown
from rdc_extract.dataset.publish import FRAMES_DIR
from rdc_extract.errors import RdcExtractError
from rdc_extract.export.registry import suggested_export
from rdc_extract.progress import CommandProgress
from rdc_extract.splits.groups import suggested_grouping


class BatchProgress:
    """The runner's progress callbacks on the shared display: captures to extract, done/failed, skipped ones."""

    def __init__(self, console: Console, **display: Any) -> None:
        self._display = CommandProgress(console, "batch", "captures", counts=("skipped",), **display)

    def start(self, total: int) -> None:
        self._display.start(total)

    def skipped(self, action: Action) -> None:
        self._display.count("skipped")

    def finished(self, record: dict[str, Any]) -> None:
        self._display.advance(failed=record["status"] != DONE)

    def stop(self) -> None:
        self._display.stop()


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


def next_steps(summary: BatchSummary) -> list[str]:
    """The files the batch keeps in its output folder, and the commands that make them a training set."""
    if summary.out_dir is None:
        return []
    out = summary.out_dir
    written = (f"written: {shown(str(out / FRAMES_DIR))}/ (one folder per frame), {shown(str(out / INDEX_NAME))} "
               f"(one row per frame), {shown(str(out / MANIFEST_NAME))}, {shown(str(out / FAILURES_NAME))}")
    try:
        rows = list((read_index(out) or {}).values())
        by = suggested_grouping(rows)
    except RdcExtractError:
        rows, by = [], None
    export = suggested_export(out, rows)
    relabel = _relabel_again(summary)
    if by is None:   # too few runs, seeds or scenarios for three splits that share none
        return [written, *relabel, *(["next: " + export] if export else [])]
    return [written, *relabel,
            "next: " + command_line("rdc-extract", "split", out, "--by", by, "--ratios", "0.8,0.1,0.1"),
            *(["then: " + export] if export else [])]


def _relabel_again(summary: BatchSummary) -> list[str]:
    """What the frames this run redid lost: the label sets relabel had made, which extraction does not make."""
    if not summary.sets_dropped:
        return []
    sets = ", ".join(f"{shown(name)!r} ({count} frame{'s' if count > 1 else ''})"
                     for name, count in summary.sets_dropped.most_common())
    first = next(iter(summary.sets_dropped))
    return [f"redone frames no longer have the label sets relabel made: {sets}; to make them again: "
            + command_line("rdc-extract", "relabel", summary.out_dir, "--classes", first)
            + " (one run per mapping; for a mapping of your own, its .toml file)"]
