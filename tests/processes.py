"""Process-tree helpers for the capture tests (Linux /proc)."""

from __future__ import annotations

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
