"""The child interpreter that runs the per-capture job: `python -m rdc_extract.batch.child`.

One child serves one supervisor (workers.py) over pipes, one JSON line per
message. It imports the job and runs its initialiser once (RenderDoc's
`InitialiseReplay`), then handles captures one at a time until the supervisor
closes its stdin (recycling) or it has been idle for `idle_timeout` seconds. A
native crash or hang here takes down only this process; the supervisor records
it against the capture it held.

Protocol: the first stdin line is the settings `{"job", "initialiser",
"kwargs", "idle_timeout", "hand_over", "parent_writes", "takes_handover", "test_fault"}`; the child answers
`{"ready": true, "pid"}` or `{"ready": false, "error"}`. Then per task `{"capture", "frame_dir", "frame_id"}`
(frame_id is passed on to jobs that take it) → `{"ok": true, "result", "seconds", "peak_rss_mb"}` or
`{"ok": false, "cause", "error", "seconds", "peak_rss_mb"}`. A two-phase job runs in two children:
with `hand_over` the job (the replay) is called without the frame folder and its return value is not sent:
it is pickled to `<frame_dir>/HANDOVER_NAME` and `result` is null; with `takes_handover` the job (the
writing) is called with what was handed over and the frame folder. Protocol messages use the original
stdout; anything else printed (by the job or native code) goes to stderr, the child's log.

Test-only fault hook: `RDC_EXTRACT_TEST_FAULT="crash:<substring>,hang:<substring>,..."`
in the environment of the batch (the runner passes it on in the settings as
`test_fault`, so it reaches workers on a cluster too) makes the child misbehave
when handed a capture whose path contains the substring: `crash` segfaults,
`hang` hangs forever, `abort` aborts, `enospc` fails as a full disk would
(OSError ENOSPC naming a file in the frame folder), all in the replay child;
`killworker` SIGKILLs the process that writes the capture's frame, as the OOM
killer would (the writer child, or the dask worker for `parent_writes`). It
exists so tests can prove isolation; never set it in production.
"""

from __future__ import annotations

import ctypes
import errno
import importlib
import inspect
import json
import os
import pickle
import resource
import select
import signal
import statistics
import sys
import time
import traceback
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rdc_extract.parent_death import die_with_parent

FAULT_ENV = "RDC_EXTRACT_TEST_FAULT"
FAULT_KINDS = ("crash", "hang", "abort", "killworker", "enospc")
IDLE_EXIT_CODE = 75
TRIM_SLACK_MB = 96
USUAL_OVER = 64   # captures whose resident memory sets what is usual
WRITER_NICENESS = 10   # a writer fills the gaps a replay leaves on the cores, never takes them from it
HANDOVER_NAME = ".replayed.pickle"   # in the task's frame folder; never published (the supervisor removes it)


def resolve(name: str) -> Callable[..., Any]:
    """`"package.module:function"` → the function."""
    module_name, _, attribute = name.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"job name {name!r} is not of the form 'module:function'")
    return getattr(importlib.import_module(module_name), attribute)


def parse_faults(spec: str | None) -> list[tuple[str, str]]:
    """`"crash:bad,hang:slow"` → `[("crash", "bad"), ("hang", "slow")]`; unknown kinds are rejected."""
    faults = []
    for item in (spec or "").split(","):
        if not item.strip():
            continue
        kind, _, substring = item.strip().partition(":")
        if kind not in FAULT_KINDS or not substring:
            raise ValueError(f"{FAULT_ENV}: bad entry {item!r} (want {':|'.join(FAULT_KINDS)}:<substring>)")
        faults.append((kind, substring))
    return faults


def inject_fault(faults: list[tuple[str, str]], capture: str, frame_dir: str, *, replays: bool,
                 writes: bool, parent_writes: bool) -> None:
    """Misbehave as `faults` say for `capture` (module docstring); `replays`/`writes`: what this child does."""
    for kind, substring in faults:
        if substring not in capture:
            continue
        if kind == "killworker":
            if parent_writes:
                os.kill(os.getppid(), signal.SIGKILL)
                os._exit(1)
            if writes:
                os.kill(os.getpid(), signal.SIGKILL)
        elif not replays:
            continue
        elif kind == "crash":
            ctypes.string_at(0)  # a real segmentation fault: read address 0
        elif kind == "abort":
            os.abort()
        elif kind == "enospc":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), os.path.join(frame_dir, "rgb.png"))
        else:
            while True:
                time.sleep(3600)


def take_handover(frame_dir: Path) -> Any:
    """What the replay half of a two-phase job handed over in `frame_dir`, removed from it (never published)."""
    handover = frame_dir / HANDOVER_NAME
    with handover.open("rb") as handle:
        replayed = pickle.load(handle)
    handover.unlink()
    return replayed


def one_line(text: str, limit: int = 500, hint: str = "") -> str:
    """`text` on one line of at most `limit` characters; a shortened text keeps its closing `(hint)`."""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    tail = f" ({hint})" if hint and text.endswith(f"({hint})") else ""
    return text[: limit - 1 - len(tail)] + "…" + tail


def failure_cause(exc: BaseException) -> str:
    """The short, groupable cause of a job failure: the error's `.cause` when it has one."""
    from rdc_extract.errors import DISK_FULL, RdcExtractError, is_disk_full

    if is_disk_full(exc):
        return DISK_FULL
    cause = getattr(exc, "cause", None)
    if isinstance(cause, str) and cause:
        return cause
    if isinstance(exc, RdcExtractError):
        return type(exc).__name__
    return f"internal error ({type(exc).__name__})"


