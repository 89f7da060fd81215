"""How long a draw-id sweep will take, foreseen from its first steps (pure arithmetic, no replay).

Each step of the sweep replays the frame from its start up to the step's
event (docs/drawids.md, "Cost"), so a step costs about a fixed part plus a
part in proportion to how far into the frame its event lies: t = a + b·event.
A least-squares line through the steps timed so far, summed over the steps
left, says when the sweep ends. `extract` shows it; a batch stops a capture
whose sweep would overrun its `--timeout` after a few steps instead of after
the whole timeout.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rdc_extract.errors import SweepTooSlow

#: Steps timed before anything is foreseen: the first steps' line is a guess.
MIN_STEPS = 8
#: … and seconds: a sweep that short is over before a forecast matters.
MIN_SECONDS = 5.0
#: A batch stops a capture only when the forecast exceeds its time budget by this factor.
OVERRUN_MARGIN = 1.25
#: A suggested `--timeout` is the forecast times this.
SUGGESTED_HEADROOM = 1.5
#: `extract` reports progress at most this often.
REPORT_EVERY_S = 15.0


@dataclass
class StepLine:
    """The least-squares line t = a + b·event through the steps timed so far, kept as running sums (a sweep of
    thousands of steps refits after each one); a and b stay at zero or above (a step never costs less further
    into the frame)."""

    count: int = 0
    sum_x: float = 0.0
    sum_t: float = 0.0
    sum_xx: float = 0.0
    sum_xt: float = 0.0

    def add(self, event: int, seconds: float) -> None:
        self.count += 1
        self.sum_x += event
        self.sum_t += seconds
        self.sum_xx += event * event
        self.sum_xt += event * seconds

    def seconds_for(self, steps: int, sum_of_events: float) -> float:
        """What `steps` more steps, whose events add up to `sum_of_events`, will take."""
        if self.count == 0:
            raise ValueError("no step timed yet")
        mean_x, mean_t = self.sum_x / self.count, self.sum_t / self.count
        spread = self.sum_xx - self.count * mean_x * mean_x
        slope = max(0.0, (self.sum_xt - self.count * mean_x * mean_t) / spread) if spread > 0 else 0.0
        intercept = mean_t - slope * mean_x
        if intercept < 0:   # a line through the origin, fitted anew
            slope, intercept = self.sum_xt / max(self.sum_xx, 1e-12), 0.0
        return intercept * steps + slope * sum_of_events


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"


@dataclass
class SweepClock:
    """Times each step of `capture`'s sweep through `events` (in order) and foresees its end.

    `budget_s`: the seconds the whole job may take (a batch's `--timeout`),
    counted from `started_s` (a `time.perf_counter()` reading); the step after
    which the forecast exceeds it by `OVERRUN_MARGIN` raises `SweepTooSlow`.
    `report`: called with a progress line at most every `REPORT_EVERY_S`
    once a forecast exists.
    """

    capture: Path
    events: tuple[int, ...]
    started_s: float
    budget_s: float | None = None
    report: Callable[[str], None] | None = None
    what: str = "draw ids"
    line: StepLine = field(default_factory=StepLine)
    swept_s: float = 0.0
    reported_at_s: float | None = None

    def step(self, event_id: int, seconds: float, now_s: float) -> None:
        """Record one step (`seconds` it took, ending at `now_s`); report or stop as the forecast says."""
        self.line.add(event_id, seconds)
        self.swept_s += seconds
        done = self.line.count
        if done < MIN_STEPS or self.swept_s < MIN_SECONDS or done >= len(self.events):
            return
        left = self.line.seconds_for(len(self.events) - done, self._sum_of_events - self.line.sum_x)
        elapsed = now_s - self.started_s
        if self.budget_s is not None and elapsed + left > OVERRUN_MARGIN * self.budget_s:
            raise SweepTooSlow(self.capture, self._too_slow(done, elapsed + left), self.budget_s)
        if self.report is not None and (self.reported_at_s is None or now_s - self.reported_at_s >= REPORT_EVERY_S):
            self.reported_at_s = now_s
            self.report(f"{self.what}: {done} of {len(self.events)} steps in {_minutes(self.swept_s)}, "
                        f"about {_minutes(left)} left")

    @functools.cached_property
    def _sum_of_events(self) -> int:
        return sum(self.events)

    def _too_slow(self, done: int, total_s: float) -> str:
        return (f"{self.what}: stepping through {len(self.events)} events would take about {_minutes(total_s)} "
                f"here ({done} took {self.swept_s:.0f} s), beyond the {self.budget_s:g} s allowed; stopped early "
                f"(raise it, e.g. --timeout {suggested_timeout(total_s)}, or leave drawids and instances out of "
                f"--outputs)")


def suggested_timeout(foreseen_s: float) -> int:
    """A `--timeout` for a job foreseen to take `foreseen_s`: half as long again (a forecast from the first steps
    came out a fifth short on warzone2100), in whole minutes."""
    return 60 * math.ceil(SUGGESTED_HEADROOM * foreseen_s / 60)
