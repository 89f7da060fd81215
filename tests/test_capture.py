"""Capture automation: sidecar schema, folder layout, plan, mod settings, and the real launcher end to end.

The end-to-end tests run the sample game under renderdoccmd with the autocapture
mod (small frames, a capture every few frames) and replay what it wrote; the kill
test kills the game mid-run and checks the launcher restarts it and ends with
exactly the requested number of complete pairs.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from rdc_extract.capture.folder import (
    STAGING_DIR,
    STEM_PATTERN,
    capture_stem,
    clean_partial_captures,
    complete_captures,
    partial_captures,
    publish_capture,
)
from rdc_extract.capture.launcher import CaptureRunConfig, expand_command, run_capture
from rdc_extract.capture.modkit import ENV_DIR, ENV_EVERY, ENV_PLAN, ModConfig, ModConfigError
from rdc_extract.capture.plan import WEATHERS, plan_step
from rdc_extract.capture.sidecar import (
    PlayerPose,
    Sidecar,
    file_sha256,
    read_sidecar,
    sidecar_from_json,
    write_sidecar,
)
from rdc_extract.cli import app
from rdc_extract.errors import SidecarError
from rdc_extract.rd.loader import load_renderdoc
from tests.processes import child_pids, group_members, running, wait_until

REPO = Path(__file__).resolve().parent.parent
MOD = REPO / "mod_scripts" / "city_game" / "autocapture.py"
GAME = [sys.executable, "-m", "samples.city_game", "--width", "320", "--height", "180", "--frames", "100000",
        "--mod", str(MOD)]
needs_renderdoccmd = pytest.mark.skipif(shutil.which("renderdoccmd") is None, reason="renderdoccmd not installed")


def _sidecar(**changes) -> Sidecar:
    fields = dict(capture="g_20260101T000000_r01_f000040.rdc", game="g", game_build="1.0", frame_number=40,
                  clock_hour=23, clock_minute=5, weather="fog",
                  player_pose=PlayerPose(x=1.5, y=-2.0, heading_deg=90.0, z=0.0), seed=3, mod_name="m",
                  mod_version="1", renderdoc_version="1.24", run_id="20260101T000000", launch=1, capture_index=0)
    fields.update(changes)
    return Sidecar(**fields)


# --- sidecar --------------------------------------------------------------------------------------------------

def test_sidecar_round_trip(tmp_path):
    original = _sidecar(ground_truth="g.gt.npz", plan_step={"index": 0, "weather": "fog"}, extra={"k": [1, 2]})
    path = write_sidecar(tmp_path / "a.json", original)
    assert read_sidecar(path) == original
    assert not list(tmp_path.glob("*.tmp"))


def test_sidecar_refuses_to_overwrite(tmp_path):
    write_sidecar(tmp_path / "a.json", _sidecar())
    with pytest.raises(SidecarError, match="already exists"):
        write_sidecar(tmp_path / "a.json", _sidecar(frame_number=41))


@pytest.mark.parametrize("change, message", [
    ({"frame_number": True}, "frame_number"),
    ({"frame_number": "40"}, "frame_number"),
    ({"clock_hour": 24}, "time of day"),
    ({"weather": None}, "weather"),
    ({"schema_version": 2}, "schema_version"),
    ({"schema": "other"}, "schema"),
    ({"player_pose": {"x": 1.0, "y": float("nan"), "heading_deg": 0.0}}, "non-finite"),
    ({"player_pose": {"x": 1.0}}, "player_pose"),
    ({"launch": 0}, "launch"),
    ({"capture": "../elsewhere.rdc"}, "'capture' must be a file name in the sidecar's folder"),
    ({"capture": "/tmp/x.rdc"}, "'capture' must be a file name"),
    ({"ground_truth": ".."}, "'ground_truth' must be a file name"),
])
def test_sidecar_validation_rejects(change, message):
    data = _sidecar().to_json()
    data.update(change)
    with pytest.raises(SidecarError, match=message):
        sidecar_from_json(data)


def test_read_sidecar_errors_name_the_file(tmp_path):
    with pytest.raises(SidecarError, match="does not exist"):
        read_sidecar(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(SidecarError, match="broken.json.*not JSON"):
        read_sidecar(broken)


# --- names and folder -------------------------------------------------------------------------------------------

def test_capture_stem_is_unique_per_launch_and_frame():
    stem = capture_stem("city_game", "20261125T120301", 2, 450)
    assert stem == "city_game_20261125T120301_r02_f000450"
    assert STEM_PATTERN.match(stem).group("game", "run", "launch", "frame") == (
        "city_game", "20261125T120301", "02", "000450")
    assert capture_stem("Grand Theft/Auto V", "20261125T120301", 1, 1).startswith("Grand-Theft-Auto-V_")
    assert len({capture_stem("g", "20261125T120301", launch, frame)
                for launch in (1, 2) for frame in (0, 40)}) == 4


def _touch(path: Path, text: str = "x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_complete_pairs_and_cleanup_of_partials(tmp_path):
    run = "20261125T120301"
    full = capture_stem("g", run, 1, 40)
    orphan_rdc = capture_stem("g", run, 1, 80)  # died between renaming the .rdc and the sidecar
    lone_json = capture_stem("g", run, 2, 10)
    for name in (f"{full}.rdc", f"{full}.json", f"{full}.gt.npz", f"{orphan_rdc}.rdc", f"{orphan_rdc}.gt.npz",
                 f"{lone_json}.json", f"{full}.json.tmp", "notes.txt", "someone_else.rdc"):
        _touch(tmp_path / name)
    _touch(tmp_path / STAGING_DIR / f"{run}_r02_frame12.rdc")

    [complete] = [c for c in complete_captures(tmp_path) if c.stem == full]
    assert complete.ground_truth == tmp_path / f"{full}.gt.npz"
    assert {p.name for p in partial_captures(tmp_path)} == {
        f"{orphan_rdc}.rdc", f"{orphan_rdc}.gt.npz", f"{lone_json}.json", f"{full}.json.tmp"}

    clean_partial_captures(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"{full}.rdc", f"{full}.json", f"{full}.gt.npz", "notes.txt", "someone_else.rdc"])


def test_publish_records_the_captures_sha256_moves_sidecar_last_and_never_clobbers(tmp_path):
    staging = tmp_path / STAGING_DIR
    stem = capture_stem("g", "20261125T120301", 1, 40)
    rdc = _touch(staging / "x_frame1.rdc", "capture bytes")
    side = _sidecar(capture=f"{stem}.rdc")
    published = publish_capture(rdc, side, tmp_path, stem)
    assert [c.stem for c in complete_captures(tmp_path)] == [stem] and published.sidecar.is_file()
    assert read_sidecar(published.sidecar).capture_sha256 == hashlib.sha256(b"capture bytes").hexdigest()
    rdc2 = _touch(staging / "x_frame2.rdc")
    with pytest.raises(FileExistsError):
        publish_capture(rdc2, side, tmp_path, stem)


# --- plan and mod settings ----------------------------------------------------------------------------------------

def test_schedule_covers_day_night_fog_rain_in_six_captures():
    steps = [plan_step("schedule", 7, k) for k in range(6)]
    assert {s.period for s in steps} >= {"day", "night"}
    assert {s.weather for s in steps} >= {"fog", "rain"}
    assert steps == [plan_step("schedule", 7, k) for k in range(6)]
    assert [s.minute for s in steps] != [plan_step("schedule", 8, k).minute for k in range(6)]


def test_random_plan_is_seeded():
    a = [plan_step("random", 5, k) for k in range(20)]
    assert a == [plan_step("random", 5, k) for k in range(20)]
    assert all(0 <= s.hour < 24 and s.weather in WEATHERS for s in a)
    with pytest.raises(ValueError):
        plan_step("nonsense", 0, 0)


def test_plan_known_values():
    """Pinned values: mod_scripts/gtav/RdcAutoCapture.3.cs ports the same SplitMix64 plan and must agree."""
    assert [(s.hour, s.minute, s.weather) for s in (plan_step("schedule", 0, k) for k in range(3))] == [
        (13, 55, "clear"), (23, 29, "clear"), (11, 28, "fog")]
    assert [(s.hour, s.minute, s.weather) for s in (plan_step("random", 5, k) for k in range(2))] == [
        (13, 30, "overcast"), (21, 14, "fog")]


def test_mod_config_env_round_trip(tmp_path):
    config = ModConfig(out_dir=tmp_path.resolve(), staging_dir=(tmp_path / STAGING_DIR).resolve(), every=7,
                       warmup=3, seed=9, plan="random", ground_truth=True, run_id="20261125T120301", launch=3,
                       start_index=4, limit=2)
    assert ModConfig.from_env(config.to_env()) == config
    with pytest.raises(ModConfigError, match=ENV_DIR):
        ModConfig.from_env({})
    with pytest.raises(ModConfigError, match=ENV_EVERY):
        ModConfig.from_env({ENV_DIR: str(tmp_path), ENV_EVERY: "0"})
    with pytest.raises(ModConfigError, match=ENV_PLAN):
        ModConfig.from_env({ENV_DIR: str(tmp_path), ENV_PLAN: "chaos"})


def test_command_placeholders_are_expanded_per_launch():
    assert expand_command(["game", "--seed", "{capture_index}", "--log=l{launch}.txt"], 4, 2) == [
        "game", "--seed", "4", "--log=l2.txt"]


def test_cli_capture_needs_a_stop_condition(tmp_path):
    result = CliRunner().invoke(app, ["capture", "--out", str(tmp_path), "--", "true"])
    assert result.exit_code == 2
    assert "--count" in result.output


# --- end to end with the sample game -----------------------------------------------------------------------------

def _check_complete_run(out: Path, expected: int) -> list[Sidecar]:
    pairs = complete_captures(out)
    assert len(pairs) == expected
    assert partial_captures(out) == []
    assert not (out / STAGING_DIR).exists()
    sidecars = [read_sidecar(p.sidecar) for p in pairs]
    for pair, sidecar in zip(pairs, sidecars):
        assert sidecar.capture == pair.capture.name
        assert sidecar.capture_sha256 == file_sha256(pair.capture)
        assert STEM_PATTERN.match(pair.stem)
        assert pair.capture.read_bytes()[:4] == b"RDOC"
    assert sorted(s.capture_index for s in sidecars) == list(range(expected))
    return sidecars


def _draws_with_vertex_buffers(session, first: int = 20) -> int:
    """How many of the first draws have a vertex buffer bound: 0 means the capture lost its VAO state."""
    rd = load_renderdoc()
    leaves = []

    def walk(actions):
        for action in actions:
            if len(action.children):
                walk(action.children)
            elif action.flags & rd.ActionFlags.Drawcall:
                leaves.append(action)

    walk(session.controller.GetRootActions())
    bound = 0
    for action in leaves[:first]:
        session.controller.SetFrameEvent(action.eventId, False)
        buffers = session.controller.GetPipelineState().GetVBuffers()
        bound += any(int(b.resourceId) != 0 for b in buffers)
    return bound


@needs_renderdoccmd
def test_capture_sample_game_and_replay(tmp_path):
    """One capture per launch (see docs/capture.md on RenderDoc 1.24 and VAO state), a seed per capture."""
    from rdc_extract.rd.session import open_capture

    out = tmp_path / "caps"
    game = [*GAME, "--seed", "{capture_index}"]
    target_lines: set[str] = set()
    result = run_capture(CaptureRunConfig(command=game, out_dir=out, count=2, every=5, warmup=5,
                                          ground_truth=True, stall_timeout_s=60, workdir=REPO,
                                          captures_per_launch=1),
                         lambda progress: target_lines.add(progress.target.describe()))
    assert result.stopped_because == "count reached"
    assert result.progress.restarts == 0 and result.progress.launches == 2
    # RenderDoc's target control saw both games, their API, and announced exactly the captures published.
    target = result.progress.target
    assert any(re.fullmatch(r"RenderDoc connected, target \d+, API OpenGL", line) for line in target_lines)
    assert (target.connections, target.disconnects) == (2, 2)
    assert (target.announced, target.announced_published, target.unpublished) == (2, 2, [])
    sidecars = _check_complete_run(out, 2)
    assert {s.game for s in sidecars} == {"city_game"}
    assert [s.seed for s in sidecars] == [0, 1] and [s.launch for s in sidecars] == [1, 2]
    assert all(s.renderdoc_version.startswith("1.") for s in sidecars)
    assert [(s.clock_hour, s.weather) for s in sidecars] == [
        (plan_step("schedule", 0, k).hour, plan_step("schedule", 0, k).weather) for k in range(2)]
    for pair in complete_captures(out):
        with np.load(pair.ground_truth) as gt:
            assert gt["depth_m"].shape == (180, 320)
        with open_capture(pair.capture) as session:
            assert session.api == "OpenGL"
            assert _draws_with_vertex_buffers(session) > 0


@needs_renderdoccmd
def test_killing_the_game_mid_run_restarts_it_and_ends_with_whole_pairs(tmp_path):
    out = tmp_path / "caps"
    staging = out / STAGING_DIR
    launcher_pids: list[int] = []
    killed: list[int] = []

    def killer() -> None:
        """Once a capture is complete, kill the game as soon as RenderDoc is writing the next one (or 5 s later)."""
        deadline = None
        while not killed:
            if launcher_pids and complete_captures(out):
                deadline = deadline or time.monotonic() + 5.0
                busy = staging.is_dir() and any(staging.iterdir())
                if busy or time.monotonic() > deadline:
                    for pid in child_pids(launcher_pids[0]):
                        os.kill(pid, signal.SIGKILL)
                        killed.append(pid)
            time.sleep(0.005)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()

    def on_progress(progress) -> None:
        if progress.launcher_pid and not launcher_pids:
            launcher_pids.append(progress.launcher_pid)

    result = run_capture(CaptureRunConfig(command=GAME, out_dir=out, count=4, every=12, warmup=5,
                                          stall_timeout_s=60, workdir=REPO), on_progress)
    thread.join(timeout=1)
    assert killed, "the game was never killed"
    assert result.progress.restarts >= 1 and result.progress.launches >= 2
    sidecars = _check_complete_run(out, 4)
    # Every launch was connected and its end seen as a disconnect; a capture RenderDoc announced just
    # before the kill may never have been published, and is then listed as such.
    target = result.progress.target
    assert target.connections == target.disconnects == result.progress.launches
    assert target.announced_published == 4
    assert target.announced == 4 + len(target.unpublished)
    assert {s.launch for s in sidecars} >= {2}
    assert json.loads((out / f"{complete_captures(out)[0].stem}.json").read_text())["schema_version"] == 1


IDLE_GAME = [sys.executable, "-c", "import time; time.sleep(60)"]  # runs, never captures


@needs_renderdoccmd
def test_stalled_game_is_relaunched_then_the_run_gives_up(tmp_path):
    from rdc_extract.errors import CaptureRunFailed

    started = time.monotonic()
    with pytest.raises(CaptureRunFailed, match="2 launches in a row produced no capture"):
        run_capture(CaptureRunConfig(command=IDLE_GAME, out_dir=tmp_path, count=1, stall_timeout_s=1.5,
                                     max_fruitless_launches=2))
    assert time.monotonic() - started < 20
    assert len(list((tmp_path / ".logs").glob("*.log"))) == 2


@needs_renderdoccmd
def test_time_budget_stops_the_run(tmp_path):
    result = run_capture(CaptureRunConfig(command=IDLE_GAME, out_dir=tmp_path, count=None, time_budget_s=2.0))
    assert result.stopped_because == "time budget spent"
    assert result.captures == [] and result.progress.launches == 1 and result.progress.restarts == 0
    assert 2.0 <= result.progress.elapsed_s < 15


@needs_renderdoccmd
def test_cli_capture_reports_and_fails_when_short_of_the_count(tmp_path):
    runner = CliRunner()
    ok = runner.invoke(app, ["capture", "--out", str(tmp_path), "--time-budget", "1", "--", *IDLE_GAME])
    assert ok.exit_code == 0, ok.output
    assert "0 complete captures" in ok.output and "stopped: time budget spent" in ok.output
    short = runner.invoke(app, ["capture", "--out", str(tmp_path), "--count", "1", "--time-budget", "1",
                                "--", *IDLE_GAME])
    assert short.exit_code == 1


# --- one run per folder; the game dies with its launcher ----------------------------------------------------------

def _start_capture_run(out: Path) -> tuple[subprocess.Popen, list[int]]:
    """`rdc-extract capture` of the idle game in a subprocess, once its game runs: (launcher, game group members)."""
    launcher = subprocess.Popen([sys.executable, "-m", "rdc_extract", "capture", "--out", str(out),
                                 "--time-budget", "600", "--", *IDLE_GAME],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def game() -> list[int]:
        """The launch's process group (renderdoccmd and the game under it) once both run, else []."""
        groups = [group_members(pid) for pid in child_pids(launcher.pid)]
        return next((members for members in groups if len(members) >= 2), [])

    assert wait_until(lambda: bool(game())), "the game never started"
    return launcher, game()


