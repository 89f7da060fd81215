"""Process isolation: each capture is replayed in a supervised child interpreter (child.py).

A supervisor (`supervise`) hands captures one at a time to a long-lived replay
child kept per supervisor thread, which initialised replay once and serves up
to `recycle_after` captures before it is replaced. The supervisor enforces the
per-capture timeout (SIGKILL, record "timeout") and turns a child that dies
into a "crashed (SIGSEGV)"-style record for the capture it held; the next
capture gets a fresh child. So a native crash or hang costs one capture, never
the batch.

With a two-phase job (`finisher`), the replay child only replays and hands what
it read over (pickled into the frame's staging folder); the frame is decoded
and written while the replay child already replays the next capture.
RenderDoc's calls hold the GIL, so only another process can overlap them: on
this machine a writer child beside each replay child (`write_in_child`), on a
dask cluster the dask worker running `run_tasks` itself.

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

from rdc_extract.batch.child import (IDLE_EXIT_CODE, _LineReader, death_cause, failure_cause, one_line, resolve,
                                     take_handover)
from rdc_extract.batch.manifest import DONE, FAILED, summarise_result
from rdc_extract.batch.plan import WORKER_KILLED, Task
from rdc_extract.blas import ONE_BLAS_THREAD
from rdc_extract.dataset.lock import LOCK_NAME
from rdc_extract.dataset.publish import StagedFrame
from rdc_extract.errors import (DISK_FULL, BatchAbandoned, NotARegularFile, WorkerStartFailed, is_disk_full,
                                 timeout_cause)
from rdc_extract.rd.session import replay_log_env

LOGS_DIR = "logs"
META_NAME = "meta.json"
STALE_FRAME_REASONS = ("new", "changed")   # a failed attempt removes an existing frame folder only for these
REPLAY, WRITE = "replay", "write"          # the roles of a supervisor's children
# A child that writes frames allocates from one malloc arena (unless the environment says otherwise): with an arena
# per writing thread its memory climbed 30-50 MB over its first captures, each thread keeping what it had freed.
# A child that only replays keeps glibc's arenas: its rasteriser threads contending for one made replay ~8 % slower.
WRITING_CHILD_DEFAULT_ENV = {"MALLOC_ARENA_MAX": "1"}


@dataclass(frozen=True)
class WorkerSettings:
    """Everything a supervisor needs to run tasks; plain data, pickled to each dask worker."""

    out_dir: str
    job: str
    initialiser: str | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)
    finisher: str | None = None        # "module:function" run on what `job` handed over (two-phase job)
    write_in_child: bool = False       # run `finisher` in a writer child rather than in the supervisor's process
    env: dict[str, str] = field(default_factory=dict)   # added to the replay child's environment
    timeout_s: float = 600.0
    recycle_after: int = 25
    idle_timeout_s: float = 60.0
    startup_timeout_s: float = 120.0
    run_token: str = ""                # the runner's token in out/.batch.lock; "" disables the check
    test_fault: str | None = None      # child.FAULT_ENV as the runner saw it (tests only)


class _ChildDied(Exception):
    def __init__(self, returncode: int | None) -> None:
        super().__init__(returncode)
        self.returncode = returncode


class _ChildTimedOut(Exception):
    pass


class Child:
    """One child interpreter serving tasks over pipes; see child.py for the protocol.

    Starting returns at once: the child imports its job and initialises replay
    while the supervisor goes on, and the first task waits for it to be ready.
    """

    def __init__(self, settings: WorkerSettings, role: str = REPLAY) -> None:
        log_dir = Path(settings.out_dir) / LOGS_DIR
        log_dir.mkdir(parents=True, exist_ok=True)
        name = f"{socket.gethostname()}-{os.getpid()}"
        log = (log_dir / f"worker-{name}.log").open("ab")
        replay_log = log_dir / f"renderdoc-{name}-{next(_child_counter)}.log"
        writes = role == WRITE or not settings.finisher
        env = {**(WRITING_CHILD_DEFAULT_ENV if writes else {}), **os.environ, **ONE_BLAS_THREAD,
               **(replay_log_env(replay_log) | settings.env if role == REPLAY else {})}
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "rdc_extract.batch.child"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, close_fds=True, env=env,
            )
        finally:
            log.close()
        self.settings, self.role = settings, role
        self.reader = _LineReader(self.process.stdout.fileno())
        self.tasks_done = 0
        self.pid = self.process.pid
        self.peak_rss_mb: float | None = None
        self._ready = False
        _children.add(self)
        if role == REPLAY:
            hello = {"job": settings.job, "initialiser": settings.initialiser, "kwargs": settings.kwargs,
                     "hand_over": settings.finisher is not None,
                     "parent_writes": settings.finisher is not None and not settings.write_in_child}
        else:
            hello = {"job": settings.finisher, "takes_handover": True}
        try:
            self._send({**hello, "idle_timeout": settings.idle_timeout_s, "test_fault": settings.test_fault})
        except _ChildDied:
            pass  # waiting for it to be ready reports it

    def _await_ready(self) -> None:
        if self._ready:
            return
        try:
            ready = self._receive(self.settings.startup_timeout_s)
        except (_ChildDied, _ChildTimedOut, OSError) as exc:
            self.kill()
            raise WorkerStartFailed(f"batch worker could not start ({_describe_death(exc)})") from None
        if not ready.get("ready"):
            self.kill()
            raise WorkerStartFailed(f"batch worker could not start: {ready.get('error')}")
        self._ready = True

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
        self._await_ready()
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


_children: weakref.WeakSet[Child] = weakref.WeakSet()


@atexit.register
def _close_children() -> None:
    """A dask worker that exits closes its children rather than let them be SIGKILLed with it:
    they shut replay down cleanly, and RenderDoc deletes their logs."""
    for child in list(_children):
        child.close()


def kill_children() -> None:
    """SIGKILL every child of this process (an interrupted batch: their captures get no record)."""
    for child in list(_children):
        with contextlib.suppress(OSError):
            child.process.kill()


_local = threading.local()
_stage_counter = itertools.count()
_child_counter = itertools.count()


def _child_for_this_thread(settings: WorkerSettings, role: str) -> Child:
    children: dict[str, Child] = _local.__dict__.setdefault("children", {})
    child = children.get(role)
    if child is not None and (child.tasks_done >= settings.recycle_after or not child.alive()
                              or child.settings != settings):
        child.close()
        child = None
    if child is None:
        child = children[role] = Child(settings, role)
    return child


def _drop_child(role: str, kill: bool) -> None:
    child: Child | None = _local.__dict__.get("children", {}).pop(role, None)
    if child is not None:
        child.kill() if kill else child.close()


def close_children() -> None:
    """Close this thread's children (a supervisor thread that ran out of captures)."""
    for role in (REPLAY, WRITE):
        _drop_child(role, kill=False)


