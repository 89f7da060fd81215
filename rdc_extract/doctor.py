"""`rdc-extract doctor`: can this machine extract? Proven by replaying real captures.

Each graphics API is checked by replaying a tiny capture shipped with the tool
(made by `samples/tiny/`), in a child process so a driver crash or hang is a
finding rather than the end of the report.
"""

from __future__ import annotations

import ctypes.util
import json
import os
import platform
import pwd
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

from rdc_extract import __version__
from rdc_extract.errors import RemoteUnavailable, RenderDocNotFound
from rdc_extract.rd.loader import module_path, renderdoc_version

PROBE_CAPTURES = {"OpenGL": "gl_triangle.rdc", "Vulkan": "vk_gbuffer.rdc"}
PROBE_TIMEOUT_S = 120
DEBIAN_RENDERDOC_PYTHON = (3, 11)   # the CPython Debian bookworm's python3-renderdoc module is built for


def replay_python_note(version: tuple[int, int] | None = None) -> str | None:
    """What a Python other than Debian RenderDoc's can and cannot do; None on that Python."""
    version = version or (sys.version_info.major, sys.version_info.minor)
    if tuple(version) == DEBIAN_RENDERDOC_PYTHON:
        return None
    this, debian = ".".join(map(str, version)), ".".join(map(str, DEBIAN_RENDERDOC_PYTHON))
    return (f"this is Python {this}: Debian's python3-renderdoc is built for Python {debian}, so replay (extract, "
            f"batch, inspect, capture, doctor's probes) needs a Python {debian} interpreter or a RenderDoc module "
            f"built for {this}; reading datasets (rdc_extract.data), classes and relabel work on any Python >= 3.11")


@dataclass
class ApiCheck:
    api: str
    capture: str
    replays: bool
    detail: str
    seconds: float | None = None


@dataclass
class RemoteCheck:
    """A remote server (`doctor --remote`): whether it answers, the APIs it says it replays, and the probe
    captures replayed through it."""

    address: str
    answers: bool
    detail: str
    apis: list[str] = field(default_factory=list)
    probes: list[ApiCheck] = field(default_factory=list)


@dataclass
class DoctorReport:
    tool_version: str
    python: str
    python_executable: str
    cpu_count: int
    renderdoc_version: str | None = None
    renderdoc_module: str | None = None
    renderdoc_error: str | None = None
    python_note: str | None = None
    display: dict[str, str | None] = field(default_factory=dict)
    shader_cache: dict[str, str | bool] = field(default_factory=dict)
    apis: list[ApiCheck] = field(default_factory=list)
    remotes: list[RemoteCheck] = field(default_factory=list)

    @property
    def can_extract(self) -> bool:
        return self.renderdoc_error is None and any(check.replays for check in self.apis)

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "can_extract": self.can_extract}, indent=2)


def display_situation(env: dict[str, str] | None = None) -> dict[str, str | None]:
    env = os.environ if env is None else env
    egl_platform = env.get("EGL_PLATFORM")
    headless = not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))
    return {
        "DISPLAY": env.get("DISPLAY"),
        "WAYLAND_DISPLAY": env.get("WAYLAND_DISPLAY"),
        "EGL_PLATFORM": egl_platform or ("surfaceless (set by rdc-extract at replay)" if headless else None),
        "libEGL": ctypes.util.find_library("EGL"),
        "libvulkan": ctypes.util.find_library("vulkan"),
    }


