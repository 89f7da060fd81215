"""The output folder's lock: one writing command (batch, relabel, extract) per folder at a time."""

from __future__ import annotations

import contextlib
import fcntl
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

from rdc_extract.errors import BatchError

LOCK_NAME = ".batch.lock"


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
            raise BatchError(f"{out_dir}: another rdc-extract command (batch, relabel or extract) "
                             "is writing to this output folder") from None
        token = f"{os.uname().nodename}-{os.getpid()}-{uuid.uuid4().hex}"
        handle.truncate(0)
        handle.write(token + "\n")
        handle.flush()
        yield token
