"""The captures folder's lock: one `rdc-extract capture` run per folder (POSIX flock).

Kept apart from folder.py, which mods import in the game's process.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

from rdc_extract.errors import CaptureRunFailed

LOCK_NAME = ".capture.lock"


class CaptureLock:
    """One `rdc-extract capture` per captures folder: an exclusive flock on `<out>/.capture.lock`.

    Two runs in one folder would both count its captures and hand out the same
    capture indices (so the same plan steps and seeds). The kernel drops the
    lock when its holder dies, however it dies; the file then still holds the
    dead run's record (`record`), which the next run reads as `previous`.
    """

    def __init__(self, out_dir: Path) -> None:
        self.path = Path(out_dir) / LOCK_NAME
        self._handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(self._handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._handle.close()
            raise CaptureRunFailed(f"{out_dir}: another rdc-extract capture is running in this folder") from None
        self._handle.seek(0)
        try:
            previous = json.loads(self._handle.read() or "{}")
        except ValueError:
            previous = {}
        self.previous: dict = previous if isinstance(previous, dict) else {}

    def record(self, **state: int) -> None:
        """Replace what the lock file says about this run (e.g. the game's process group)."""
        self._handle.seek(0)
        self._handle.truncate()
        self._handle.write(json.dumps({"launcher_pid": os.getpid(), **state}) + "\n")
        self._handle.flush()

    def release(self) -> None:
        self._handle.close()

    def __enter__(self) -> "CaptureLock":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()
