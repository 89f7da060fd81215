"""A virtual X display (Xvfb) for a windowed game on a machine without one (`--virtual-display`).

RenderDoc captures a frame when the game presents it to a window; a game that
opens a window needs an X display. When `DISPLAY` is set, that display is used
and nothing is started. Otherwise Xvfb picks a free display number itself
(`-displayfd`), so two runs never race for one, and it is stopped when the run
ends; on Linux it also gets SIGTERM should the launcher die first.
"""

from __future__ import annotations

import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from types import TracebackType

from rdc_extract.errors import CaptureRunFailed
from rdc_extract.parent_death import die_with_parent

DEFAULT_SIZE = "1920x1080"
START_TIMEOUT_S = 30.0
_SIZE = re.compile(r"^(\d{2,5})x(\d{2,5})$")


def check_size(size: str) -> str:
    """`WIDTHxHEIGHT` → itself; raises ValueError otherwise."""
    if not _SIZE.match(size):
        raise ValueError(f"display size {size!r} is not WIDTHxHEIGHT, e.g. {DEFAULT_SIZE}")
    return size


def _die_with_parent() -> None:
    die_with_parent(signal.SIGTERM)


class VirtualDisplay:
    """Context manager: `display` is the X display the game should use (`:N`)."""

    def __init__(self, size: str = DEFAULT_SIZE, env: dict[str, str] | None = None) -> None:
        self._size = check_size(size)
        self._existing = (os.environ if env is None else env).get("DISPLAY") or None
        self._process: subprocess.Popen | None = None
        self._log = None
        self.display = self._existing

    @property
    def started(self) -> bool:
        return self._process is not None

    def __enter__(self) -> VirtualDisplay:
        if self._existing:
            return self
        xvfb = shutil.which("Xvfb")
        if xvfb is None:
            raise CaptureRunFailed("--virtual-display: Xvfb not found; install it (Debian: apt-get install xvfb) "
                                   "or set DISPLAY to an X display")
        self._log = tempfile.TemporaryFile()
        read_fd, write_fd = os.pipe()
        try:
            self._process = subprocess.Popen(
                [xvfb, "-displayfd", str(write_fd), "-screen", "0", f"{self._size}x24", "-nolisten", "tcp"],
                pass_fds=(write_fd,), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=self._log, preexec_fn=_die_with_parent if sys.platform == "linux" else None)
            os.close(write_fd)
            write_fd = -1
            number = self._read_display_number(read_fd)
        finally:
            os.close(read_fd)
            if write_fd >= 0:
                os.close(write_fd)
        self.display = f":{number}"
        return self

    def _read_display_number(self, read_fd: int) -> str:
        text = b""
        deadline = time.monotonic() + START_TIMEOUT_S
        while not text.endswith(b"\n"):
            ready, _, _ = select.select([read_fd], [], [], max(0.0, deadline - time.monotonic()))
            chunk = os.read(read_fd, 64) if ready else b""
            if not chunk:
                reason = self._error_line()
                self._stop()
                raise CaptureRunFailed(f"--virtual-display: Xvfb did not start: {reason}")
            text += chunk
        return text.decode().strip()

    def _error_line(self) -> str:
        if self._process is None or self._process.poll() is None:
            return f"no display number within {START_TIMEOUT_S:.0f} s"
        self._log.seek(0)
        lines = [line for line in self._log.read().decode(errors="replace").splitlines() if line.strip()]
        return lines[-1] if lines else f"exit status {self._process.returncode}"

    def _stop(self) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5.0)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._stop()
        self._process = None
