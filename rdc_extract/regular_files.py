"""Opening input files by path: regular files only, so a FIFO or a device given by mistake fails at once.

Opening a FIFO for reading blocks until some writer appears, and reading a
device may never end: a command handed one would hang. The open here does not
block (O_NONBLOCK) and the opened file is checked (fstat, so a symbolic link is
judged by what it points to); anything but a regular file is refused with
`NotARegularFile`.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

from rdc_extract.errors import NotARegularFile

_KINDS = (
    (stat.S_ISREG, "a regular file"),
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISLNK, "a symbolic link"),
)


def file_kind(mode: int) -> str:
    """What an `st_mode` is, for messages: "a regular file", "a directory", "a FIFO", …"""
    return next((name for is_kind, name in _KINDS if is_kind(mode)), "a special file")


def open_regular_file(path: str | Path) -> BinaryIO:
    """`path` opened for binary reading; raises NotARegularFile, without blocking, for anything else."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a socket, or a device without a driver
            raise NotARegularFile(path, file_kind(os.stat(path).st_mode)) from None
        raise
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise NotARegularFile(path, file_kind(mode))
        os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise

