"""The local backend: one supervisor thread per worker in the batch process.

A supervisor only moves messages and renames folders; the work runs in its
children, a replay child and (two-phase jobs) a writer child (workers.py). So
threads are enough, and no worker process has to start and import the
extraction code before the first replay child can be started. Each thread
takes its next capture from one shared plan the moment its replay child is
free, so no worker idles while another still holds captures.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

from rdc_extract.batch.plan import Task
from rdc_extract.batch.workers import WorkerSettings, kill_children, supervise_thread

JOIN_POLL_S = 0.2   # how often the waiting main thread wakes, so that Ctrl-C reaches it


def run_here(tasks: Iterator[Task], settings: WorkerSettings, n_jobs: int,
             emit: Callable[[dict[str, Any]], None], *, early: bool = True) -> None:
    """Extract `tasks` with `n_jobs` supervisor threads; `emit` gets each record (called under a lock).
    `early`: start the children before the first capture is known (there is work to do).

    The first error of a supervisor (a child that cannot start) stops the
    others from taking captures and is raised here. On Ctrl-C the children are
    killed and the captures they held get no record: a rerun does them.
    """
    lock = threading.Lock()
    stop, interrupted = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def next_task() -> Task | None:
        with lock:
            return None if stop.is_set() else next(tasks, None)

    def locked_emit(record: dict[str, Any]) -> None:
        with lock:
            if not interrupted.is_set():
                emit(record)

    def work() -> None:
        try:
            supervise_thread(next_task, settings, locked_emit, early=early)
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            with lock:
                errors.append(exc)
            stop.set()

    threads = [threading.Thread(target=work, name=f"rdc-extract-supervisor-{n}", daemon=True)
               for n in range(n_jobs)]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(JOIN_POLL_S)
    except KeyboardInterrupt:
        interrupted.set()
        stop.set()
        kill_children()
        for thread in threads:
            thread.join()
        raise
    if errors:
        raise errors[0]