def _death_reply(role: str, child: Child, returncode: int | None) -> dict[str, Any]:
    """The failure a child's death means for the capture it held.

    A child SIGKILLed from outside (the OOM killer; the supervisor's own kill
    is a timeout) says nothing about the capture: it is recorded as a killed
    worker, which a rerun retries.
    """
    what = "replaying" if role == REPLAY else "writing"
    if returncode == -signal.SIGKILL:
        return {"ok": False, "cause": WORKER_KILLED, "error": (
            f"the process {what} this capture ({child.pid}) was killed (SIGKILL; out of memory?); "
            "the batch went on and a rerun retries this capture")}
    return {"ok": False, "cause": death_cause(returncode),
            "error": f"worker process {child.pid} died while {what} this capture"}


class _Attempt:
    """One capture handed to this thread's child of `role` at once; its reply is collected later.

    A dead or hung child becomes a failure reply. A child that had just retired
    for idleness never read the task: it is sent once more to a fresh child.
    """

    def __init__(self, settings: WorkerSettings, task: Task, stage: Path, role: str = REPLAY) -> None:
        self.settings, self.task, self.stage, self.role = settings, task, stage, role
        self._send()

    def _send(self) -> None:
        self.child = _child_for_this_thread(self.settings, self.role)
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
                _drop_child(self.role, kill=True)
                return {"ok": False, "cause": timeout_cause(timeout_s),
                        "error": f"no result after {timeout_s:g} s; worker killed",
                        "seconds": timeout_s, "worker_pid": child.pid, "peak_rss_mb": child.peak_rss_mb}
            except _ChildDied as died:
                _drop_child(self.role, kill=True)
                if died.returncode == IDLE_EXIT_CODE and attempt == 0:
                    self._send()
                    continue
                return {**_death_reply(self.role, child, died.returncode),
                        "seconds": None, "worker_pid": child.pid, "peak_rss_mb": child.peak_rss_mb}
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                _drop_child(self.role, kill=True)
                return {"ok": False, "cause": "worker protocol error", "error": one_line(exc),
                        "seconds": None, "worker_pid": child.pid, "peak_rss_mb": child.peak_rss_mb}
            reply["worker_pid"] = child.pid
            return reply
        raise AssertionError("unreachable")


