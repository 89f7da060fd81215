"""Process isolation: each capture runs in a supervised child interpreter (child.py).

`run_tasks` is what joblib (loky or dask) executes for a few captures. It runs
in a joblib worker process and never touches RenderDoc itself: it hands each
capture to a long-lived child kept per worker thread, which initialised replay
once and serves up to `recycle_after` captures before it is replaced. The
supervisor enforces the per-capture timeout (SIGKILL, record "timeout") and
turns a child that dies into a "crashed (SIGSEGV)"-style record for the capture
it held; the next capture gets a fresh child. So a native crash or hang costs
one capture, never the joblib worker and never the batch.

With a two-phase job (`finisher`), the child only replays and hands what it read
over (pickled into the frame's staging folder); the supervisor decodes and
writes the frame while the child already replays the next capture. RenderDoc's
calls hold the GIL, so only another process can overlap them.

Outputs are staged: the job writes into `out/.staging/<frame_id>.<tag>/` and
the supervisor renames the folder to `out/frames/<frame_id>/` only after the job
returned and `meta.json` exists. `out/frames/` therefore only ever holds
complete frame folders, whatever kills what.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import functools
import itertools
import json
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rdc_extract.batch.child import HANDOVER_NAME, IDLE_EXIT_CODE, _LineReader, failure_cause, one_line, resolve
from rdc_extract.batch.manifest import DONE, FAILED, summarise_result
from rdc_extract.batch.plan import Task
from rdc_extract.dataset.lock import LOCK_NAME
from rdc_extract.dataset.publish import StagedFrame
from rdc_extract.errors import DISK_FULL, BatchAbandoned, NotARegularFile, WorkerStartFailed, is_disk_full
from rdc_extract.rd.session import replay_log_env

LOGS_DIR = "logs"
META_NAME = "meta.json"
STALE_FRAME_REASONS = ("new", "changed")   # a failed attempt removes an existing frame folder only for these


@dataclass(frozen=True)
class WorkerSettings:
    """Everything a joblib worker needs to run tasks; plain data, pickled to each worker."""

    out_dir: str
    job: str
    initialiser: str | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)
    finisher: str | None = None        # "module:function" run here on what `job` handed over (two-phase job)
    env: dict[str, str] = field(default_factory=dict)   # added to the child's environment
    timeout_s: float = 600.0
    recycle_after: int = 25
    idle_timeout_s: float = 60.0
    startup_timeout_s: float = 120.0
    run_token: str = ""                # the runner's token in out/.batch.lock; "" disables the check
    batch_pid: int = 0                 # the runner's process: a worker it started exits when it is gone
    test_fault: str | None = None      # child.FAULT_ENV as the runner saw it (tests only)


class _ChildDied(Exception):
    def __init__(self, returncode: int | None) -> None:
        super().__init__(returncode)
        self.returncode = returncode


class _ChildTimedOut(Exception):
    pass


class Child:
    """One child interpreter serving tasks over pipes; see child.py for the protocol."""

    def __init__(self, settings: WorkerSettings) -> None:
        log_dir = Path(settings.out_dir) / LOGS_DIR
        log_dir.mkdir(parents=True, exist_ok=True)
        name = f"{socket.gethostname()}-{os.getpid()}"
        log = (log_dir / f"worker-{name}.log").open("ab")
        replay_log = log_dir / f"renderdoc-{name}-{next(_child_counter)}.log"
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "rdc_extract.batch.child"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, close_fds=True,
                env={**os.environ, **replay_log_env(replay_log), **settings.env},
            )
        finally:
            log.close()
        self.settings = settings
        self.reader = _LineReader(self.process.stdout.fileno())
        self.tasks_done = 0
        self.pid = self.process.pid
        self.peak_rss_mb: float | None = None
        hello = {"job": settings.job, "initialiser": settings.initialiser, "kwargs": settings.kwargs,
                 "idle_timeout": settings.idle_timeout_s, "hand_over": settings.finisher is not None,
                 "test_fault": settings.test_fault}
        try:
            self._send(hello)
            ready = self._receive(settings.startup_timeout_s)
        except (_ChildDied, _ChildTimedOut, OSError) as exc:
            self.kill()
            raise WorkerStartFailed(f"batch worker could not start ({_describe_death(exc)})") from None
        if not ready.get("ready"):
            self.kill()
            raise WorkerStartFailed(f"batch worker could not start: {ready.get('error')}")
        _children.add(self)

    def _send(self, message: dict[str, Any]) -> None:
        try:
            self.process.stdin.write((json.dumps(message, default=str) + "\n").encode())
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            raise _ChildDied(self.process.wait()) from None

    def _receive(self, timeout_s: float) -> dict[str, Any]:
        line = self.reader.readline(timeout_s)
        if line is None:
            raise _ChildTimedOut()
        if not line.endswith(b"\n"):
            raise _ChildDied(self.process.wait())
        return json.loads(line)

    def send_task(self, capture: str, frame_dir: str, frame_id: str) -> None:
        self._send({"capture": capture, "frame_dir": frame_dir, "frame_id": frame_id})

    def receive_reply(self, timeout_s: float) -> dict[str, Any]:
        reply = self._receive(timeout_s)
        self.tasks_done += 1
        self.peak_rss_mb = reply.get("peak_rss_mb", self.peak_rss_mb)
        return reply

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self, grace_s: float = 10.0) -> None:
        """Ask the child to exit (EOF on stdin: it shuts replay down), killing it if it lingers."""
        try:
            self.process.stdin.close()
        except OSError:
            pass
        try:
            self.process.wait(grace_s)
        except subprocess.TimeoutExpired:
            self.kill()
        self.process.stdout.close()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass


def _describe_death(exc: BaseException) -> str:
    if isinstance(exc, _ChildTimedOut):
        return "timed out"
    if isinstance(exc, _ChildDied):
        return death_cause(exc.returncode)
    return one_line(exc)


def death_cause(returncode: int | None) -> str:
    """`-11` → "crashed (SIGSEGV)"; a positive code → "worker exited (code N)"."""
    if returncode is not None and returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"crashed ({name})"
    return f"worker exited (code {returncode})"


_children: weakref.WeakSet[Child] = weakref.WeakSet()


@atexit.register
def _close_children() -> None:
    """A joblib worker that exits (the batch ended) closes its children rather than let them be
    SIGKILLed with it: they shut replay down cleanly, and RenderDoc deletes their logs."""
    for child in list(_children):
        child.close()


_local = threading.local()
_stage_counter = itertools.count()
_child_counter = itertools.count()
_watchdog_lock = threading.Lock()
_watchdog: threading.Thread | None = None
WATCH_INTERVAL_S = 0.5


def _exit_when_orphaned(batch_pid: int) -> None:
    while os.getppid() == batch_pid:
        time.sleep(WATCH_INTERVAL_S)
    os._exit(1)  # children die with this process (PR_SET_PDEATHSIG, child.py)


def watch_batch_process(batch_pid: int) -> None:
    """In a joblib worker the batch process started: exit as soon as that process is gone.

    loky keeps idle workers for 5 minutes, and a worker busy on a hung capture
    for as long as the hang; after `kill -9` of the batch they would hold its
    pipes and replay children that long. Not in the batch process itself
    (joblib runs `--jobs 1` there) nor in a dask worker (whose parent is its nanny).
    """
    global _watchdog
    if not batch_pid or os.getppid() != batch_pid:
        return
    with _watchdog_lock:
        if _watchdog is None:
            _watchdog = threading.Thread(target=_exit_when_orphaned, args=(batch_pid,),
                                         name="rdc-extract-orphan-watch", daemon=True)
            _watchdog.start()


def _child_for_this_thread(settings: WorkerSettings) -> Child:
    child: Child | None = getattr(_local, "child", None)
    if child is not None and (child.tasks_done >= settings.recycle_after or not child.alive()
                              or child.settings != settings):
        child.close()
        child = None
    if child is None:
        child = Child(settings)
        _local.child = child
    return child


def _drop_child(kill: bool) -> None:
    child: Child | None = getattr(_local, "child", None)
    _local.child = None
    if child is not None:
        child.kill() if kill else child.close()


def shutdown_children() -> None:
    """Close this thread's child (tests and benchmarks call it to release replay memory)."""
    _drop_child(kill=False)


