"""The output folder: made for a writing command, and locked: one writing command (batch, relabel, extract) per
folder at a time, and no writer while a command reads the whole folder (export)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

from rdc_extract.errors import BatchError, FileError

LOCK_NAME = ".batch.lock"


def make_output_folder(out_dir: Path) -> None:
    """Create a writing command's output folder (and its parents); a file in the way is an error that says so."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise FileError(out_dir, "cannot be the output folder: it, or a folder above it, is a file") from None


@contextlib.contextmanager
def output_lock(out_dir: Path) -> Iterator[str]:
    """One writing command (batch, relabel, extract) per output folder: an flock dropped when its process dies.

    The lock file holds this run's token; workers check it (workers.run_is_live)
    so that tasks of a killed batch are not published into a resumed one.
    """
    with (out_dir / LOCK_NAME).open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BatchError(f"{out_dir}: another rdc-extract command (batch, relabel or extract writing, "
                             "or export reading) is using this output folder") from None
        token = f"{os.uname().nodename}-{os.getpid()}-{uuid.uuid4().hex}"
        handle.truncate(0)
        handle.write(token + "\n")
        handle.flush()
        yield token


@contextlib.contextmanager
def reading_lock(out_dir: Path) -> Iterator[None]:
    """Keep writers out while a command reads the whole folder (export): a shared flock, so readers do not
    exclude each other, and a writer that holds the folder makes this fail at once.

    The lock file is created when the folder is writable; in a read-only folder an existing one is only
    opened, and a folder no writer ever locked has none to hold (a read-only dataset has no writer either).
    """
    path = out_dir / LOCK_NAME
    try:
        handle = path.open("a+")
    except OSError:
        try:
            handle = path.open("r")
        except FileNotFoundError:
            yield
            return
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BatchError(f"{out_dir}: another rdc-extract command (batch, relabel or extract) is writing to "
                             "this output folder; read it when that has finished") from None
        yield
