"""Progress of the long commands: a bar on a terminal, one line at most every 10 s in a log (fake clock)."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from rdc_extract.progress import CommandProgress, LogLines, Tally, progress_line, rate_and_eta
from tests.test_relabel import make_dataset

REPO = Path(__file__).resolve().parents[1]


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_line_says_done_of_total_failures_counts_rate_and_eta():
    tally = Tally(total=600, completed=120, failed=2, counts={"skipped": 3})
    assert progress_line("batch", "captures", tally, 79.0) == (
        "batch: 120/600 captures (20%), 2 failed, 3 skipped, 1.52/s, ETA 0:05:16, elapsed 0:01:19")


def test_a_line_without_a_total_or_failures_and_a_resumed_count():
    tally = Tally(total=None, completed=7, failed=None, at_start=4, counts={"restarts": 1}, note="game running")
    assert progress_line("capture", "captures", tally, 120.0) == (
        "capture: 7 captures, 1 restarts, 1.5/min, ETA -:--:--, elapsed 0:02:00, game running")


def test_slow_work_is_rated_per_minute():
    assert rate_and_eta(3, 10, 60.0) == ("3.0/min", "0:02:20")
    assert rate_and_eta(0, 10, 60.0) == ("–/s", "-:--:--")


def test_log_lines_come_at_start_at_most_every_interval_and_at_stop():
    clock, lines = FakeClock(), []
    log = LogLines(lines.append, "relabel", "frames", interval_s=10.0, clock=clock)
    tally = Tally(total=100)
    log.start(tally)
    for _ in range(100):   # one frame every 0.5 s: 50 s in all
        clock.now += 0.5
        tally.completed += 1
        log.changed(tally)
    log.stop(tally)
    assert len(lines) == 1 + 5 + 1
    assert lines[0] == "relabel: 0/100 frames (0%), 0 failed, –/s, ETA -:--:--, elapsed 0:00:00"
    assert lines[1] == "relabel: 20/100 frames (20%), 0 failed, 2.00/s, ETA 0:00:40, elapsed 0:00:10"
    assert lines[-1] == "relabel: 100/100 frames (100%), 0 failed, 2.00/s, ETA 0:00:00, elapsed 0:00:50"


def test_on_a_console_that_is_no_terminal_the_display_writes_those_lines():
    clock, stream = FakeClock(), io.StringIO()
    with CommandProgress(Console(file=stream, force_terminal=False), "batch", "captures", counts=("skipped",),
                         clock=clock) as progress:
        progress.start(4)
        progress.count("skipped")
        clock.now += 11
        progress.advance()
        clock.now += 1
        progress.advance(failed=True)
    assert stream.getvalue().splitlines() == [
        "batch: 0/4 captures (0%), 0 failed, 0 skipped, –/s, ETA -:--:--, elapsed 0:00:00",
        "batch: 1/4 captures (25%), 0 failed, 1 skipped, 5.5/min, ETA 0:00:33, elapsed 0:00:11",
        "batch: 2/4 captures (50%), 1 failed, 1 skipped, 0.17/s, ETA 0:00:12, elapsed 0:00:12",
    ]


def test_on_a_terminal_it_draws_a_bar_instead():
    stream = io.StringIO()
    with CommandProgress(Console(file=stream, force_terminal=True, width=120), "batch", "captures") as progress:
        progress.start(2)
        progress.advance()
        progress.advance()
    shown = stream.getvalue()
    assert "2/2" in shown and "━" in shown and "batch: " not in shown


def test_a_display_never_started_prints_nothing():
    stream = io.StringIO()
    with CommandProgress(Console(file=stream, force_terminal=False), "export", "frames"):
        pass
    assert stream.getvalue() == ""


def test_relabel_with_stderr_to_a_file_writes_progress_lines_and_names_what_to_run_next(tmp_path):
    dataset = make_dataset(tmp_path / "out")
    done = subprocess.run([sys.executable, "-m", "rdc_extract", "relabel", str(dataset), "-c", "city_game_cityscapes",
                           "-j", "1"], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert lines[0].startswith("relabel city_game_cityscapes: 0/4 frames (0%), 0 failed")
    assert lines[-1].startswith("relabel city_game_cityscapes: 4/4 frames (100%), 0 failed")
    assert len(lines) == 2   # under 10 s: the first line and the last
    assert f"next, to make them the default: rdc-extract relabel {dataset} --classes city_game_cityscapes " \
           "--default" in done.stdout


def test_capture_progress_in_a_log_counts_new_captures_and_prints_each_restart():
    from rdc_extract.capture.launcher import RunProgress
    from rdc_extract.capture.progress import CaptureProgress

    clock, stream = FakeClock(), io.StringIO()
    state = RunProgress(complete=2, found_at_start=2, message="launching")
    with CaptureProgress(Console(file=stream, force_terminal=False), 6, clock=clock) as view:
        view.update(state)
        clock.now += 60
        state.complete, state.restarts, state.restart_reasons = 4, 1, ["a stall (120 s without a capture)"]
        state.message = "game running"
        view.update(state)
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("capture: 2/6 captures (33%), 0 restarts, –/s, ETA -:--:--, elapsed 0:00:00, launching")
    assert lines[1] == "restart after a stall (120 s without a capture)"
    assert lines[2].startswith("capture: 4/6 captures (67%), 1 restarts, 2.0/min, ETA 0:01:00, elapsed 0:01:00, "
                               "game running")
    assert lines[-1] == lines[2]   # the final state, at the end
