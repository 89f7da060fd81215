"""Streaming discovery of captures under a folder (frame ids: rdc_extract/dataset/names.py).

Discovery walks the tree depth-first with `os.scandir`, one directory listing
in memory at a time, entries sorted by name so that two runs see the same
order. Hidden files and folders (names starting with ".") are skipped; what
else is not used is reported (docs/batch.md, "Discovery").
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISDIR, S_ISREG

from rdc_extract.regular_files import file_kind

CAPTURE_SUFFIX = ".rdc"


@dataclass(frozen=True)
class FoundCapture:
    """A capture file as discovered: absolute path, path relative to the input folder (POSIX), identity.

    `problem` says why an entry named like a capture cannot be one (it is a
    directory, a FIFO, a dangling link, …); the batch records it as failed.
    """

    path: str          # absolute or as given under the root; a str, as 60,000 Path objects cost seconds
    relative: str
    size: int
    mtime_ns: int
    problem: str | None = None


@dataclass(frozen=True)
class SkippedEntry:
    """Something under the input folder that discovery did not walk, and why (a link not followed, a loop)."""

    relative: str
    reason: str


def _is_capture_name(name: str) -> bool:
    return name.lower().endswith(CAPTURE_SUFFIX)


def iter_captures(root: str | Path, *, follow_links: bool = False,
                  on_skipped: Callable[[SkippedEntry], None] | None = None) -> Iterator[FoundCapture]:
    """Yield every `.rdc` file under `root`, recursively, in a stable depth-first order.

    Files of a directory come before its subdirectories; both sorted by name.
    A symbolic link to a file is used as the file it points to; links to
    directories are walked only with `follow_links`, and a directory reached
    twice (a link back to an ancestor, or to one already walked) is walked once.
    An entry named `.rdc` that is not a regular file (a directory, a FIFO, a
    dangling link, …) is yielded with its `problem`; directories not walked go
    to `on_skipped`. Entries that vanish while walking are passed over.
    """
    skipped = on_skipped or (lambda entry: None)
    root_stat = os.stat(root)
    walked = {(root_stat.st_dev, root_stat.st_ino): ""}   # each directory walked → where (relative path)
    stack: list[tuple[str, str]] = [(str(root), "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as exc:
            skipped(SkippedEntry(prefix or ".", f"cannot list this directory ({exc.strerror})"))
            continue
        subfolders = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            relative, capture_named, is_link = prefix + entry.name, _is_capture_name(entry.name), False
            try:
                is_link = entry.is_symlink()
                if not (is_link or capture_named or entry.is_dir(follow_symlinks=False)):
                    continue   # an ordinary file that is not a capture
                stat = entry.stat()
            except OSError as exc:
                if isinstance(exc, FileNotFoundError) and not is_link:
                    continue   # vanished while walking
                problem = _unusable(entry, exc)
                if capture_named:
                    yield _link_itself(entry, relative, problem)
                else:
                    skipped(SkippedEntry(relative, problem))
                continue
            if capture_named and not S_ISREG(stat.st_mode):
                yield FoundCapture(entry.path, relative, stat.st_size, stat.st_mtime_ns, file_kind(stat.st_mode))
            if S_ISDIR(stat.st_mode):
                if is_link and not follow_links:
                    skipped(SkippedEntry(relative, "symbolic link to a directory, not followed (see --follow-links)"))
                    continue
                first = walked.setdefault((stat.st_dev, stat.st_ino), relative)
                if first != relative:
                    skipped(SkippedEntry(relative, _reached_again(relative, first)))
                    continue
                subfolders.append((entry.path, f"{relative}/"))
            elif capture_named and S_ISREG(stat.st_mode):
                yield FoundCapture(entry.path, relative, stat.st_size, stat.st_mtime_ns)
        stack.extend(reversed(subfolders))


def _reached_again(relative: str, first: str) -> str:
    if first == "" or relative.startswith(f"{first}/"):
        return f"loop: leads back to {first + '/' if first else 'the input folder'}, not walked again"
    return f"same directory as {first}/, walked there only"


def _unusable(entry: os.DirEntry, exc: OSError) -> str:
    """Why an entry that cannot be stat'ed through is no use: a dangling link, a link loop, no permission."""
    if isinstance(exc, FileNotFoundError):
        try:
            return f"a dangling symbolic link (to {os.readlink(entry.path)})"
        except OSError:
            return "a dangling symbolic link"
    return f"cannot be examined ({exc.strerror})"


def _link_itself(entry: os.DirEntry, relative: str, problem: str) -> FoundCapture:
    """A capture-named entry that cannot be followed; its identity is that of the entry itself."""
    try:
        own = entry.stat(follow_symlinks=False)
    except OSError:
        return FoundCapture(entry.path, relative, 0, 0, problem)
    return FoundCapture(entry.path, relative, own.st_size, own.st_mtime_ns, problem)
