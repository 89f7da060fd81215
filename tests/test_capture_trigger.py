"""Capturing a game that has no mod (`capture --trigger`): the plan and sidecar logic on plain data, then a real
windowed OpenGL program (tests/no_mod_game.py) under renderdoccmd on a virtual display (Xvfb), replayed."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rdc_extract.capture.display import VirtualDisplay
from rdc_extract.capture.folder import complete_captures, publish_capture
from rdc_extract.capture.launcher import CaptureRunConfig, run_capture
from rdc_extract.capture.sidecar import (
    WRITTEN_BY_LAUNCHER,
    WRITTEN_BY_MOD,
    read_sidecar,
    sidecar_from_json,
    write_sidecar,
)
from rdc_extract.capture.target_tracker import TargetTracker
from rdc_extract.capture.trigger import (
    LAUNCHER_MOD_NAME,
    TriggerError,
    TriggerPlan,
    command_line,
    game_name,
    launcher_sidecar,
    parse_trigger,
)
from rdc_extract.cli import app
from rdc_extract.errors import CaptureRunFailed, SidecarError
from rdc_extract.rd.target_control import TargetCapture
from tests.test_capture import IDLE_GAME, REPO, _check_complete_run, _draws_with_vertex_buffers, _sidecar

NO_MOD_GAME = [sys.executable, str(REPO / "tests" / "no_mod_game.py")]
SAMPLE = REPO / "samples" / "captures" / "city_game_20261125T123148_r01_f000060.rdc"
needs_renderdoccmd = pytest.mark.skipif(shutil.which("renderdoccmd") is None, reason="renderdoccmd not installed")
needs_xvfb = pytest.mark.skipif(shutil.which("Xvfb") is None, reason="Xvfb not installed (apt-get install xvfb)")


# --- the trigger plan -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, plan", [
    ("frames:90,30,60", TriggerPlan(frames=(30, 60, 90))),
    ("frames:1", TriggerPlan(frames=(1,))),
    ("every:5", TriggerPlan(every_s=5.0)),
    (" EVERY: 0.5", TriggerPlan(every_s=0.5)),
])
def test_parse_trigger(text, plan):
    assert parse_trigger(text) == plan
    assert parse_trigger(str(plan)) == plan


@pytest.mark.parametrize("text, message", [
    ("frames:", "whole numbers"),
    ("frames:30,x", "whole numbers"),
    ("frames:0", "between 1 and"),
    ("frames:30,30", "distinct"),
    ("frames:" + ",".join(str(i) for i in range(1, 66)), "at most 64"),
    ("every:", "seconds"),
    ("every:0", "between 0.1"),
    ("every:nan", "between 0.1"),
    ("each:5", "expected frames:N,M,... or every:SECONDS"),
])
def test_parse_trigger_refuses(text, message):
    with pytest.raises(TriggerError, match=message):
        parse_trigger(text)


def test_frames_per_launch_and_every_schedule():
    frames = TriggerPlan(frames=(30, 60, 90))
    assert frames.frames_for_launch(0) == (30, 60, 90) and frames.frames_for_launch(2) == (30, 60)
    assert not frames.trigger_due(1000.0, 0)
    every = TriggerPlan(every_s=2.0)
    assert [every.trigger_due(t, 0) for t in (1.9, 2.0)] == [False, True]
    assert [every.trigger_due(t, 1) for t in (3.9, 4.0)] == [False, True]


def test_game_name_and_command_line():
    assert game_name(["/opt/Game/game.x86_64", "-windowed"]) == "game"
    assert game_name(["python", "x.py"], "My Game") == "My Game"
    assert command_line(["game", "a b"]) == "game 'a b'"
    long = command_line(["game", "x" * 5000])
    assert len(long) == 1024 and long.endswith("…")


# --- the launcher's sidecar --------------------------------------------------------------------------------------

def _launcher_sidecar(**changes):
    fields = dict(capture="game_20260101T000000_r01_f000030.rdc", game="game", command=["game", "-w"],
                  frame_number=30, trigger=TriggerPlan(frames=(30,)), run_id="20260101T000000", launch=1,
                  capture_index=0, seconds_since_launch=2.5, renderdoc_version="1.24", display=":0")
    fields.update(changes)
    return launcher_sidecar(**fields)


def test_launcher_sidecar_round_trip_records_what_the_launcher_knows(tmp_path):
    sidecar = _launcher_sidecar()
    assert read_sidecar(write_sidecar(tmp_path / "a.json", sidecar)) == sidecar
    assert (sidecar.written_by, sidecar.mod_name) == (WRITTEN_BY_LAUNCHER, LAUNCHER_MOD_NAME)
    assert (sidecar.clock_hour, sidecar.clock_minute, sidecar.weather, sidecar.player_pose) == (None,) * 4
    assert sidecar.extra == {"command_line": "game -w", "trigger": "frames:30", "seconds_since_launch": 2.5,
                             "display": ":0"}


def test_sidecars_without_written_by_are_a_mods_and_must_know_the_clock():
    old = _sidecar().to_json()
    del old["written_by"]
    assert sidecar_from_json(old).written_by == WRITTEN_BY_MOD
    for name in ("clock_hour", "weather"):
        data = _sidecar().to_json()
        data[name] = None
        with pytest.raises(SidecarError, match=name):
            sidecar_from_json(data)


@pytest.mark.parametrize("change, message", [
    ({"written_by": "someone"}, "'written_by' must be one of mod, launcher"),
    ({"clock_hour": 12}, "both be set or both be null"),
    ({"clock_hour": 25, "clock_minute": 0}, "not a time of day"),
])
def test_launcher_sidecar_validation_rejects(change, message):
    data = _launcher_sidecar().to_json()
    data.update(change)
    with pytest.raises(SidecarError, match=message):
        sidecar_from_json(data)


def test_tracker_counts_a_capture_the_launcher_published_under_another_name():
    tracker = TargetTracker()
    tracker.apply(TargetCapture("/caps/.staging/20260101T000000_r01_frame30.rdc", 30, "OpenGL", 0), 1.0)
    tracker.claimed("20260101T000000_r01_frame30.rdc", "game_20260101T000000_r01_f000030")
    tracker.folder_has(["game_20260101T000000_r01_f000030"])
    assert (tracker.status.announced_published, tracker.launch_ended()) == (1, [])


# --- a game without a mod, for real ------------------------------------------------------------------------------

def _check_launcher_run(out: Path, expected_frames: list[int], game: str) -> None:
    from rdc_extract.rd.session import open_capture

    sidecars = _check_complete_run(out, len(expected_frames))
    assert sorted(s.frame_number for s in sidecars) == sorted(expected_frames)
    assert {(s.written_by, s.game, s.mod_name) for s in sidecars} == {(WRITTEN_BY_LAUNCHER, game, LAUNCHER_MOD_NAME)}
    for pair in complete_captures(out):
        with open_capture(pair.capture) as session:
            assert session.api == "OpenGL"
            assert _draws_with_vertex_buffers(session) == 1


@needs_renderdoccmd
@needs_xvfb
def test_frames_trigger_on_a_virtual_display(tmp_path, monkeypatch):
    """Frames 30 and 60 of each launch; the third capture needs a second launch; Xvfb is gone afterwards."""
    monkeypatch.delenv("DISPLAY", raising=False)
    out = tmp_path / "caps"
    result = run_capture(CaptureRunConfig(command=NO_MOD_GAME, out_dir=out, count=3,
                                          trigger=parse_trigger("frames:30,60"), virtual_display=True,
                                          display_size="320x240", stall_timeout_s=60))
    assert (result.stopped_because, result.progress.launches, result.progress.restarts) == ("count reached", 2, 0)
    target = result.progress.target
    assert (target.announced, target.announced_published, target.unpublished) == (3, 3, [])
    _check_launcher_run(out, [30, 60, 30], Path(sys.executable).stem)  # default name: the program's
    sidecars = [read_sidecar(p.sidecar) for p in complete_captures(out)]
    assert [(s.launch, s.frame_number) for s in sorted(sidecars, key=lambda s: s.capture_index)] == [
        (1, 30), (1, 60), (2, 30)]
    display = sidecars[0].extra["display"]
    assert not Path(f"/tmp/.X{display.lstrip(':')}-lock").exists()


@needs_renderdoccmd
@needs_xvfb
def test_cli_every_trigger(tmp_path, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    result = CliRunner().invoke(app, ["capture", "--out", str(tmp_path), "--count", "2", "--trigger", "every:0.5",
                                      "--game", "triangle", "--virtual-display", "--", *NO_MOD_GAME])
    assert result.exit_code == 0, result.output
    assert "2 captures announced, 2 published as pairs" in " ".join(result.output.split())
    _check_launcher_run(tmp_path, [s.frame_number for s in map(read_sidecar, tmp_path.glob("*.json"))], "triangle")


@needs_renderdoccmd
def test_a_program_that_presents_no_window_stalls_and_says_why(tmp_path):
    """A hooked program with no window (like the headless sample game) never captures on a trigger."""
    with pytest.raises(CaptureRunFailed, match="RenderDoc saw no window the game presents to"):
        run_capture(CaptureRunConfig(command=IDLE_GAME, out_dir=tmp_path, count=1, trigger=parse_trigger("every:0.2"),
                                     stall_timeout_s=1.5, max_fruitless_launches=1))


def test_virtual_display_without_xvfb_fails_with_one_line(tmp_path, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(CaptureRunFailed, match=r"^--virtual-display: Xvfb not found; install it \(Debian: apt-get "
                                               r"install xvfb\) or set DISPLAY to an X display$"):
        VirtualDisplay().__enter__()


def test_virtual_display_keeps_an_existing_display():
    with VirtualDisplay(env={"DISPLAY": ":42"}) as display:
        assert (display.display, display.started) == (":42", False)


@pytest.mark.parametrize("options, message", [
    (["--trigger", "frames:x"], "whole numbers"),
    (["--trigger", "every:5", "--ground-truth"], "ground truth needs a mod"),
    (["--display-size", "big"], "not WIDTHxHEIGHT"),
])
def test_cli_refuses_bad_trigger_options(tmp_path, options, message):
    result = CliRunner().invoke(app, ["capture", "--out", str(tmp_path), "--count", "1", *options, "--", "game"])
    assert result.exit_code == 2
    assert message in result.output



@pytest.mark.skipif(not SAMPLE.is_file(), reason="no sample-game captures: run samples/make_captures.sh")
def test_a_capture_with_a_launcher_sidecar_extracts_with_its_scenario(tmp_path):
    """The extraction takes a launcher-written sidecar (null clock and weather) like a mod's."""
    staged = tmp_path / "staged.rdc"
    shutil.copyfile(SAMPLE, staged)
    (tmp_path / "caps").mkdir()
    stem = "game_20260101T000000_r01_f000030"
    pair = publish_capture(staged, _launcher_sidecar(capture=f"{stem}.rdc"), tmp_path / "caps", stem)
    result = CliRunner().invoke(app, ["extract", str(pair.capture), str(tmp_path / "out"), "--outputs", "rgb"])
    assert result.exit_code == 0, result.output
    meta = json.loads((tmp_path / "out" / "frames" / stem / "meta.json").read_text())
    assert meta["scenario"]["written_by"] == WRITTEN_BY_LAUNCHER
    assert (meta["scenario"]["clock_hour"], meta["scenario"]["weather"]) == (None, None)
    assert meta["capture"]["verified"] is True
