"""The draw-id sweep's forecast (extract/sweep_clock.py), on plain numbers: bounds from the recent steps and a
replay up to the last event, progress lines at most every REPORT_EVERY_S, and the early stop of a sweep that
cannot fit its budget."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from rdc_extract.batch.child import failure_cause
from rdc_extract.errors import SweepTooSlow
from rdc_extract.extract.sweep_clock import (
    MIN_SECONDS,
    MIN_STEPS,
    OVERRUN_MARGIN,
    REPORT_EVERY_S,
    Forecast,
    SweepClock,
    forecast,
    suggested_timeout,
)


def test_steps_left_are_bounded_by_the_recent_ones_and_a_replay_up_to_the_last_event():
    """Events 101..200 left after a step at 100, recent steps of 1 s (median), the last event's 3 s: at least
    100 × 1, at most 100 × 3, about the cost rising linearly from 1 s at event 100 to 3 s at event 200."""
    upcoming = range(101, 201)
    left = forecast([1.0, 0.9, 1.1], 3.0, 100, len(upcoming), sum(upcoming), 200)
    assert left == Forecast(least=100.0, about=pytest.approx(sum(1 + 2 * (e - 100) / 100 for e in upcoming)),
                            most=300.0)


def test_a_last_event_quicker_than_the_recent_steps_counts_as_the_longest_of_them():
    """Step times are noisy: the one step at the last event can come out quicker than recent ones."""
    assert forecast([2.0, 2.5, 1.5], 1.0, 10, 5, sum(range(11, 16)), 15) == Forecast(10.0, 11.5, 12.5)


def test_the_suggested_timeout_is_the_most_with_room_in_whole_minutes():
    assert [suggested_timeout(s) for s in (1, 30, 31, 100, 1000)] == [60, 60, 120, 240, 2040]


def _sweep(clock: SweepClock, step_s: float, steps: int, last_event_s: float = 0.0) -> float:
    """Steps of `step_s` each through the first `steps` events; returns the clock time after them."""
    now, probes = clock.started_s, []

    def replay_to_last() -> float:
        probes.append(last_event_s)
        return last_event_s

    for event in clock.events[:steps]:
        now += step_s
        clock.step(event, step_s, now, replay_to_last)
    assert len(probes) <= 1
    return now


def test_a_sweep_that_cannot_fit_its_budget_stops_after_its_first_steps(tmp_path):
    capture = tmp_path / "slow.rdc"
    clock = SweepClock(capture, tuple(range(1000, 1400)), started_s=100.0, budget_s=600.0)
    with pytest.raises(SweepTooSlow) as raised:
        _sweep(clock, 2.0, 400, last_event_s=4.0)   # at least 800 s in all
    error = raised.value
    assert clock.done == max(MIN_STEPS, int(MIN_SECONDS / 2.0) + 1)
    assert error.path == capture
    assert failure_cause(error) == "timeout (> 600 s)"   # recorded as the timeout it would have become
    message = str(error)
    assert "\n" not in message and message.startswith(f"{capture}: timeout (> 600 s): draw ids: ")
    assert "would take 13 min or more here (the 392 steps left each as long as the last ones, 2.0 s)" in message
    # most: 16 s (8 steps) + 4 s (the step at the last event) + 392 × 4 s = 1588 s; twice that, in minutes
    assert "e.g. --timeout 3180," in message


def test_a_sweep_that_can_still_fit_is_not_stopped_however_much_the_most_would_overrun(tmp_path):
    """A replay up to the last event of 60 s says the rest may take 6 hours; the least it can take fits, so the
    sweep runs on: what a batch stops could not have finished."""
    clock = SweepClock(tmp_path / "a.rdc", tuple(range(400)), started_s=0.0, budget_s=600.0)
    _sweep(clock, 600.0 / OVERRUN_MARGIN / 400 * 0.99 * OVERRUN_MARGIN, 400, last_event_s=60.0)
    assert clock.done == 400


def test_without_a_budget_nothing_stops_and_progress_is_reported_at_most_every_interval(tmp_path):
    lines: list[str] = []
    clock = SweepClock(tmp_path / "a.rdc", tuple(range(200)), started_s=0.0, report=lines.append)
    _sweep(clock, 1.0, 200, last_event_s=1.0)   # 200 s
    assert clock.done == 200
    assert 200 // REPORT_EVERY_S - 1 <= len(lines) <= 200 / REPORT_EVERY_S
    assert lines[0] == f"draw ids: {MIN_STEPS} of 200 steps in {MIN_STEPS} s, about 3 min left"   # 192 s
    steps_done = [int(line.split()[2]) for line in lines]
    assert all(later - earlier >= REPORT_EVERY_S for earlier, later in zip(steps_done, steps_done[1:]))
    assert lines[-1].endswith(" s left")


def test_a_short_sweep_says_nothing_and_replays_nothing_more(tmp_path):
    lines: list[str] = []
    clock = SweepClock(tmp_path / "a.rdc", tuple(range(77)), started_s=0.0, budget_s=1.0, report=lines.append)
    _sweep(clock, MIN_SECONDS / 100, 77)   # under MIN_SECONDS in all: no forecast, however tight the budget
    assert lines == [] and clock.done == 77 and clock.last_event_s is None


def test_the_error_crosses_processes_as_it_is():
    error = SweepTooSlow(Path("x.rdc"), "draw ids: …", 30.0)
    again = pickle.loads(pickle.dumps(error))
    assert (str(again), again.cause, again.path) == (str(error), "timeout (> 30 s)", Path("x.rdc"))
