"""RenderDoc target control in `rdc-extract capture`: the tracker's logic, the watcher against real targets,
a restart on a lost target, and the fallback when no target can be found.

The end-to-end checks that NewCapture events equal the captures made live in
tests/test_capture.py (sample game, and the kill test).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

import rdc_extract.capture.launcher as launcher
from rdc_extract.capture.folder import complete_captures
from rdc_extract.capture.launcher import CaptureRunConfig, run_capture
from rdc_extract.capture.progress import progress_note, summary
from rdc_extract.capture.target_tracker import NOT_CONNECTED, TargetTracker
from rdc_extract.cli import app
from rdc_extract.errors import CaptureRunFailed, RenderDocNotFound
from rdc_extract.rd import target_control
from rdc_extract.rd.target_control import (
    TargetApi,
    TargetBusy,
    TargetCapture,
    TargetConnected,
    TargetControlUnavailable,
    TargetControlWatcher,
    TargetDisconnected,
)
from tests.processes import child_pids
from tests.test_capture import GAME, IDLE_GAME, REPO, _check_complete_run

needs_renderdoccmd = pytest.mark.skipif(shutil.which("renderdoccmd") is None, reason="renderdoccmd not installed")
STEM = "city_game_20261125T120301_r01_f000040"


def _announce(name: str) -> TargetCapture:
    return TargetCapture(path=f"/caps/.staging/{name}", frame_number=None, api="OpenGL", capture_id=0)


# --- the tracker: plain logic ---------------------------------------------------------------------------------

def test_tracker_connection_status_lines():
    tracker = TargetTracker()
    assert tracker.status.describe() == NOT_CONNECTED
    tracker.apply(TargetConnected(ident=38920, pid=12, name="python3.11", api=""), 0.0)
    assert tracker.status.describe() == "RenderDoc connected, target 38920, API not registered yet"
    assert tracker.apply(TargetApi("OpenGL"), 0.1) == "RenderDoc connected, target 38920, API OpenGL"
    assert tracker.apply(TargetDisconnected(38920), 0.2) == "RenderDoc target 38920 disconnected"
    assert tracker.status.describe() == "RenderDoc target 38920 disconnected"
    tracker.launch_started()
    assert tracker.status.describe() == NOT_CONNECTED
    assert (tracker.status.connections, tracker.status.disconnects) == (1, 1)


def test_the_progress_line_says_a_connection_once():
    tracker = TargetTracker()
    news = tracker.apply(TargetConnected(ident=38920, pid=12, name="game", api="Vulkan"), 0.0)
    state = launcher.RunProgress(message=news, target=tracker.status)
    assert progress_note(state) == "RenderDoc connected, target 38920, API Vulkan"   # was said twice
    state.message = "launch 1 started"
    assert progress_note(state) == "launch 1 started · RenderDoc connected, target 38920, API Vulkan"
    tracker.apply(TargetControlUnavailable("RenderDoc Python module not found"), 0.3)
    assert tracker.status.describe().startswith("target control: unavailable (RenderDoc Python module not found)")


def test_announced_captures_match_pairs_in_either_order():
    tracker = TargetTracker(stems_at_start=["old_20261125T110000_r01_f000001"])
    tracker.apply(_announce(f"{STEM}_capture.rdc"), 1.0)  # announcement first
    tracker.folder_has(["old_20261125T110000_r01_f000001", STEM])
    second = STEM.replace("f000040", "f000080")
    tracker.folder_has(["old_20261125T110000_r01_f000001", STEM, second])  # pair first
    tracker.apply(_announce(f"{second}_frame80.rdc"), 2.0)
    status = tracker.status
    assert (status.announced, status.announced_published, status.unpublished) == (2, 2, [])
    assert tracker.overdue(1000.0, grace_s=30.0) == [] and tracker.launch_ended() == []


def test_announced_capture_without_pair_is_reported_after_grace_or_at_launch_end():
    tracker = TargetTracker()
    lost = STEM.replace("f000040", "f000120")
    tracker.apply(_announce(f"{lost}_capture.rdc"), 10.0)
    assert tracker.overdue(39.0, grace_s=30.0) == []
    assert tracker.overdue(41.0, grace_s=30.0) == [f"{lost}_capture.rdc"]
    tracker.launch_started()
    killed = STEM.replace("f000040", "f000160")
    tracker.apply(_announce(f"{killed}_capture.rdc"), 50.0)
    tracker.folder_has([STEM])  # some other pair: not this announcement's
    assert tracker.launch_ended() == [f"{killed}_capture.rdc"]
    assert tracker.status.unpublished == [f"{lost}_capture.rdc", f"{killed}_capture.rdc"]
    assert (tracker.status.announced, tracker.status.announced_published) == (2, 0)


def test_lost_target_clock_starts_at_disconnect_and_stops_at_any_sign_of_it():
    tracker = TargetTracker()
    tracker.apply(TargetDisconnected(38920), 1.0)  # never connected: nothing was lost
    assert tracker.lost_for(100.0) == 0.0
    tracker.apply(TargetConnected(38920, 12, "game", "OpenGL"), 2.0)
    tracker.apply(TargetDisconnected(38920), 3.0)
    assert tracker.lost_for(5.5) == 2.5
    tracker.apply(TargetBusy(38920, "qrenderdoc"), 6.0)  # maybe ours, taken by RenderDoc's UI
    assert tracker.lost_for(100.0) == 0.0
    tracker.apply(TargetConnected(38920, 12, "game", "OpenGL"), 7.0)
    tracker.apply(TargetDisconnected(38920), 8.0)
    tracker.launch_ended()
    assert tracker.lost_for(100.0) == 0.0


def test_watcher_reports_a_missing_renderdoc_module(monkeypatch):
    def missing():
        raise RenderDocNotFound("RenderDoc Python module not found (tried nothing)")

    monkeypatch.setattr(target_control, "load_renderdoc", missing)
    watcher = TargetControlWatcher(lambda pid: True).start()
    events = watcher.stop()
    assert [type(e) for e in events] == [TargetControlUnavailable]
    assert "not found" in events[0].reason


# --- the watcher against real RenderDoc targets ---------------------------------------------------------------

def _events_until(watcher: TargetControlWatcher, wanted: type, timeout_s: float = 10.0) -> list:
    seen: list = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not any(isinstance(e, wanted) for e in seen):
        time.sleep(0.02)
        seen += watcher.drain()
    return seen


@needs_renderdoccmd
def test_watcher_connects_only_to_its_own_process_group_and_sees_the_kill():
    """Two hooked processes in two groups: the watcher connects to its own; SIGKILL gives Disconnected."""
    hooked = [shutil.which("renderdoccmd"), "capture", "-w", *IDLE_GAME]
    other = subprocess.Popen(hooked, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(0.3)  # listed first (the lower port), so the watcher must skip it
    mine = subprocess.Popen(hooked, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    watcher = TargetControlWatcher(lambda pid: launcher.in_process_group(pid, mine.pid)).start()
    try:
        [connected] = [e for e in _events_until(watcher, TargetConnected) if isinstance(e, TargetConnected)]
        assert connected.pid in child_pids(mine.pid)
        for pid in child_pids(mine.pid):
            os.kill(pid, signal.SIGKILL)
        events = _events_until(watcher, TargetDisconnected, 5.0)
        assert TargetDisconnected(connected.ident) in events
    finally:
        watcher.stop()
        for process in (mine, other):
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# --- the launcher ----------------------------------------------------------------------------------------------

# Hooked at start (sh loads RenderDoc and has a target), then exec'd into a process RenderDoc no longer hooks
# (renderdoccmd removes its preload from the environment): the target goes away, the process hangs on.
LOSES_RENDERDOC = ["sh", "-c", f"sleep 1; exec {sys.executable} -c 'import time; time.sleep(60)'"]


@needs_renderdoccmd
def test_lost_target_restarts_the_game_before_the_stall_timeout(tmp_path):
    started = time.monotonic()
    with pytest.raises(CaptureRunFailed, match="RenderDoc target disconnected and did not come back"):
        run_capture(CaptureRunConfig(command=LOSES_RENDERDOC, out_dir=tmp_path, count=1, stall_timeout_s=60,
                                     disconnect_grace_s=1.0, max_fruitless_launches=1))
    assert time.monotonic() - started < 10


@needs_renderdoccmd
def test_without_target_control_the_run_works_as_before(tmp_path, monkeypatch):
    """No target ever matches (as for a program without RenderDoc's hooks): captures still complete."""
    monkeypatch.setattr(launcher, "in_process_group", lambda pid, group: False)
    lines: set[str] = set()
    result = run_capture(CaptureRunConfig(command=GAME, out_dir=tmp_path / "caps", count=2, every=5, warmup=5,
                                          stall_timeout_s=60, disconnect_grace_s=0.5, workdir=REPO),
                         lambda progress: lines.add(progress.target.describe()))
    _check_complete_run(tmp_path / "caps", 2)
    assert result.progress.restarts == 0
    assert lines == {NOT_CONNECTED}
    assert result.progress.target.announced == 0
    assert "target control never connected (watched process and folder only)" in summary(result)


@needs_renderdoccmd
def test_cli_summary_reports_target_control(tmp_path):
    # A budget well above the ~50 ms the target needs to register, so a loaded machine still connects.
    result = CliRunner().invoke(app, ["capture", "--out", str(tmp_path), "--time-budget", "5", "--", *IDLE_GAME])
    assert result.exit_code == 0, result.output
    assert "RenderDoc target control: 1 connections, 1 disconnects, 0 captures announced" in result.output
    assert complete_captures(tmp_path) == []