def _kill_9(process: subprocess.Popen) -> None:
    process.kill()
    process.wait()


@needs_renderdoccmd
def test_a_second_run_in_the_same_folder_fails_at_once(tmp_path):
    first, game = _start_capture_run(tmp_path)
    try:
        second = CliRunner().invoke(app, ["capture", "--out", str(tmp_path), "--count", "1", "--", *IDLE_GAME])
        assert second.exit_code == 1
        assert second.stderr.strip() == f"error: {tmp_path}: another rdc-extract capture is running in this folder"
        assert len(list((tmp_path / ".logs").glob("*.log"))) == 1  # the second run launched nothing
    finally:
        first.send_signal(signal.SIGINT)
        first.wait()
    assert wait_until(lambda: not any(running(pid) for pid in game))


@needs_renderdoccmd
def test_the_game_dies_with_its_launcher(tmp_path):
    launcher, game = _start_capture_run(tmp_path)
    _kill_9(launcher)
    assert wait_until(lambda: not any(running(pid) for pid in game)), "the game runs on without its launcher"


@needs_renderdoccmd
def test_the_next_run_stops_a_game_left_running(tmp_path):
    """Launcher and watchdog both killed: the game runs on until the next run in its folder stops it."""
    launcher, game = _start_capture_run(tmp_path)
    watchdog = [pid for pid in child_pids(launcher.pid) if pid not in game]
    for pid in watchdog:
        os.kill(pid, signal.SIGKILL)
    _kill_9(launcher)
    assert watchdog and all(running(pid) for pid in game)
    result = run_capture(CaptureRunConfig(command=IDLE_GAME, out_dir=tmp_path, count=None, time_budget_s=0.5))
    assert result.stopped_because == "time budget spent"
    assert not any(running(pid) for pid in game)
