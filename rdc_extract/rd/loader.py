"""Find and import RenderDoc's Python module: the only `import renderdoc` in the tool.

The module is a single native extension file (`renderdoc.so` / `renderdoc.pyd`)
built for one CPython minor version. We load exactly that file, so a Debian
install never drags `/usr/lib/python3/dist-packages` (and every Debian Python
package in it) onto `sys.path`.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from rdc_extract.errors import RenderDocNotFound

ENV_VAR = "RENDERDOC_PYTHON"
MODULE_FILENAMES = ("renderdoc.pyd",) if sys.platform == "win32" else ("renderdoc.so",)

# Where installs put the module, most specific first.
_KNOWN_LOCATIONS_LINUX = (
    "/usr/lib/python3/dist-packages",  # Debian / Ubuntu: python3-renderdoc
    "/usr/local/lib/python3/dist-packages",
    "/usr/local/lib",  # RenderDoc built from source and installed
    "/opt/renderdoc/lib",  # RenderDoc's Linux release tarball, unpacked to /opt/renderdoc
)
_KNOWN_LOCATIONS_WINDOWS = (
    r"C:\Program Files\RenderDoc\pymodules",
    r"C:\Program Files\RenderDoc",
)

INSTALL_HINT = (
    "install it with `apt-get install python3-renderdoc librenderdoc renderdoccmd` "
    "(Debian/Ubuntu, or run scripts/setup.sh), or point "
    f"{ENV_VAR} at renderdoc.so/renderdoc.pyd or the folder holding it; "
    f"the module must be built for Python {sys.version_info.major}.{sys.version_info.minor}"
)


@dataclass(frozen=True)
class LoadAttempt:
    path: Path
    problem: str


def candidate_paths(env: dict[str, str] | None = None) -> list[Path]:
    """Module files to try: only $RENDERDOC_PYTHON when set (an explicit choice), else known installs."""
    env = os.environ if env is None else env
    override = env.get(ENV_VAR)
    if override:
        chosen = Path(override)
        if chosen.suffix in (".so", ".pyd"):
            return [chosen]
        return [chosen / name for name in MODULE_FILENAMES]
    folders: list[Path] = []
    if sys.platform == "win32":
        folders += [Path(p) for p in _KNOWN_LOCATIONS_WINDOWS]
    else:
        folders += [Path(p) for p in _KNOWN_LOCATIONS_LINUX]
        folders += sorted(Path.home().glob("renderdoc*/lib"))
        folders += sorted(Path("/opt").glob("renderdoc*/lib"))
    return [folder / name for folder in dict.fromkeys(folders) for name in MODULE_FILENAMES]


def _import_file(path: Path) -> ModuleType:
    if sys.platform == "win32":
        os.add_dll_directory(str(path.parent))
        os.add_dll_directory(str(path.parent.parent))
    spec = importlib.util.spec_from_file_location("renderdoc", path)
    if spec is None or spec.loader is None:
        raise ImportError("not a loadable Python extension")
    module = importlib.util.module_from_spec(spec)
    sys.modules["renderdoc"] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules["renderdoc"]
        raise
    return module


def _load(env: dict[str, str] | None = None) -> ModuleType:
    attempts: list[LoadAttempt] = []
    for path in candidate_paths(env):
        if not path.is_file():
            attempts.append(LoadAttempt(path, "no such file"))
            continue
        try:
            return _import_file(path)
        except ImportError as exc:
            attempts.append(LoadAttempt(path, f"import failed ({exc})"))
    tried = "; ".join(f"{a.path}: {a.problem}" for a in attempts)
    raise RenderDocNotFound(f"RenderDoc Python module not found (tried {tried}); {INSTALL_HINT}")


_module: ModuleType | None = None
_module_lock = threading.Lock()


def load_renderdoc(env: dict[str, str] | None = None) -> ModuleType:
    """Import RenderDoc's module once per process and return it (thread-safe).

    Two threads importing `renderdoc.so` at once crashed the process here,
    hence the lock. Raises RenderDocNotFound with every path tried and how to install.
    """
    global _module
    with _module_lock:
        if _module is None:
            existing = sys.modules.get("renderdoc")
            _module = existing if existing is not None else _load(env)
        return _module


def module_path() -> Path:
    return Path(load_renderdoc().__file__ or "")


def renderdoc_version() -> str:
    """RenderDoc's version string ("1.24"), from the loaded module."""
    return str(load_renderdoc().GetVersionString())