def death_cause(returncode: int | None, who: str = "worker") -> str:
    """`-11` → "crashed (SIGSEGV)"; a positive code → "<who> exited (code N)"."""
    if returncode is not None and returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"crashed ({name})"
    return f"{who} exited (code {returncode})"


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _die_with_parent() -> None:
    """Linux: have the kernel SIGKILL this child when its supervisor dies (kill -9 of the batch)."""
    die_with_parent(signal.SIGKILL)
    if os.getppid() == 1:
        os._exit(1)


def release_freed_memory() -> None:
    """Give the memory freed so far back to the system (glibc's malloc_trim; a no-op elsewhere)."""
    trim = getattr(ctypes.CDLL(None), "malloc_trim", None)
    if trim is not None:
        trim(0)


def resident_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def keep_memory_bounded(left_behind: deque[float]) -> None:
    """After a capture: trim the heap if it left resident memory `TRIM_SLACK_MB` above what captures usually leave.

    glibc keeps the heap a capture freed for reuse, so one large capture would
    leave hundreds of MB behind. Trimming costs the next capture the memory it
    page-faults back in: a sample capture's working set is ~150 MB above the
    trimmed heap, ~22,000 page faults and ~35 ms of CPU each time. So the
    resident memory each capture left (`left_behind`, appended to) is
    compared with the median of the earlier ones (the last `USUAL_OVER`):
    captures of the usual size never trim, an outsized one does (the median is
    not moved by a few outsized or failed captures).
    """
    resident = resident_mb()
    usual = statistics.median(left_behind) if left_behind else resident
    left_behind.append(resident)
    if resident > usual + TRIM_SLACK_MB:
        release_freed_memory()


class _LineReader:
    """Line reads from a raw fd with a timeout (select), without buffering past what was asked."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = b""

    def readline(self, timeout: float | None) -> bytes | None:
        """A line, b"" at EOF, or None on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self.buffer:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if not ready:
                return None
            chunk = os.read(self.fd, 65536)
            if not chunk:
                line, self.buffer = self.buffer, b""
                return line
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line + b"\n"


def main() -> int:
    _die_with_parent()
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def send(message: dict[str, Any]) -> None:
        protocol.write(json.dumps(message, default=str) + "\n")
        protocol.flush()

    reader = _LineReader(sys.stdin.fileno())
    settings = json.loads(reader.readline(None) or b"{}")
    if settings.get("takes_handover"):
        os.nice(WRITER_NICENESS)
    try:
        faults = parse_faults(settings.get("test_fault"))
        job = resolve(settings["job"])
        if settings.get("initialiser"):
            resolve(settings["initialiser"])()
    except Exception as exc:  # noqa: BLE001 - reported to the supervisor, which aborts the batch
        traceback.print_exc()
        send({"ready": False, "error": one_line(f"{type(exc).__name__}: {exc}")})
        return 1
    send({"ready": True, "pid": os.getpid()})
    kwargs = settings.get("kwargs") or {}
    takes_frame_id = "frame_id" in inspect.signature(job).parameters
    idle_timeout = settings.get("idle_timeout")
    hand_over, takes_handover = bool(settings.get("hand_over")), bool(settings.get("takes_handover"))
    parent_writes = bool(settings.get("parent_writes"))

    left_behind: deque[float] = deque(maxlen=USUAL_OVER)   # resident MB after each capture served
    while True:
        line = reader.readline(idle_timeout)
        if line is None:
            return IDLE_EXIT_CODE
        if not line.strip():
            return 0
        task = json.loads(line)
        started = time.perf_counter()
        frame_dir = Path(task["frame_dir"])
        try:
            inject_fault(faults, task["capture"], task["frame_dir"], replays=not takes_handover,
                         writes=not hand_over, parent_writes=parent_writes)
            extra = {"frame_id": task["frame_id"]} if takes_frame_id and task.get("frame_id") else {}
            if hand_over:   # the first half of a two-phase job reads; it writes no frame folder
                result = job(Path(task["capture"]), **kwargs, **extra)
                frame_dir.mkdir(parents=True, exist_ok=True)
                with open(frame_dir / HANDOVER_NAME, "wb") as handle:
                    pickle.dump(result, handle, protocol=pickle.HIGHEST_PROTOCOL)
                result = None
            elif takes_handover:   # the second half writes the frame folder from what the first read
                result = job(take_handover(frame_dir), frame_dir)
            else:
                result = job(Path(task["capture"]), frame_dir, **kwargs, **extra)
        except Exception as exc:  # noqa: BLE001 - every job failure is a per-capture record
            print(f"[{task['capture']}]", file=sys.stderr)
            traceback.print_exc()
            send({"ok": False, "cause": failure_cause(exc), "error": one_line(exc, hint=getattr(exc, "hint", "")),
                  "seconds": time.perf_counter() - started, "peak_rss_mb": peak_rss_mb()})
        else:
            send({"ok": True, "result": result, "seconds": time.perf_counter() - started,
                  "peak_rss_mb": peak_rss_mb()})
        keep_memory_bounded(left_behind)   # while the supervisor takes the reply


if __name__ == "__main__":
    exit_code = main()
    from rdc_extract.rd.session import exit_after_replay  # the job's initialiser may have started replay

    exit_after_replay(exit_code)
    sys.exit(exit_code)