def run_is_live(out_dir: Path, run_token: str) -> bool:
    """Whether the batch that issued a task still runs: it holds out/.batch.lock, which names its token.

    A batch killed with kill -9 leaves dask workers with tasks already handed
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
        _drop_child(REPLAY, kill=True)
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


def _write_here(settings: WorkerSettings, task: Task, stage: Path) -> dict[str, Any]:
    """The second phase of a two-phase job, in this process, on what the replay child handed over."""
    started = time.perf_counter()
    try:
        result = _resolved(settings.finisher or "")(take_handover(stage), stage)
    except Exception as exc:  # noqa: BLE001 - every job failure is a per-capture record
        _log_failure(settings, task)
        return {"ok": False, "cause": failure_cause(exc), "error": one_line(exc, hint=getattr(exc, "hint", ""))}
    return {"ok": True, "result": result, "seconds": time.perf_counter() - started}


def _write_handed_over(settings: WorkerSettings, task: Task, stage: Path, reply: dict[str, Any]) -> dict[str, Any]:
    """The second phase of a two-phase job: the replay child's reply, completed as the whole job's."""
    if settings.write_in_child:
        written = _Attempt(settings, task, stage, WRITE).reply()
        reply = {**reply, "writer_pid": written.get("worker_pid"), "writer_peak_rss_mb": written.get("peak_rss_mb")}
    else:
        written = _write_here(settings, task, stage)
    if not written.get("ok"):
        return {**reply, "ok": False, "cause": written.get("cause"), "error": written.get("error")}
    return {**reply, "result": written.get("result"),
            "seconds": (reply.get("seconds") or 0.0) + (written.get("seconds") or 0.0)}


def _finish(settings: WorkerSettings, started: _Started, reply: dict[str, Any]) -> dict[str, Any]:
    """Write (two-phase jobs), check and publish one capture's frame; its manifest record."""
    task, frame = started.task, started.frame
    try:
        if frame is not None:
            if reply.get("ok") and settings.finisher is not None:
                reply = _write_handed_over(settings, task, frame.stage, reply)
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


def supervise(next_task: Callable[[], Task | None], settings: WorkerSettings,
              emit: Callable[[dict[str, Any]], None]) -> None:
    """Extract captures one after the other in this thread's children until `next_task` returns None;
    `emit` gets each capture's record as soon as its frame is published (or it failed).

    The next capture goes to the replay child as soon as it has replayed the
    previous one, whose frame is then written and published. After a full disk
    no further capture is taken (the batch stops; a rerun does them).
    """
    current = _start(settings, task) if (task := next_task()) is not None else None
    while current is not None:
        reply = current.wait()
        following = None
        if reply.get("cause") != DISK_FULL and (task := next_task()) is not None:
            following = _start(settings, task)
        record = _finish(settings, current, reply)
        emit(record)
        if record["cause"] == DISK_FULL and following is not None:
            following.wait()   # handed out already: let it end, unrecorded, so that a rerun does it
            if following.frame is not None:
                following.frame.discard()
            break
        current = following


def supervise_thread(next_task: Callable[[], Task | None], settings: WorkerSettings,
                     emit: Callable[[dict[str, Any]], None], *, early: bool = True) -> None:
    """`supervise` in a thread of the batch process (the local backend), with its own children: `early`,
    they are started before the first capture is taken and start up while discovery finds it."""
    try:
        if early:
            _child_for_this_thread(settings, REPLAY)
            if settings.finisher is not None and settings.write_in_child:
                _child_for_this_thread(settings, WRITE)
        supervise(next_task, settings, emit)
    finally:
        close_children()


def run_tasks(tasks: list[Task], settings: WorkerSettings) -> list[dict[str, Any]]:
    """Extract `tasks` in this thread's children (a dask task); their records.

    After a full disk the remaining tasks are not attempted and get no record
    (the batch stops; a rerun does them).
    """
    records: list[dict[str, Any]] = []
    waiting = iter(tasks)
    supervise(lambda: next(waiting, None), settings, records.append)
    return records


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
        "writer_pid": reply.get("writer_pid"), "writer_peak_rss_mb": reply.get("writer_peak_rss_mb"),
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
    }
    if reply.get("ok"):
        record.update(status=DONE, cause=None, error=None, **summarise_result(reply.get("result") or {}))
    else:
        record.update(status=FAILED, cause=reply.get("cause"), error=reply.get("error"),
                      profile=None, profile_sha256=None, outputs={})
    return record
