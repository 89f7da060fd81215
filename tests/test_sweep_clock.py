"""The draw-id sweep's forecast (extract/sweep_clock.py), on plain numbers: the line through the timed steps,
progress lines at most every REPORT_EVERY_S, and the early stop of a sweep that would overrun its budget."""

from __future__ import annotations

from pathlib import Path

import pytest

from rdc_extract.batch.child import failure_cause
from rdc_extract.errors import SweepTooSlow
from rdc_extract.extract.sweep_clock import (
    MIN_SECONDS,
    MIN_STEPS,
    OVERRUN_MARGIN,
    REPORT_EVERY_S,
    StepLine,
    SweepClock,
)


def _line(events, seconds) -> StepLine:
    line = StepLine()
    for event, took in zip(events, seconds):
        line.add(event, took)
    return line


def test_a_step_cost_that_grows_with_the_event_is_extrapolated_exactly():
    events = list(range(100, 110))
    upcoming = list(range(110, 200))
    line = _line(events, [0.5 + 0.01 * e for e in events])
    assert line.seconds_for(len(upcoming), sum(upcoming)) == pytest.approx(sum(0.5 + 0.01 * e for e in upcoming))


def test_a_falling_slope_counts_as_flat():
    """Noise can tilt the first steps' line downwards; further steps never cost less, so the mean is kept."""
    line = _line([10, 11, 12, 13], [2.0, 1.8, 1.6, 1.4])
    assert line.seconds_for(2, 14 + 15) == pytest.approx(2 * 1.7)


def test_a_line_below_zero_at_the_frame_start_goes_through_the_origin():
    events, seconds = [100, 101, 102], [1.0, 2.0, 3.0]   # the least-squares line is t = e - 99
    per_event = sum(e * t for e, t in zip(events, seconds)) / sum(e * e for e in events)
    assert _line(events, seconds).seconds_for(1, 103) == pytest.approx(103 * per_event)


def test_one_event_timed_again_and_again_gives_its_mean():
    assert _line([7, 7, 7], [1.0, 2.0, 3.0]).seconds_for(4, 4 * 7) == pytest.approx(8.0)


def test_nothing_is_foreseen_from_no_step():
    with pytest.raises(ValueError):
        StepLine().seconds_for(1, 1)


def _sweep(clock: SweepClock, step_s: float, steps: int) -> float:
    """Steps of `step_s` each through the first `steps` events; returns the clock time after them."""
    now = clock.started_s
    for event in clock.events[:steps]:
        now += step_s
        clock.step(event, step_s, now)
    return now


def test_a_sweep_that_would_overrun_its_budget_stops_after_its_first_steps(tmp_path):
    capture = tmp_path / "slow.rdc"
    clock = SweepClock(capture, tuple(range(1000, 1400)), started_s=100.0, budget_s=600.0)
    with pytest.raises(SweepTooSlow) as raised:
        _sweep(clock, 2.0, 400)   # 800 s in all
    error = raised.value
    assert clock.line.count == max(MIN_STEPS, int(MIN_SECONDS / 2.0) + 1)
    assert error.path == capture
    assert failure_cause(error) == "timeout (> 600 s)"   # recorded as the timeout it would have become
    message = str(error)
    assert "\n" not in message and message.startswith(f"{capture}: timeout (> 600 s): draw ids: ")
    assert "400 events would take about 13 min" in message and "e.g. --timeout 1200," in message   # 800 s × 1.5


def test_a_sweep_within_its_budget_runs_to_the_end(tmp_path):
    clock = SweepClock(tmp_path / "a.rdc", tuple(range(400)), started_s=0.0, budget_s=600.0)
    _sweep(clock, 600.0 * OVERRUN_MARGIN / 400 * 0.99, 400)
    assert clock.line.count == 400


def test_without_a_budget_nothing_stops_and_progress_is_reported_at_most_every_interval(tmp_path):
    lines: list[str] = []
    clock = SweepClock(tmp_path / "a.rdc", tuple(range(200)), started_s=0.0, report=lines.append)
    _sweep(clock, 1.0, 200)   # 200 s
    assert clock.line.count == 200
    assert 200 // REPORT_EVERY_S - 1 <= len(lines) <= 200 / REPORT_EVERY_S
    assert lines[0] == f"draw ids: {MIN_STEPS} of 200 steps in {MIN_STEPS} s, about 3 min left"   # 192 s
    steps_done = [int(line.split()[2]) for line in lines]
    assert all(later - earlier >= REPORT_EVERY_S for earlier, later in zip(steps_done, steps_done[1:]))
    assert lines[-1].endswith(" s left")


def test_a_short_sweep_says_nothing(tmp_path):
    lines: list[str] = []
    clock = SweepClock(tmp_path / "a.rdc", tuple(range(77)), started_s=0.0, budget_s=1.0, report=lines.append)
    _sweep(clock, MIN_SECONDS / 100, 77)   # under MIN_SECONDS in all: no forecast, however tight the budget
    assert lines == [] and clock.line.count == 77


def test_the_error_crosses_processes_as_it_is():
    import pickle

    error = SweepTooSlow(Path("x.rdc"), "draw ids: …", 30.0)
    again = pickle.loads(pickle.dumps(error))
    assert (str(again), again.cause, again.path) == (str(error), "timeout (> 30 s)", Path("x.rdc"))