def mesa_shader_cache(env: dict[str, str] | None = None, home: str | None = None) -> dict[str, str | bool]:
    """Where Mesa keeps compiled shaders, and whether it can (the lookup of Mesa 22's disk cache).

    Every capture opened builds a new GL context whose shaders llvmpipe must
    compile with LLVM unless this cache has them: without it a sample-game
    capture replays in about 3.5 s instead of 0.6 s. `home` is the account's
    home folder (Mesa reads the password database, not $HOME).
    """
    env = os.environ if env is None else env
    disabled = any(env.get(name, "").lower() in ("1", "true", "yes")
                   for name in ("MESA_SHADER_CACHE_DISABLE", "MESA_GLSL_CACHE_DISABLE"))
    chosen = env.get("MESA_SHADER_CACHE_DIR") or env.get("MESA_GLSL_CACHE_DIR") or env.get("XDG_CACHE_HOME")
    if chosen:
        folder = Path(chosen) / "mesa_shader_cache"
    else:
        folder = Path(home or pwd.getpwuid(os.getuid()).pw_dir) / ".cache" / "mesa_shader_cache"
    existing = next(parent for parent in (folder, *folder.parents) if parent.exists())
    writable = existing.is_dir() and os.access(existing, os.W_OK | os.X_OK)
    return {"folder": str(folder), "enabled": not disabled, "writable": writable}


def shader_cache_problem(cache: dict[str, str | bool]) -> str | None:
    """What is wrong with the cache `mesa_shader_cache` describes, and what it costs; None when it works."""
    if cache["enabled"] and cache["writable"]:
        return None
    why = "disabled by the environment" if not cache["enabled"] else f"not writable ({cache['folder']})"
    return f"Mesa's shader cache is {why}: every capture recompiles its shaders and replay is about 6x slower"


def check_api(api: str, capture_name: str, env: dict[str, str] | None = None) -> ApiCheck:
    """Replay the probe capture of `api` in a child process (`env` added to its environment: a remote route)."""
    capture = resources.files("rdc_extract") / "probes" / capture_name
    if not capture.is_file():
        return ApiCheck(api, str(capture), False, "probe capture missing from the install")
    command = [sys.executable, "-m", "rdc_extract.rd.dump", str(capture)]
    try:
        child = subprocess.run(command, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S,
                               env={**os.environ, **(env or {})})
    except subprocess.TimeoutExpired:
        return ApiCheck(api, str(capture), False, f"replay hung for more than {PROBE_TIMEOUT_S} s")
    lines = child.stdout.strip().splitlines()
    if child.returncode < 0:
        return ApiCheck(api, str(capture), False, f"replay crashed (signal {-child.returncode})")
    try:
        verdict = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        tail = (child.stderr.strip().splitlines() or ["no output"])[-1]
        return ApiCheck(api, str(capture), False, f"probe failed (exit {child.returncode}): {tail}")
    if not verdict["ok"]:
        return ApiCheck(api, str(capture), False, verdict["error"])
    detail = f"{len(verdict['actions'])} actions, {len(verdict['textures'])} textures read back"
    return ApiCheck(api, str(capture), True, detail, verdict["seconds"])


def check_remote(address: str) -> RemoteCheck:
    """Whether the server at `address` answers, what it replays, and the probe captures replayed through it."""
    from rdc_extract.rd.remote import Route, supported_apis
    from rdc_extract.rd.session import initialise_replay

    try:
        apis = supported_apis(initialise_replay(), address)
    except RemoteUnavailable as exc:
        return RemoteCheck(address, False, str(exc))
    route_env = Route((address,)).to_env()
    probes = [check_api(api, name, route_env) for api, name in PROBE_CAPTURES.items() if api in apis]
    return RemoteCheck(address, True, f"replays {', '.join(apis) or 'nothing'}", apis, probes)


def run_doctor(remotes: list[str] | None = None) -> DoctorReport:
    report = DoctorReport(
        tool_version=__version__,
        python=platform.python_version(),
        python_executable=sys.executable,
        cpu_count=os.cpu_count() or 1,
        display=display_situation(),
        shader_cache=mesa_shader_cache(),
        python_note=replay_python_note(),
    )
    try:
        report.renderdoc_version = renderdoc_version()
    except RenderDocNotFound as exc:
        report.renderdoc_error = str(exc) + (f"; {report.python_note}" if report.python_note else "")
        return report
    report.renderdoc_module = str(module_path())
    report.apis = [check_api(api, name) for api, name in PROBE_CAPTURES.items()]
    report.remotes = [check_remote(address) for address in remotes or []]
    return report
