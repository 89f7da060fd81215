"""`rdc-extract capture`: run a game under RenderDoc with a capture mod until enough captures exist.

Generic by design: the game is only a command line, and the mod gets its
settings from RDC_CAPTURE_* environment variables (modkit.ModConfig). Each
launch is ``renderdoccmd capture -w -d WORKDIR -c TEMPLATE <command...>`` in its
own process group (RenderDoc's own launcher is what makes the in-app API work
for a headless EGL program). The launcher watches three things:

- the process: when the game exits or dies (renderdoccmd then exits, with
  status 0 whatever happened to the game), it is launched again;
- the captures folder: a capture counts once its .rdc and sidecar are both
  there (folder.py). When none arrives within the stall timeout the game is
  killed and launched again;
- RenderDoc's target-control connection to the game, best effort
  (rdc_extract/rd/target_control.py, target_tracker.py): whether the game is
  hooked and which API it uses, the captures RenderDoc announces (one that never
  becomes a complete pair is reported), and a lost connection: when the
  game's target is gone and the process still lives `disconnect_grace_s`
  later, the game is restarted without waiting for the stall timeout. When no
  target can be found, the other two signals work as before.

Between launches, with no game alive, partial files are removed, so a killed
game never leaves half a capture. The run stops at `count` complete captures or
when the time budget is spent; it gives up after `max_fruitless_launches`
launches in a row that produced nothing.

One run per folder: the run holds the folder's lock (lock.CaptureLock) and
records the game's process group in it. A watchdog process (watchdog.py) stops
the game when the launcher dies without stopping it; should the watchdog have
died too, the next run in the folder stops that leftover game first.

A game without a mod (`trigger` set, capture/trigger.py) gets no mod settings:
the launcher asks RenderDoc's target control for the captures, and when
RenderDoc announces one (NewCapture, the file in staging) publishes it with a
sidecar of its own, through the same `publish_capture` a mod uses. Such a game
must present frames to a window; `virtual_display` starts Xvfb for it when
there is no X display (display.py).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from rdc_extract.capture.display import DEFAULT_SIZE, VirtualDisplay, check_size
from rdc_extract.capture.folder import (
    CAPTURE_SUFFIX,
    STAGING_DIR,
    STEM_PATTERN,
    capture_stem,
    clean_partial_captures,
    complete_captures,
    new_run_id,
    publish_capture,
)
from rdc_extract.capture.lock import CaptureLock
from rdc_extract.capture.modkit import ENV_DIR, ModConfig
from rdc_extract.capture.target_tracker import TargetStatus, TargetTracker
from rdc_extract.capture.trigger import TriggerPlan, game_name, launcher_sidecar
from rdc_extract.capture.watchdog import Watchdog, kill_group
from rdc_extract.dataset.lock import make_output_folder
from rdc_extract.errors import CaptureRunFailed, RdcExtractError
from rdc_extract.rd.loader import renderdoc_version
from rdc_extract.rd.target_control import TargetCapture, TargetControlWatcher

LOG_DIR = ".logs"
POLL_S = 0.2
EXIT_GRACE_S = 10.0  # how long a game that has done its share may take to quit by itself


@dataclass(frozen=True)
class CaptureRunConfig:
    """One capture run. Times in seconds; `every`/`warmup` in game frames; `count` None = until the budget ends."""

    command: Sequence[str]
    out_dir: Path
    count: int | None = 6
    every: int = 40
    warmup: int = 30
    seed: int = 0
    plan: str = "schedule"
    ground_truth: bool = False
    time_budget_s: float | None = None
    stall_timeout_s: float = 120.0
    max_fruitless_launches: int = 3
    workdir: Path = field(default_factory=Path.cwd)
    replace: bool = False
    renderdoccmd: str | None = None
    renderdoc_options: Sequence[str] = ()  # extra `renderdoccmd capture` options, e.g. --opt-hook-children
    # 0 = as many as the game can; N = relaunch the game after every N captures (see docs/capture.md:
    # with RenderDoc 1.24 only the first capture of an OpenGL process kept its vertex-array state).
    captures_per_launch: int = 0
    target_control: bool = True  # watch RenderDoc's target-control connection too (best effort)
    # Restart a game whose RenderDoc target disconnected and did not come back while its process lives on.
    disconnect_grace_s: float = 10.0
    # An announced capture (RenderDoc's NewCapture) without a complete pair this much later is reported.
    publish_grace_s: float = 30.0
    # No mod: the launcher asks RenderDoc for captures on this plan and writes the sidecars (trigger.py).
    trigger: TriggerPlan | None = None
    game: str | None = None  # the sidecar's game name in trigger mode; default: the program's name
    virtual_display: bool = False  # start Xvfb for the game when DISPLAY is unset
    display_size: str = DEFAULT_SIZE

    def __post_init__(self) -> None:
        if not self.command:
            raise ValueError("no game command given")
        if self.count is None and self.time_budget_s is None:
            raise ValueError("give a capture count, a time budget, or both")
        if self.count is not None and self.count < 1:
            raise ValueError(f"count must be >= 1, got {self.count}")
        if self.captures_per_launch < 0:
            raise ValueError(f"captures_per_launch must be >= 0, got {self.captures_per_launch}")
        if self.trigger is not None and not self.target_control:
            raise ValueError("a trigger needs RenderDoc's target control")
        if self.trigger is not None and self.ground_truth:
            raise ValueError("ground truth needs a mod; a trigger run has none")
        check_size(self.display_size)


@dataclass
class RunProgress:
    """What the run has done so far; passed to the progress callback after every change."""

    complete: int = 0
    found_at_start: int = 0  # complete captures already in the folder (a resumed run)
    launches: int = 0
    restarts: int = 0
    elapsed_s: float = 0.0
    game_running: bool = False
    launcher_pid: int | None = None  # renderdoccmd of the current launch (the game runs under it)
    message: str = ""
    last_capture: str | None = None
    restart_reasons: list[str] = field(default_factory=list)
    target: TargetStatus = field(default_factory=TargetStatus)

    @property
    def new(self) -> int:
        """Captures made by this run."""
        return self.complete - self.found_at_start

    @property
    def captures_per_minute(self) -> float:
        return 60.0 * self.new / self.elapsed_s if self.elapsed_s > 0 else 0.0


@dataclass(frozen=True)
class CaptureRunResult:
    out_dir: Path
    captures: list[Path]
    progress: RunProgress
    stopped_because: str  # "count reached" | "time budget spent"
    run_id: str


def find_renderdoccmd(explicit: str | None = None) -> str:
    path = explicit or shutil.which("renderdoccmd")
    if not path or not Path(path).exists():
        raise CaptureRunFailed(
            "renderdoccmd not found: install RenderDoc (Debian: apt-get install renderdoccmd librenderdoc) "
            "or pass --renderdoccmd PATH"
        )
    return path


def expand_command(command: Sequence[str], capture_index: int, launch: int) -> list[str]:
    """Replace `{capture_index}` (first capture of this launch) and `{launch}` in the game's arguments.

    Lets a run vary what the game gets per launch without the launcher knowing
    the game, e.g. `--seed {capture_index}` for a different world per capture.
    """
    return [arg.replace("{capture_index}", str(capture_index)).replace("{launch}", str(launch)) for arg in command]


def _remove_existing(out_dir: Path) -> int:
    """--replace: delete this pipeline's complete captures (files with our naming pattern) before the run."""
    removed = 0
    for capture in complete_captures(out_dir):
        if not STEM_PATTERN.match(capture.stem):
            continue
        for path in (capture.capture, capture.sidecar, capture.ground_truth):
            if path is not None:
                path.unlink()
        removed += 1
    return removed


