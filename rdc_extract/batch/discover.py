"""Streaming discovery of captures under a folder (frame ids: rdc_extract/dataset/names.py).

Discovery walks the tree depth-first with `os.scandir`, one directory listing
in memory at a time, entries sorted by name so that two runs see the same
order. Hidden files and folders (names starting with ".") are skipped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

CAPTURE_SUFFIX = ".rdc"


@dataclass(frozen=True)
class FoundCapture:
    """A capture file as discovered: absolute path, path relative to the input folder (POSIX), identity."""

    path: str          # absolute or as given under the root; a str, as 60,000 Path objects cost seconds
    relative: str
    size: int
    mtime_ns: int


def _is_capture_name(name: str) -> bool:
    return not name.startswith(".") and name.lower().endswith(CAPTURE_SUFFIX)


def iter_captures(root: str | Path) -> Iterator[FoundCapture]:
    """Yield every `.rdc` file under `root`, recursively, in a stable depth-first order.

    Files of a directory come before its subdirectories; both sorted by name.
    Entries that vanish or cannot be stat'ed while walking are skipped.
    """
    stack: list[tuple[str, str]] = [(str(root), "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError:
            continue
        subfolders = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir():
                    subfolders.append((entry.path, f"{prefix}{entry.name}/"))
                elif entry.is_file() and _is_capture_name(entry.name):
                    stat = entry.stat()
                    yield FoundCapture(entry.path, prefix + entry.name, stat.st_size, stat.st_mtime_ns)
            except OSError:
                continue
        stack.extend(reversed(subfolders))
