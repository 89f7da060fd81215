"""`rdc-extract extract` starts replaying before its command line is imported.

Importing the command line, numpy and the writers takes ~0.3 s, and replay
could not start before it: a fifth of extracting a sample capture. So the
console script (`rdc_extract.launch`) reads the capture, `--profile` and
`--outputs` straight from the arguments and forks a process that replays at
once (`replay_capture`) while this one imports, parses the arguments as usual
and checks them; `take` then receives what was read, and this process
decodes and writes the frame. Replay is the same either way; only when it
starts differs.

The replay process is used only when the parsed command line names the same
capture, profile and outputs; otherwise it is killed and the command replays
itself, as it also does on a single core, with `--remote`, or with
`RDC_EXTRACT_EARLY_REPLAY=0`. A native crash in the replay process becomes a
one-line error naming the capture, and its RenderDoc log stays for a bug report.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pickle
import signal
import stat
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, NoReturn

if TYPE_CHECKING:
    from rdc_extract.extract.replay import Replayed

SWITCH_ENV = "RDC_EXTRACT_EARLY_REPLAY"   # "0": never replay ahead
LOG_ENV = "RENDERDOC_DEBUG_LOG_FILE"      # rd/session.py's REPLAY_LOG_ENV, not imported: nothing heavy before the fork
_VALUED_OPTIONS = {"--profile": "profile", "-p": "profile", "--outputs": "outputs"}
LEAVING_S = 10.0   # after answering, the replay process shuts replay down; one that hangs there is killed


class Request(NamedTuple):
    """What `extract` will replay, as written on its command line."""

    capture: str
    profile: str | None
    outputs: str | None


def request_in(argv: Sequence[str]) -> Request | None:
    """The replay `rdc-extract ARGV` will do, when ARGV is an `extract` that says so plainly.

    Only positional arguments, `--profile`/`-p` and `--outputs` are understood;
    anything else (another command, `--remote`, `--help`, an unknown option)
    gives None, and the command line alone decides, as it always does in the end.
    """
    if not argv or argv[0] != "extract":
        return None
    positional: list[str] = []
    values: dict[str, str] = {}
    items = iter(argv[1:])
    for item in items:
        if not item.startswith("-") or item == "-":
            positional.append(item)
            continue
        name, equals, value = item.partition("=") if item.startswith("--") else (item, "", "")
        field = _VALUED_OPTIONS.get(name)
        if field is None:
            return None
        if not equals:
            following = next(items, None)
            if following is None:
                return None
            value = following
        values[field] = value
    if len(positional) != 2:
        return None
    return Request(positional[0], values.get("profile"), values.get("outputs"))


class _Replaying:
    """The replay process started ahead: its pid, the pipe it answers on, its RenderDoc log."""

    def __init__(self, request: Request, pid: int, results: int) -> None:
        self.request, self.pid, self.log = request, pid, _log_of(pid)
        self.results = os.fdopen(results, "rb")
        self.answered = False   # its whole answer arrived: it is leaving by itself


_replaying: _Replaying | None = None


def start(argv: Sequence[str]) -> None:
    """Fork the replay of the capture `argv` names, when it names one plainly (`request_in`) and it can help.

    Call first thing, before anything heavy is imported and before any thread
    exists. Does nothing for other commands, on a single core or without `fork`, with
    `RDC_EXTRACT_EARLY_REPLAY=0`, or when the capture is not a regular file (the
    command reports that).
    """
    global _replaying
    request = request_in(argv)
    if request is None or os.environ.get(SWITCH_ENV) == "0" or not _cores_to_spare():
        return
    try:
        if not stat.S_ISREG(os.stat(request.capture).st_mode):
            return
    except (OSError, ValueError):
        return
    results, answer = os.pipe()
    try:
        pid = os.fork()
    except OSError:   # no process to spare (ulimit -u, memory): the command replays itself
        os.close(results)
        os.close(answer)
        return
    if pid == 0:
        os.close(results)
        _replay_and_exit(request, answer)
    os.close(answer)
    _replaying = _Replaying(request, pid, results)
    atexit.register(_end)


def _cores_to_spare() -> bool:
    """Two cores or more for this process, and `fork` (Linux): otherwise the replay process cannot help."""
    return hasattr(os, "fork") and hasattr(os, "sched_getaffinity") and len(os.sched_getaffinity(0)) >= 2


def _log_of(pid: int) -> str:
    chosen = os.environ.get(LOG_ENV)
    return chosen or os.path.join(os.environ.get("TMPDIR") or "/tmp", f"rdc-extract-replay-{pid}.log")


def _replay_and_exit(request: Request, answer: int) -> NoReturn:
    """The replay process: replay, send `("replayed", Replayed)` or `("failed", exception)`, leave."""
    parent = os.getppid()
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)   # Ctrl-C reaches both processes; the command reports it
        from rdc_extract.parent_death import die_with_parent

        die_with_parent()
        if os.getppid() != parent:
            os._exit(1)
        os.environ[LOG_ENV] = _log_of(os.getpid())
        from rdc_extract.blas import one_blas_thread_unless_set

        one_blas_thread_unless_set()
        message = ("replayed", _replay(request))
    except BaseException as exc:  # noqa: BLE001 - every failure goes to the command, which reports it
        message = ("failed", _portable(exc))
    try:
        _send(answer, message)
    finally:
        from rdc_extract.rd.session import exit_after_replay

        exit_after_replay(0)
        os._exit(0)


def _replay(request: Request) -> Replayed:
    from rdc_extract.extract.plan import split_outputs
    from rdc_extract.extract.replay import replay_capture
    from rdc_extract.rd.remote import route_replay

    _inject_test_fault(request.capture)
    route_replay(None)   # as `extract` without --remote: here, whatever the environment routes
    return replay_capture(Path(request.capture), profile=request.profile, outputs=split_outputs(request.outputs))


def _inject_test_fault(capture: str) -> None:
    """The batch's test-only fault hook (batch/child.py), so tests can crash this process too."""
    if "RDC_EXTRACT_TEST_FAULT" not in os.environ:   # batch/child.py's FAULT_ENV, imported only when set
        return
    from rdc_extract.batch.child import FAULT_ENV, inject_fault, parse_faults

    faults = parse_faults(os.environ.get(FAULT_ENV))
    if faults:
        inject_fault(faults, capture, "", replays=True, writes=False, parent_writes=False)


