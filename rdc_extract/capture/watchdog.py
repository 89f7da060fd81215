"""A watchdog that stops the game when `rdc-extract capture` dies without stopping it (kill -9, OOM killer).

The game runs under renderdoccmd in its own process group, out of reach of
the launcher's death: PR_SET_PDEATHSIG on renderdoccmd would not reach the game
it starts. So the launcher starts this small process (in a session of its own,
so that a signal to the launcher's group does not take it too) with the read
end of a pipe whose write end only the launcher holds, and tells it over the
pipe which process group to guard: a line `<pgid>` when a launch starts, `0`
once the launcher has stopped it. When the pipe reaches end of file the
launcher is gone (or done): a group still guarded then is sent SIGTERM, then
SIGKILL, and the watchdog exits.

Run as `python -m rdc_extract.capture.watchdog`; it reads the pipe on stdin.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

TERM_GRACE_S = 3.0
POLL_S = 0.05


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def kill_group(pgid: int, grace_s: float = TERM_GRACE_S) -> None:
    """SIGTERM the group, SIGKILL what is left after `grace_s`."""
    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 0.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline and _group_alive(pgid):
            time.sleep(POLL_S)


def guard(lines) -> None:
    """Follow the launcher's `<pgid>` / `0` lines; at end of input, kill the group still guarded."""
    guarded = 0
    for line in lines:
        try:
            guarded = int(line)
        except ValueError:
            continue
    if guarded > 0:
        kill_group(guarded)


class Watchdog:
    """The launcher's side: start the watchdog, tell it the group to guard, release it at the end."""

    def __init__(self) -> None:
        read_end, self._write_end = os.pipe()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", __name__], stdin=read_end, stdout=subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            os.close(read_end)

    def guard(self, pgid: int) -> None:
        """Guard this process group (0: none) from now on."""
        os.write(self._write_end, f"{pgid}\n".encode())

    def close(self) -> None:
        """Release the watchdog (it stops a group still guarded: the launcher failed to) and reap it."""
        if self._write_end < 0:
            return
        os.close(self._write_end)
        self._write_end = -1
        self.process.wait()

    def __enter__(self) -> "Watchdog":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


if __name__ == "__main__":
    guard(sys.stdin)