class _Attempt:
    """One capture handed to this thread's child at once; its reply is collected later.

    A dead or hung child becomes a failure reply. A child that had just retired
    for idleness never read the task: it is sent once more to a fresh child.
    """

    def __init__(self, settings: WorkerSettings, task: Task, stage: Path) -> None:
        self.settings, self.task, self.stage = settings, task, stage
        self._send()

    def _send(self) -> None:
        self.child = _child_for_this_thread(self.settings)
        self.sent_at = time.monotonic()
        try:
            self.child.send_task(self.task.path, str(self.stage), self.task.frame_id)
        except _ChildDied:
            pass  # receiving finds it dead

    def reply(self) -> dict[str, Any]:
        timeout_s = self.settings.timeout_s
        for attempt in range(2):
            child = self.child
            try:
                reply = child.receive_reply(max(0.0, self.sent_at + timeout_s - time.monotonic()))
            except _ChildTimedOut:
                _drop_child(kill=True)
                return {"ok": False, "cause": f"timeout (> {timeout_s:g} s)",
                        "error": f"no result after {timeout_s:g} s; worker killed",
                        "seconds": timeout_s, "worker_pid": child.pid, "peak_rss_mb": child.peak_rss_mb}
            except _ChildDied as died:
                _drop_child(kill=True)
                if died.returncode == IDLE_EXIT_CODE and attempt == 0:
                    self._send()
                    continue
                return {"ok": False, "cause": death_cause(died.returncode),
                        "error": f"worker process {child.pid} died while replaying this capture",
                        "seconds": None, "worker_pid": child.pid, "peak_rss_mb": child.peak_rss_mb}
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                _drop_child(kill=True)
                return {"ok": False, "cause": "worker protocol error", "error": one_line(exc),
                        "seconds": None, "worker_pid": child.pid, "peak_rss_mb": child.peak_rss_mb}
            reply["worker_pid"] = child.pid
            return reply
        raise AssertionError("unreachable")