def in_process_group(pid: int, group: int) -> bool:
    """True when `pid` runs in process group `group` (the launch's); False when gone, or off POSIX."""
    if not hasattr(os, "getpgid"):  # Windows: no process groups to match a target by (untested branch)
        return False
    try:
        return os.getpgid(pid) == group
    except OSError:
        return False


def _group_writes_to(group: int, out_dir: Path) -> bool:
    """True when a live process of `group` was launched to capture into `out_dir` (Linux /proc; else False)."""
    marker = f"{ENV_DIR}={out_dir}".encode()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[2]) != group:
                continue
            if marker in (stat.parent / "environ").read_bytes().split(b"\0"):
                return True
        except (OSError, ValueError, IndexError):
            continue
    return False


def stop_leftover_game(previous_run: dict, out_dir: Path) -> None:
    """Stop a game an earlier run left running in `out_dir` (its launcher and watchdog both killed)."""
    group = previous_run.get("game_group")
    if isinstance(group, int) and group > 0 and _group_writes_to(group, out_dir):
        kill_group(group)


def _log_tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class _Launch:
    """One game process (renderdoccmd and its child) in its own process group."""

    def __init__(self, argv: list[str], env: dict[str, str], workdir: Path, log_path: Path) -> None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_path = log_path
        self._log = log_path.open("wb")
        # Own process group / session, so that stopping a launch reaches the game under renderdoccmd too.
        group = ({"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP} if os.name == "nt"
                 else {"start_new_session": True})
        self.process = subprocess.Popen(argv, cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=self._log,
                                        stderr=subprocess.STDOUT, **group)
        self.started = time.monotonic()

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self, grace_s: float = 3.0) -> None:
        """SIGTERM the whole group, SIGKILL what is left after `grace_s`, and reap renderdoccmd."""
        if os.name == "nt":  # untested: no Windows machine here
            if self.running:
                subprocess.run(["taskkill", "/T", "/F", "/PID", str(self.process.pid)], capture_output=True)
            self.process.wait()
            self._log.close()
            return
        pgid = self.process.pid
        for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                break
            try:
                self.process.wait(timeout=wait_s)
            except subprocess.TimeoutExpired:
                continue
            # renderdoccmd is gone; its child (the game) may linger in the group a moment.
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                break
        self.process.wait()
        self._log.close()


