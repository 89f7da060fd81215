"""Linux: ask the kernel to signal a process when the process that started it dies.

Used so that helpers (the batch's replay children, the capture's Xvfb) never
outlive a supervisor killed with kill -9. Elsewhere it does nothing.
"""

from __future__ import annotations

import ctypes
import signal

_PR_SET_PDEATHSIG = 1


def die_with_parent(signum: int = signal.SIGKILL) -> None:
    """Have `signum` delivered to this process when its parent dies (prctl PR_SET_PDEATHSIG); best effort."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signum), 0, 0, 0)
    except (OSError, AttributeError):
        pass