def run_is_live(out_dir: Path, run_token: str) -> bool:
    """Whether the batch that issued a task still runs: it holds out/.batch.lock, which names its token.

    A batch killed with kill -9 leaves joblib workers with tasks already handed
    to them; they must not publish into a folder that the next batch resumes.
    """
    if not run_token:
        return True
    try:
        with (out_dir / LOCK_NAME).open("r") as handle:
            if handle.read().strip() != run_token:
                return False
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle, fcntl.LOCK_UN)
            return False
    except OSError:
        return False


def _check_live(settings: WorkerSettings, task: Task) -> None:
    if not run_is_live(Path(settings.out_dir), settings.run_token):
        _drop_child(kill=True)
        raise BatchAbandoned(f"{task.capture}: the batch that issued this capture is gone; result discarded")


@dataclass
class _Started:
    """A capture on its way: handed to the child (`attempt`), or already answered (`reply`: it needs no child)."""

    task: Task
    frame: StagedFrame | None
    started: float
    attempt: _Attempt | None = None
    reply: dict[str, Any] | None = None

    def wait(self) -> dict[str, Any]:
        if self.reply is None and self.attempt is not None:
            self.reply = self.attempt.reply()
        return self.reply or {}


def _start(settings: WorkerSettings, task: Task) -> _Started:
    _check_live(settings, task)
    started = time.perf_counter()
    if task.collides_with is not None:
        return _Started(task, None, started, reply={
            "ok": False, "cause": "frame_id collision",
            "error": f"frame_id {task.frame_id!r} is already the frame of {task.collides_with}; rename one of the captures"})
    frame = StagedFrame(Path(settings.out_dir), task.frame_id,
                        f"{socket.gethostname()}-{os.getpid()}-{next(_stage_counter)}")
    try:
        frame.staging.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if not is_disk_full(exc):
            raise
        return _Started(task, frame, started, reply={"ok": False, "cause": DISK_FULL, "error": one_line(exc)})
    if task.problem is not None:
        return _Started(task, frame, started, reply={
            "ok": False, "cause": NotARegularFile.cause, "error": str(NotARegularFile(task.path, task.problem))})
    return _Started(task, frame, started, attempt=_Attempt(settings, task, frame.stage))


@functools.cache
def _resolved(name: str) -> Callable[..., Any]:
    return resolve(name)


def _log_failure(settings: WorkerSettings, task: Task) -> None:
    """The traceback of a failure in this process, in the worker log beside its child's."""
    log = Path(settings.out_dir) / LOGS_DIR / f"worker-{socket.gethostname()}-{os.getpid()}.log"
    with contextlib.suppress(OSError), log.open("a", encoding="utf-8") as handle:
        handle.write(f"[{task.capture}] (writing the frame)\n{traceback.format_exc()}")