def _follow_target(watcher: TargetControlWatcher | None, tracker: TargetTracker, config: CaptureRunConfig,
                   report: Callable[[str | None], None], final: bool = False,
                   on_capture: Callable[[TargetCapture], None] | None = None) -> None:
    """Take the watcher's events (all of them once the launch is over) into the tracker and the progress line;
    announced captures go to `on_capture` too (trigger mode publishes them)."""
    if watcher is None:
        return
    now = time.monotonic()
    for event in watcher.stop() if final else watcher.drain():
        news = tracker.apply(event, now)
        if news is not None:
            report(news)
        if on_capture is not None and isinstance(event, TargetCapture):
            on_capture(event)
    for name in tracker.overdue(now, config.publish_grace_s):
        report(f"RenderDoc announced {name}; no complete pair {config.publish_grace_s:.0f} s later")


class _Triggers:
    """One launch of a trigger run (no mod): asks RenderDoc for captures and publishes what it announces."""

    def __init__(self, config: CaptureRunConfig, out_dir: Path, run_id: str, launch: int, limit: int,
                 command: Sequence[str], env: dict[str, str], tracker: TargetTracker,
                 report: Callable[[str | None], None]) -> None:
        assert config.trigger is not None
        self._config, self._plan, self._out_dir = config, config.trigger, out_dir
        self._run_id, self._launch, self._limit = run_id, launch, limit  # limit: captures this launch may make
        self._staging = (out_dir / STAGING_DIR).resolve()
        self._command, self._display = list(command), env.get("DISPLAY")
        self._tracker, self._report = tracker, report
        self._game = game_name(command, config.game)
        self.frames = self._plan.frames_for_launch(limit)
        self.published = 0
        self._asked = self._answered = self._due_so_far = 0
        self._presenting_since: float | None = None
        self._started = time.monotonic()

    def start(self, watcher: TargetControlWatcher | None) -> None:
        """Queue the plan's frames: the watcher sends them the moment it connects."""
        if watcher is not None:
            for frame in self.frames:
                watcher.queue_capture(frame)

    @property
    def share_done(self) -> bool:
        """`frames:` plan: every queued frame is published, the launch has nothing left to do."""
        return bool(self.frames) and self.published >= len(self.frames)

    def tick(self, watcher: TargetControlWatcher | None, wanted: int | None) -> None:
        """`every:` plan: trigger when due, with at most `wanted` (the captures the run still needs) unanswered."""
        if watcher is None or self._plan.every_s is None:
            return
        if not (self._tracker.status.connected and self._tracker.status.windows):
            self._presenting_since = None  # the clock starts when the game presents to a window
            return
        now = time.monotonic()
        if self._presenting_since is None:
            self._presenting_since, self._due_so_far = now, 0
        if not self._plan.trigger_due(now - self._presenting_since, self._due_so_far):
            return
        self._due_so_far += 1  # a trigger skipped for want of room is not sent later in a burst
        if wanted is not None and self._asked - self._answered >= wanted:
            return
        if self._limit and self._asked >= self._limit:
            return
        watcher.trigger_capture()
        self._asked += 1

    def publish(self, event: TargetCapture) -> None:
        """Move an announced capture out of staging with the launcher's sidecar (folder.publish_capture)."""
        self._answered += 1
        folder_count = len(complete_captures(self._out_dir))
        if self._config.count is not None and folder_count >= self._config.count:
            self._report(f"RenderDoc announced {event.file_name} after the count was reached; not kept")
            return
        staged = Path(event.path)
        if event.frame_number is None or staged.resolve().parent != self._staging or not staged.is_file():
            self._report(f"RenderDoc announced {event.path} (frame {event.frame_number}): "
                         "not a triggered capture in the staging folder; not kept")
            return
        stem = capture_stem(self._game, self._run_id, self._launch, event.frame_number)
        sidecar = launcher_sidecar(
            capture=f"{stem}{CAPTURE_SUFFIX}", game=self._game, command=self._command,
            frame_number=event.frame_number, trigger=self._plan, run_id=self._run_id, launch=self._launch,
            capture_index=folder_count, seconds_since_launch=time.monotonic() - self._started,
            renderdoc_version=renderdoc_version(), display=self._display)
        try:
            publish_capture(staged, sidecar, self._out_dir, stem)
        except (OSError, RdcExtractError) as exc:
            self._report(f"could not publish {event.file_name}: {exc}")
            return
        self.published += 1
        self._tracker.claimed(event.file_name, stem)


