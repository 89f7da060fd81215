"""Progress of a long command (batch, relabel, export, capture): a rich bar on a terminal, lines in a log.

Rich draws nothing until the end when its console is not a terminal, so a job
whose stderr goes to a file (nohup, a cluster job's log) would stay silent for
hours. There, the same figures go out as one plain line at most every
`interval_s` (and once at the start and at the end): done/total, failures, the
other counts, rate and ETA.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console

LOG_INTERVAL_S = 10.0
SLOW_RATE = 0.1   # below this many per second the rate is shown per minute


def _duration(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def rate_and_eta(finished: int, total: int | None, elapsed_s: float) -> tuple[str, str]:
    """("1.52/s", "0:12:05") from the units finished since the start; dashes before the first one.

    Over the whole run rather than a recent window: a burst of instant failures
    (empty files, not captures) must not promise an ETA the real work misses.
    """
    if finished <= 0 or elapsed_s <= 0:
        return "–/s", "-:--:--"
    rate = finished / elapsed_s
    shown = f"{rate:.2f}/s" if rate >= SLOW_RATE else f"{60 * rate:.1f}/min"
    if total is None:
        return shown, "-:--:--"
    return shown, _duration(max(total - finished, 0) / rate)


@dataclass
class Tally:
    """What a command has done: `completed` of `total` (None: unknown), of which `failed`; `counts`: other
    figures shown by name (skipped, restarts); `at_start`: completed before this run (a resumed capture)."""

    total: int | None = None
    completed: int = 0
    failed: int | None = 0   # None: the command does not count failures as they happen
    at_start: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    note: str = ""


def _counts(tally: Tally) -> list[str]:
    failed = [] if tally.failed is None else [f"{tally.failed} failed"]
    return failed + [f"{count} {name}" for name, count in tally.counts.items()]


def progress_line(label: str, unit: str, tally: Tally, elapsed_s: float) -> str:
    """`batch: 120/600 captures (20%), 2 failed, 3 skipped, 1.52/s, ETA 0:05:15, elapsed 0:01:19`."""
    done = f"{tally.completed}/{tally.total}" if tally.total is not None else str(tally.completed)
    parts = [f"{label}: {done} {unit}" + (f" ({tally.completed / tally.total:.0%})" if tally.total else "")]
    parts += _counts(tally)
    rate, eta = rate_and_eta(tally.completed - tally.at_start,
                             None if tally.total is None else tally.total - tally.at_start, elapsed_s)
    parts += [rate, f"ETA {eta}", f"elapsed {_duration(elapsed_s)}"]
    if tally.note:
        parts.append(tally.note)
    return ", ".join(parts)


class LogLines:
    """The non-terminal display: `write(line)` at start, at most once per `interval_s` after, and at stop."""

    def __init__(self, write: Callable[[str], None], label: str, unit: str, *, interval_s: float = LOG_INTERVAL_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._write, self._label, self._unit = write, label, unit
        self._interval_s, self._clock = interval_s, clock
        self._started = self._last = clock()

    def _emit(self, tally: Tally) -> None:
        self._last = self._clock()
        self._write(progress_line(self._label, self._unit, tally, self._last - self._started))

    def start(self, tally: Tally) -> None:
        self._started = self._clock()
        self._emit(tally)

    def changed(self, tally: Tally) -> None:
        if self._clock() - self._last >= self._interval_s:
            self._emit(tally)

    def stop(self, tally: Tally) -> None:
        self._emit(tally)


class _Bar:
    """The terminal display: a rich progress bar with the same figures."""

    def __init__(self, console: Console, label: str, unit: str, clock: Callable[[], float]) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), TextColumn(unit),
            TaskProgressColumn(), TextColumn("{task.fields[counts]}", markup=False),
            TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("ETA {task.fields[eta]}"),
            TextColumn("{task.fields[note]}", style="dim", markup=False),
            console=console, transient=False,
        )
        self._clock, self._started = clock, clock()
        self._task: Any = None

    def _fields(self, tally: Tally) -> dict[str, Any]:
        rate, eta = rate_and_eta(tally.completed - tally.at_start,
                                 None if tally.total is None else tally.total - tally.at_start,
                                 self._clock() - self._started)
        counts = ", ".join(_counts(tally))
        return {"completed": tally.completed, "counts": counts, "rate": rate, "eta": eta, "note": tally.note}

    def start(self, tally: Tally) -> None:
        self._started = self._clock()
        self._task = self._progress.add_task("", total=tally.total, **self._fields(tally))
        self._progress.start()

    def changed(self, tally: Tally) -> None:
        self._progress.update(self._task, total=tally.total, **self._fields(tally))

    def stop(self, tally: Tally) -> None:
        self.changed(tally)
        self._progress.stop()

    def print(self, text: str) -> None:
        self._progress.console.print(text, markup=False, highlight=False, soft_wrap=True)


class CommandProgress:
    """The one progress display of the long commands: a bar when `console` is a terminal, else `LogLines`.

    `start(total)` shows it; `advance()` counts a finished unit (`failed=True`:
    one that failed); `count(name)` a figure outside the total (skipped);
    `update` sets absolute values (a command that reports its own state);
    `stop()` leaves the final state on screen or in the log. `counts` names the
    figures shown from the start, at 0; `failures=False` for a command that
    reports its failures only at the end. Usable as a context
    manager that stops it (only if started, so an error before the work
    begins prints alone).
    """

    def __init__(self, console: Console, label: str, unit: str, *, counts: tuple[str, ...] = (),
                 failures: bool = True, interval_s: float = LOG_INTERVAL_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.tally = Tally(failed=0 if failures else None, counts=dict.fromkeys(counts, 0))
        self._console = console
        if console.is_terminal:
            self._display: _Bar | LogLines = _Bar(console, label, unit, clock)
        else:
            self._display = LogLines(self._log, label, unit, interval_s=interval_s, clock=clock)
        self._running = False

    def _log(self, line: str) -> None:
        self._console.print(line, markup=False, highlight=False, soft_wrap=True)

    def __enter__(self) -> CommandProgress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self, total: int | None = None, *, at_start: int = 0) -> None:
        self.tally.total, self.tally.at_start = total, at_start
        self.tally.completed = max(self.tally.completed, at_start)
        self._running = True
        self._display.start(self.tally)

    def advance(self, *, failed: bool = False) -> None:
        self.tally.completed += 1
        if failed:
            self.tally.failed = (self.tally.failed or 0) + 1
        self._changed()

    def count(self, name: str) -> None:
        self.tally.counts[name] = self.tally.counts.get(name, 0) + 1
        self._changed()

    def update(self, *, completed: int | None = None, note: str | None = None, **counts: int) -> None:
        if completed is not None:
            self.tally.completed = completed
        if note is not None:
            self.tally.note = note
        self.tally.counts.update(counts)
        self._changed()

    def print(self, text: str) -> None:
        """A line of its own (a restart's reason), above the bar or between the log lines."""
        if isinstance(self._display, _Bar):
            self._display.print(text)
        else:
            self._log(text)

    def _changed(self) -> None:
        if self._running:
            self._display.changed(self.tally)

    def stop(self) -> None:
        if self._running:
            self._running = False
            self._display.stop(self.tally)
