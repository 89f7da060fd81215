"""Process-tree helpers for the capture tests (Linux /proc)."""

from __future__ import annotations

import time
from pathlib import Path


def child_pids(parent_pid: int) -> list[int]:
    """The processes `parent_pid` started (e.g. the game under renderdoccmd); [] when it is gone."""
    children: list[int] = []
    for task in Path(f"/proc/{parent_pid}/task").glob("*"):
        try:
            children += [int(p) for p in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return sorted(set(children))


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/<pid>/stat after the command name: [state, ppid, pgrp, ...]; None when gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def running(pid: int) -> bool:
    """True while `pid` exists and is not a zombie (dead, waiting for its parent to reap it)."""
    fields = _stat_fields(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def group_members(pgid: int) -> list[int]:
    """The running processes of process group `pgid`."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        pid = int(stat.parent.name)
        fields = _stat_fields(pid)
        if fields is not None and int(fields[2]) == pgid and running(pid):
            members.append(pid)
    return sorted(members)


def wait_until(condition, limit_s: float = 30.0, step_s: float = 0.05) -> bool:
    """Poll `condition` until it holds (True) or `limit_s` passes (False); a bound, not a timing assertion."""
    deadline = time.monotonic() + limit_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(step_s)
    return True
