"""Opening a capture for replay, with every failure mapped to a typed, path-carrying error.

Replay is initialised once per process (RenderDoc forbids re-initialising
after shutdown) and shut down at interpreter exit, which avoids the exit hang
seen on these machines; commands that are done call `exit_after_replay` to
leave at once instead. A controller must be used from the thread that made it:
parallelism comes from processes, never threads.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import sys
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rdc_extract.errors import (
    ApiNotReplayable,
    CaptureCorrupt,
    CaptureError,
    CaptureNotFound,
    NotACapture,
    NotARegularFile,
    RemoteCaptureError,
    RemoteReplayLost,
    RemoteUnavailable,
    ReplayFailed,
)
from rdc_extract.rd import compat, remote
from rdc_extract.rd.loader import load_renderdoc
from rdc_extract.regular_files import open_regular_file

CAPTURE_MAGIC = b"RDOC"
_CORRUPT_CODES = ("FileCorrupted", "APIDataCorrupted")

_replay_initialised = False


def configure_headless_egl(env: dict[str, str] | None = None) -> bool:
    """Ask Mesa for a surfaceless EGL display when there is no window system.

    OpenGL captures made through EGL need an EGL display at replay; without a
    display server only the surfaceless platform works here. Returns True when
    it set the variable. Must run before replay is initialised.
    """
    env = os.environ if env is None else env
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY") or env.get("EGL_PLATFORM"):
        return False
    env["EGL_PLATFORM"] = "surfaceless"
    return True


def rasteriser_env(cores: int, env: dict[str, str] | None = None) -> dict[str, str]:
    """Environment that keeps a replay process within `cores` cores of Mesa's software rasteriser.

    llvmpipe rasterises on LP_NUM_THREADS helper threads, one per core by
    default, so a lone extraction keeps about 1.2 cores busy. Batch workers
    that each own one core rasterise on their own thread instead (0): less
    contention, and parallel workers scale as far as the machine allows
    (docs/batch.md). An LP_NUM_THREADS already set in `env` wins and is passed on.
    """
    env = os.environ if env is None else env
    return {"LP_NUM_THREADS": env.get("LP_NUM_THREADS", str(cores if cores > 1 else 0))}


REPLAY_LOG_ENV = "RENDERDOC_DEBUG_LOG_FILE"


def replay_log_env(path: Path) -> dict[str, str]:
    """Environment that sends a new process's RenderDoc log to `path` instead of /tmp/RenderDoc/.

    RenderDoc deletes its log when the process exits cleanly, so only the logs
    of processes that crashed or were killed stay, where the batch keeps its
    other logs instead of piling up in /tmp.
    """
    return {REPLAY_LOG_ENV: str(path)}


# What RenderDoc 1.24 adds to the process environment as replay starts and opens
# captures (its Vulkan setup turns off implicit layers known to break replay), from a
# background thread. Adding a variable makes glibc reallocate `environ` while
# the main thread may be reading it (RenderDoc's log timestamps call
# localtime → getenv("TZ")): about one process in a hundred died with SIGSEGV
# in getenv (core dumps show both threads; 3 crashes in 400 replays). With the
# variables already set, RenderDoc's setenv only replaces values in place
# (0 crashes in 1,000 replays).
RENDERDOC_REPLAY_ENV = {
    "DISABLE_LAYER_AMD_SWITCHABLE_GRAPHICS_1": "1",
    "DISABLE_LAYER_NV_OPTIMUS_1": "",
    "DISABLE_RTSS_LAYER": "1",
    "DISABLE_VULKAN_OBS_CAPTURE": "1",
    "DISABLE_VULKAN_OW_OBS_CAPTURE": "1",
    "ENABLE_VULKAN_RENDERDOC_CAPTURE": "0",
    "NODEVICE_SELECT": "1",
    "VK_LAYER_bandicam_helper_DEBUG_1": "1",
}


def preset_replay_environment(env: MutableMapping[str, str] | None = None) -> None:
    """Set what RenderDoc will set while opening captures, before it has threads (see RENDERDOC_REPLAY_ENV)."""
    env = os.environ if env is None else env
    for name, value in RENDERDOC_REPLAY_ENV.items():
        env.setdefault(name, value)


def initialise_replay() -> Any:
    """Initialise RenderDoc replay for this process (idempotent); returns the module."""
    global _replay_initialised
    rd = load_renderdoc()
    if not _replay_initialised:
        configure_headless_egl()
        preset_replay_environment()
        rd.InitialiseReplay(rd.GlobalEnvironment(), [])
        atexit.register(rd.ShutdownReplay)
        _replay_initialised = True
    return rd


def exit_after_replay(code: int) -> None:
    """If this process initialised replay: flush stdout/stderr, shut replay down and end the process with `code` now.

    Once the outputs are written, the interpreter's own exit after RenderDoc
    (tearing down modules and RenderDoc's threads) took 0.11 s against 0.04 s for this;
    `os._exit` skips it, and with it RenderDoc's removal of its log on a clean
    exit, which is done here instead (logs of crashed processes stay). Returns
    without doing anything when replay was never initialised.
    """
    if not _replay_initialised:
        return
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    renderdoc = load_renderdoc()
    log = renderdoc.GetLogFile()
    renderdoc.ShutdownReplay()
    with contextlib.suppress(OSError):
        os.unlink(log)
    os._exit(code)


@dataclass
class ReplaySession:
    """An open capture: its path, graphics API and live replay controller (and the remote server replaying
    it, when one does)."""

    path: Path
    api: str
    controller: Any
    server: str | None = None

    @functools.cached_property
    def textures(self) -> list[Any]:
        """The capture's `TextureDescription`s, asked for once (the frame reader and readback both need them)."""
        return list(self.controller.GetTextures())

    @functools.cached_property
    def resource_ids(self) -> dict[int, Any]:
        """Live `ResourceId` by plain int, for the replay calls that take one."""
        return {int(texture.resourceId): texture.resourceId for texture in self.textures}


def check_capture_file(path: Path) -> None:
    """Cheap checks before RenderDoc sees the file, so the error says what is wrong.

    Only a regular file passes (a link is judged by its target): RenderDoc
    opens the path itself and would wait forever on a FIFO.
    """
    try:
        with open_regular_file(path) as handle:
            magic = handle.read(len(CAPTURE_MAGIC))
    except FileNotFoundError:
        raise CaptureNotFound(path, "file does not exist") from None
    except NotARegularFile as exc:
        raise NotACapture(path, f"is {exc.kind}") from None
    except OSError as exc:   # a loop of links, no permission, an I/O error
        raise CaptureError(path, f"cannot be read: {exc.strerror or exc}") from None
    if not magic:
        raise NotACapture(path, "file is empty")
    if magic != CAPTURE_MAGIC:
        raise NotACapture(path, f"no RenderDoc header (starts with {magic.hex()})")
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        raise CaptureError(path, "RenderDoc opens only paths that are valid UTF-8; rename the file") from None


@contextmanager
def open_capture(path: str | Path) -> Iterator[ReplaySession]:
    """Open `path` for replay, here or on a remote server when this process's route sends its API there
    (rd/remote.py); always closes the capture and controller."""
    path = Path(path)
    check_capture_file(path)
    rd = initialise_replay()
    capture = rd.OpenCaptureFile()
    controller = None
    try:
        result = capture.OpenFile(str(path), "", None)
        if not compat.result_ok(result):
            raise CaptureCorrupt(path, compat.result_message(result))
        api = capture.DriverName()
        route = remote.current_route()
        if route is not None and route.wants(api):
            with _remote_session(rd, route, path, api) as session:
                yield session
            return
        support = capture.LocalReplaySupport()
        if support != rd.ReplaySupport.Supported:
            raise ApiNotReplayable(
                path, f"{api} capture ({support.name}); replay it on a machine that supports {api} "
                      "(or through one: --remote HOST, docs/remote.md)"
            )
        result, controller = capture.OpenCapture(rd.ReplayOptions(), None)
        if not compat.result_ok(result):
            controller = None
            _raise_open_failure(path, api, compat.result_code_name(result), compat.result_message(result))
        session = ReplaySession(path=path, api=api, controller=controller)
        yield session
    finally:
        if controller is not None:
            session.controller = None  # what kept the session (a frame's state reader) can no longer replay
            controller.Shutdown()
        capture.Shutdown()


def _raise_open_failure(path: Path, api: str, code: str, message: str, where: str = "") -> None:
    if code in _CORRUPT_CODES:
        raise CaptureCorrupt(path, message)
    raise ReplayFailed(path, f"{api} replay{where} could not start: {message}")


@contextmanager
def _remote_session(rd: Any, route: remote.Route, path: Path, api: str) -> Iterator[ReplaySession]:
    try:
        with remote.remote_controller(rd, route, path, api) as (controller, address):
            session = ReplaySession(path=path, api=api, controller=controller, server=address)
            try:
                yield session
            finally:
                session.controller = None
    except remote.OpenRefused as refused:
        _raise_open_failure(path, api, refused.code, refused.message, f" on {refused.address}")
    except (RemoteUnavailable, RemoteReplayLost) as exc:
        raise RemoteCaptureError(path, exc) from None