def _finish_handed_over(settings: WorkerSettings, task: Task, stage: Path, reply: dict[str, Any]) -> dict[str, Any]:
    """The second phase of a two-phase job, on what the child handed over: the reply as the whole job's."""
    began = time.perf_counter()
    try:
        handover = stage / HANDOVER_NAME
        with handover.open("rb") as handle:
            replayed = pickle.load(handle)
        handover.unlink()
        result = _resolved(settings.finisher or "")(replayed, stage)
    except Exception as exc:  # noqa: BLE001 - every job failure is a per-capture record
        _log_failure(settings, task)
        return {**reply, "ok": False, "cause": failure_cause(exc), "error": one_line(exc, hint=getattr(exc, "hint", ""))}
    return {**reply, "result": result, "seconds": (reply.get("seconds") or 0.0) + time.perf_counter() - began}


def _finish(settings: WorkerSettings, started: _Started, reply: dict[str, Any]) -> dict[str, Any]:
    """Write (two-phase jobs), check and publish one capture's frame; its manifest record."""
    task, frame = started.task, started.frame
    try:
        if frame is not None:
            if reply.get("ok") and settings.finisher is not None:
                reply = _finish_handed_over(settings, task, frame.stage, reply)
            if reply.get("ok") and not (frame.stage / META_NAME).is_file():
                reply = {**reply, "ok": False, "cause": "job wrote no meta.json",
                         "error": f"the job returned but {frame.stage.name}/{META_NAME} does not exist"}
            _check_live(settings, task)
            if reply.get("ok"):
                frame.publish()
            elif task.reason in STALE_FRAME_REASONS:
                frame.retire()  # a frame of other capture contents must not survive (docs/batch.md)
    except OSError as exc:
        if not is_disk_full(exc):
            raise
        reply = {"ok": False, "cause": DISK_FULL, "error": one_line(exc)}
    finally:
        if frame is not None:
            frame.discard()
    return make_record(task, reply, time.perf_counter() - started.started, settings.kwargs.get("outputs"))


def run_tasks(tasks: list[Task], settings: WorkerSettings) -> dict[str, Any]:
    """Extract `tasks` one after the other in this thread's child: `{"captures", "records"}`.

    The next capture goes to the child as soon as it has replayed the previous
    one, whose frame is then written here (two-phase jobs) and published. After
    a full disk the remaining tasks are not attempted and get no record (the
    batch stops; a rerun does them): `captures` names every task handed in.
    """
    watch_batch_process(settings.batch_pid)
    records: list[dict[str, Any]] = []
    waiting = list(tasks)
    current = _start(settings, waiting.pop(0)) if waiting else None
    while current is not None:
        reply = current.wait()
        following = _start(settings, waiting.pop(0)) if waiting and reply.get("cause") != DISK_FULL else None
        record = _finish(settings, current, reply)
        records.append(record)
        if record["cause"] == DISK_FULL and following is not None:
            following.wait()
            if following.frame is not None:
                following.frame.discard()
            break
        current = following
    return {"captures": [task.capture for task in tasks], "records": records}


def make_record(task: Task, reply: dict[str, Any], wall_s: float,
                outputs_wanted: list[str] | None = None) -> dict[str, Any]:
    """The manifest record of one attempt (field list in manifest.py and docs/batch.md).

    `outputs_wanted` is the batch's --outputs (None: every output), so a rerun
    asking for more knows which frames lack them.
    """
    record: dict[str, Any] = {
        "capture": task.capture, "size": task.size, "mtime_ns": task.mtime_ns, "frame_id": task.frame_id,
        "reason": task.reason, "outputs_wanted": outputs_wanted,
        "seconds": round(wall_s, 3),
        "worker_pid": reply.get("worker_pid"), "worker_host": socket.gethostname(),
        "worker_peak_rss_mb": reply.get("peak_rss_mb"),
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
    }
    if reply.get("ok"):
        record.update(status=DONE, cause=None, error=None, **summarise_result(reply.get("result") or {}))
    else:
        record.update(status=FAILED, cause=reply.get("cause"), error=reply.get("error"),
                      profile=None, profile_sha256=None, outputs={})
    return record
