"""How long a draw-id sweep will take, estimated from its recent steps and one step at its last event (pure
arithmetic, no replay).

Each step of the sweep replays the frame from its start up to the step's
event (docs/drawids.md, "Cost"), so later steps tend to cost more. A line
through the first steps alone says little about the rest: the draws between
steps weigh very differently, and it came out 2 to 4 times off on a
trigger-rally frame, both ways. So once a sweep has run a while, the clock
has one step at the last event timed, and estimates what is left:

- least: every step left as long as the recent ones;
- most: every step left as long as the longest of those and the one at the
  last event;
- about: the step cost rising from the one to the other along the events.

`extract` shows "about"; a batch stops a capture when even "least" overruns
its `--timeout` by a quarter, and suggests a `--timeout` of twice "most".
Step times are noisy (a step at an early event of warzone2100 took as long
as one at its last, ±20 %): these are estimates, not guarantees.
"""

from __future__ import annotations

import functools
import math
import statistics
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rdc_extract.errors import SweepTooSlow

#: Steps timed before anything is foreseen …
MIN_STEPS = 8
#: … and seconds: a sweep that short is over before a forecast matters.
MIN_SECONDS = 5.0
#: The recent steps whose median is the cost of every step left, at least (a step's time is noisy).
RECENT_STEPS = 5
#: A batch stops a capture when elapsed time plus the least the steps left take exceeds its budget by this factor
#: (room for the noise in a step's time).
OVERRUN_MARGIN = 1.25
#: A suggested `--timeout` is the most the whole capture takes, times this (room for the noise, again).
SUGGESTED_HEADROOM = 2.0
#: `extract` reports progress at most this often.
REPORT_EVERY_S = 15.0


@dataclass(frozen=True)
class Forecast:
    """Seconds the steps left will take: at least, about, at most."""

    least: float
    about: float
    most: float


def forecast(recent_s: Sequence[float], last_event_s: float, done_event: int, upcoming_events: int,
             upcoming_sum: int, last_event: int) -> Forecast:
    """The steps left (`upcoming_events` of them, their events adding up to `upcoming_sum`), after a step at
    `done_event` whose recent steps took `recent_s`, in a sweep whose step at its last event (`last_event`)
    took `last_event_s`."""
    step_low = statistics.median(recent_s)
    step_high = max(last_event_s, *recent_s)
    span = last_event - done_event
    # the step cost rising linearly from step_low at done_event to step_high at last_event
    rise = (step_high - step_low) * ((upcoming_sum - upcoming_events * done_event) / span) if span > 0 else 0.0
    return Forecast(least=upcoming_events * step_low, about=upcoming_events * step_low + rise,
                    most=upcoming_events * step_high)


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"


def suggested_timeout(most_s: float) -> int:
    """A `--timeout` for a capture estimated to take at most `most_s`, with room, in whole minutes."""
    return 60 * math.ceil(SUGGESTED_HEADROOM * most_s / 60)


@dataclass
class SweepClock:
    """Times each step of `capture`'s sweep through `events` (in order) and foresees its end.

    `budget_s`: the seconds the whole job may take (a batch's `--timeout`),
    counted from `started_s` (a `time.perf_counter()` reading); the step after
    which even the least the steps left take overruns it by `OVERRUN_MARGIN`
    raises `SweepTooSlow`. `report`: called with a progress line at most every
    `REPORT_EVERY_S` once a forecast exists.
    """

    capture: Path
    events: tuple[int, ...]
    started_s: float
    budget_s: float | None = None
    report: Callable[[str], None] | None = None
    done: int = 0
    done_sum: int = 0
    swept_s: float = 0.0
    recent: deque[float] = field(default_factory=lambda: deque(maxlen=RECENT_STEPS))
    last_event_s: float | None = None
    reported_at_s: float | None = None

    def step(self, event_id: int, seconds: float, now_s: float, replay_to_last: Callable[[], float]) -> None:
        """Record one step (`seconds` it took, ending at `now_s`); report or stop as the forecast says.
        `replay_to_last` replays up to the sweep's last event and returns the seconds it took: called once,
        when a forecast is first needed."""
        self.done += 1
        self.done_sum += event_id
        self.swept_s += seconds
        self.recent.append(seconds)
        if self.done < MIN_STEPS or self.swept_s < MIN_SECONDS or self.done >= len(self.events):
            return
        if self.last_event_s is None:
            self.last_event_s = replay_to_last()
            now_s += self.last_event_s
        left = forecast(self.recent, self.last_event_s, event_id, len(self.events) - self.done,
                        self._sum_of_events - self.done_sum, self.events[-1])
        elapsed = now_s - self.started_s
        if self.budget_s is not None and elapsed + left.least > OVERRUN_MARGIN * self.budget_s:
            raise SweepTooSlow(self.capture, self._too_slow(elapsed, left), self.budget_s)
        if self.report is not None and (self.reported_at_s is None or now_s - self.reported_at_s >= REPORT_EVERY_S):
            self.reported_at_s = now_s
            self.report(f"draw ids: {self.done} of {len(self.events)} steps in {_minutes(self.swept_s)}, "
                        f"about {_minutes(left.about)} left")

    @functools.cached_property
    def _sum_of_events(self) -> int:
        return sum(self.events)

    def _too_slow(self, elapsed: float, left: Forecast) -> str:
        return (f"draw ids: stepping through {len(self.events)} events would take {_minutes(elapsed + left.least)} "
                f"or more here (the {len(self.events) - self.done} steps left each as long as the last ones, "
                f"{statistics.median(self.recent):.1f} s), beyond the {self.budget_s:g} s allowed; stopped early "
                f"(raise it, e.g. --timeout {suggested_timeout(elapsed + left.most)}, or leave drawids and instances "
                f"out of --outputs)")