def _watch(launch: _Launch, config: CaptureRunConfig, out_dir: Path, progress: RunProgress,
           report: Callable[[str | None], None], count_reached: Callable[[], bool],
           budget_spent: Callable[[], bool], watcher: TargetControlWatcher | None, tracker: TargetTracker,
           triggers: _Triggers | None) -> str:
    """Poll the game, the captures folder and the target control until this launch should end; returns why."""
    last_arrival = time.monotonic()
    # A game with a mod quits by itself after its share; one without is stopped at once.
    exit_grace_s = EXIT_GRACE_S if triggers is None else 0.0
    on_capture = None if triggers is None else triggers.publish
    while True:
        time.sleep(POLL_S)
        _follow_target(watcher, tracker, config, report, on_capture=on_capture)
        now_complete = complete_captures(out_dir)
        tracker.folder_has(c.stem for c in now_complete)
        if len(now_complete) != progress.complete:
            last_arrival = time.monotonic()
            progress.complete = len(now_complete)
            progress.last_capture = now_complete[-1].capture.name if now_complete else None
            report(f"{progress.complete} captures")
        if count_reached():
            deadline = time.monotonic() + exit_grace_s
            while launch.running and time.monotonic() < deadline:
                time.sleep(POLL_S)
            return "count reached"
        if triggers is not None:
            if triggers.share_done:
                return f"launch made its {triggers.published} captures"
            triggers.tick(watcher, None if config.count is None else config.count - progress.complete)
        if not launch.running:
            return f"game exited (renderdoccmd status {launch.process.returncode})"
        if budget_spent():
            return "time budget spent"
        if time.monotonic() - last_arrival > config.stall_timeout_s:
            if triggers is not None and not tracker.status.windows:
                return (f"no capture for {config.stall_timeout_s:.0f} s; RenderDoc saw no window the game "
                        "presents to, and a trigger needs one")
            return f"no capture for {config.stall_timeout_s:.0f} s"
        if tracker.lost_for(time.monotonic()) > config.disconnect_grace_s:
            return (f"RenderDoc target disconnected and did not come back; "
                    f"the game still ran {config.disconnect_grace_s:.0f} s later")


def run_capture(config: CaptureRunConfig, on_progress: Callable[[RunProgress], None] | None = None) -> CaptureRunResult:
    """Launch, watch and relaunch the game until the run is done; returns the complete captures in out_dir.

    Holds the folder's lock for the whole run, and a watchdog that stops the
    game should this process die without stopping it.
    """
    renderdoccmd = find_renderdoccmd(config.renderdoccmd)
    out_dir = config.out_dir.resolve()
    make_output_folder(out_dir)
    with CaptureLock(out_dir) as lock:
        stop_leftover_game(lock.previous, out_dir)
        lock.record()
        display = VirtualDisplay(config.display_size) if config.virtual_display else nullcontext()
        with Watchdog() as watchdog, display:
            env = dict(os.environ)
            if isinstance(display, VirtualDisplay) and display.display:
                env["DISPLAY"] = display.display
            return _run(config, renderdoccmd, out_dir, lock, watchdog, env, on_progress)