def _portable(exc: BaseException) -> BaseException:
    """`exc`, or when it does not survive pickling, an error with its text; a bug's traceback is printed here."""
    from rdc_extract.errors import RdcExtractError

    if not isinstance(exc, (RdcExtractError, OSError)):
        import traceback

        traceback.print_exception(exc)
    try:
        return pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001 - anything not picklable travels as text
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def _send(answer: int, message: tuple[str, object]) -> None:
    """Pickled straight into the pipe: no second copy of the texture data in memory."""
    with os.fdopen(answer, "wb") as pipe:
        pickle.dump(message, pipe, protocol=pickle.HIGHEST_PROTOCOL)


def take(capture: Path, profile: str | None, outputs: str | None) -> Replayed | None:
    """What the replay process read, when it replayed what the parsed command line asks for; None when there
    is none or it replayed something else (it is then stopped): the command replays itself.

    Raises what the replay raised; a replay process that died raises ReplayFailed naming the capture.
    """
    replaying = _replaying
    if replaying is None or replaying.answered:
        return None
    asked = replaying.request
    if Request(str(Path(asked.capture)), asked.profile, asked.outputs) != Request(str(capture), profile, outputs):
        _end()
        return None
    waited = time.perf_counter()
    with replaying.results as pipe:
        pipe.peek(1)   # the answer starts (or the pipe closed)
        received = time.perf_counter()
        try:
            kind, value = pickle.load(pipe)
        except (EOFError, pickle.UnpicklingError):   # it died before its answer was whole
            raise _death(capture, replaying) from None
    replaying.answered = True
    if kind == "failed":
        raise value
    value.timing["handover"] = time.perf_counter() - received
    value.timing["waited"] = received - waited
    return value


def _death(capture: Path, replaying: _Replaying) -> Exception:
    from rdc_extract.batch.child import death_cause
    from rdc_extract.errors import ReplayFailed

    global _replaying
    _replaying = None
    _, status = os.waitpid(replaying.pid, 0)
    code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
    return ReplayFailed(capture, f"{death_cause(code, who='the replay process')}; RenderDoc's log: {replaying.log}")


def exit_after_answer(code: int) -> None:
    """If a replay process answered this command: flush stdout/stderr, wait for it to leave and end this process
    with `code` now, as `rd.session.exit_after_replay` ends one that replayed (the interpreter's own exit costs
    ~30 ms); otherwise return."""
    if _replaying is None or not _replaying.answered:
        return
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    _end()
    os._exit(code)


def _end() -> None:
    """Wait for the replay process to leave once it answered; stop it (and remove its log) if it did not."""
    global _replaying
    replaying, _replaying = _replaying, None
    if replaying is None:
        return
    replaying.results.close()
    if replaying.answered and _left_within(replaying.pid, LEAVING_S):
        return
    os.kill(replaying.pid, signal.SIGKILL)
    os.waitpid(replaying.pid, 0)
    if not replaying.answered:
        with contextlib.suppress(OSError):
            os.unlink(replaying.log)


def _left_within(pid: int, seconds: float) -> bool:
    """Reap `pid` if it ends within `seconds` (shutting replay down takes ~0.03 s)."""
    deadline = time.monotonic() + seconds
    while os.waitpid(pid, os.WNOHANG) == (0, 0):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True