def _run(config: CaptureRunConfig, renderdoccmd: str, out_dir: Path, lock: CaptureLock, watchdog: Watchdog,
         base_env: dict[str, str], on_progress: Callable[[RunProgress], None] | None) -> CaptureRunResult:
    staging = out_dir / STAGING_DIR
    clean_partial_captures(out_dir)
    if config.replace:
        _remove_existing(out_dir)
    run_id = new_run_id()
    at_start = len(complete_captures(out_dir))
    tracker = TargetTracker(c.stem for c in complete_captures(out_dir))
    progress = RunProgress(complete=at_start, found_at_start=at_start, target=tracker.status)
    started = time.monotonic()
    fruitless = 0

    def report(message: str | None = None) -> None:
        progress.elapsed_s = time.monotonic() - started
        if message is not None:
            progress.message = message
        if on_progress is not None:
            on_progress(progress)

    def budget_spent() -> bool:
        return config.time_budget_s is not None and time.monotonic() - started >= config.time_budget_s

    def count_reached() -> bool:
        return config.count is not None and progress.complete >= config.count

    report("starting")
    while not count_reached() and not budget_spent():
        progress.launches += 1
        launch_number = progress.launches
        remaining = 0 if config.count is None else config.count - progress.complete
        if config.captures_per_launch:
            remaining = min(remaining or config.captures_per_launch, config.captures_per_launch)
        staging.mkdir(parents=True, exist_ok=True)
        template = staging / f"{run_id}_r{launch_number:02d}"
        command = expand_command(config.command, progress.complete, launch_number)
        argv = [renderdoccmd, "capture", *config.renderdoc_options, "-w", "-d", str(config.workdir),
                "-c", str(template), *command]
        if config.trigger is None:
            mod_config = ModConfig(out_dir=out_dir, staging_dir=staging, every=config.every, warmup=config.warmup,
                                   seed=config.seed, plan=config.plan, ground_truth=config.ground_truth,
                                   run_id=run_id, launch=launch_number, start_index=progress.complete,
                                   limit=remaining)
            env = {**base_env, **mod_config.to_env()}
        else:
            env = {**base_env, ENV_DIR: str(out_dir)}  # marks the game as this folder's (stop_leftover_game)
        launch = _Launch(argv, env, config.workdir, out_dir / LOG_DIR / f"{run_id}_r{launch_number:02d}.log")
        group = launch.process.pid
        watchdog.guard(group)
        lock.record(game_group=group)
        progress.game_running, progress.launcher_pid = True, launch.process.pid
        tracker.launch_started()
        watcher = (TargetControlWatcher(lambda pid: in_process_group(pid, group)).start()
                   if config.target_control and tracker.status.unavailable is None else None)
        triggers = None
        if config.trigger is not None:
            triggers = _Triggers(config, out_dir, run_id, launch_number, remaining, command, env, tracker, report)
            triggers.start(watcher)
        before = progress.complete
        report(f"launch {launch_number} started")
        try:
            why_ended = _watch(launch, config, out_dir, progress, report, count_reached, budget_spent,
                               watcher, tracker, triggers)
        finally:
            launch.stop()
            watchdog.guard(0)
            lock.record()
            _follow_target(watcher, tracker, config, report, final=True,
                           on_capture=None if triggers is None else triggers.publish)
        progress.game_running, progress.launcher_pid = False, None
        # The game is dead: anything it left half-written goes, then recount.
        clean_partial_captures(out_dir)
        complete_now = complete_captures(out_dir)
        progress.complete = len(complete_now)
        tracker.folder_has(c.stem for c in complete_now)
        for name in tracker.launch_ended():
            report(f"RenderDoc announced {name}; the launch ended without its complete pair")
        made = progress.complete - before
        fruitless = 0 if made > 0 else fruitless + 1
        if count_reached() or budget_spent():
            report(why_ended)
            break
        if triggers is not None and triggers.frames:
            share = len(triggers.frames)  # frames: every launch captures the same frames
        else:
            share = remaining if config.captures_per_launch else 0
        if share and made >= share:
            report(f"launch {launch_number} made its {made} captures")
            continue
        progress.restarts += 1
        progress.restart_reasons.append(f"launch {launch_number}: {why_ended}")
        report(f"restarting: {why_ended}")
        if fruitless >= config.max_fruitless_launches:
            raise CaptureRunFailed(
                f"{fruitless} launches in a row produced no capture (last: {why_ended}); "
                f"log {launch.log_path}:\n{_log_tail(launch.log_path)}"
            )
    shutil.rmtree(staging, ignore_errors=True)
    captures = [c.capture for c in complete_captures(out_dir)]
    stopped = "count reached" if count_reached() else "time budget spent"
    report(stopped)
    return CaptureRunResult(out_dir, captures, progress, stopped, run_id)
