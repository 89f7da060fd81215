"""The dask backend: groups of captures as tasks on a dask.distributed cluster (docs/batch.md, "On a cluster").

Each task is `workers.run_tasks` on a group of captures, run in a dask worker
thread that keeps its own replay child and writes each frame itself while the
child replays the next. Tasks go through distributed's futures directly: a
dask worker killed under a task makes that future fail with `KilledWorker`,
and its captures are recorded as such while the others go on (through
joblib's dask backend, the batch waited for ever instead: docs/batch.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from rdc_extract.batch.plan import WORKER_KILLED, Task
from rdc_extract.batch.workers import WorkerSettings, make_record, run_tasks
from rdc_extract.errors import BatchError

AHEAD_PER_WORKER = 2   # groups handed to each worker at once: one running, one waiting


def connect(scheduler: str | None) -> Any:
    """A `distributed.Client` of the scheduler at `scheduler`; one-line errors for what stops it."""
    try:
        from dask.distributed import Client
    except ImportError:
        raise BatchError('the dask backend needs dask.distributed: pip install "dask[distributed]"') from None
    if not scheduler:
        raise BatchError("--backend dask needs --scheduler ADDRESS (e.g. tcp://10.0.0.1:8786)")
    try:
        return Client(scheduler, timeout="30s")
    except (OSError, TimeoutError) as exc:
        raise BatchError(f"cannot reach the dask scheduler at {scheduler}: {exc}") from None


def _killed_record(task: Task) -> dict[str, Any]:
    return make_record(task, {"ok": False, "cause": WORKER_KILLED, "error": (
        "the dask worker running this capture was killed; the batch went on and a rerun retries this capture")},
        0.0)


def run_on_dask(client: Any, groups: Iterator[list[Task]], settings: WorkerSettings, n_jobs: int,
                record: Callable[..., None]) -> None:
    """Run every group of captures on the cluster, `AHEAD_PER_WORKER` per worker at a time; `record` gets each
    capture's record (with `a_death=False` for all but the first capture of a group lost with its worker)."""
    from dask.distributed import as_completed
    from distributed.scheduler import KilledWorker

    running: dict[str, list[Task]] = {}
    finished = as_completed()

    def hand_out() -> None:
        group = next(groups, None)
        if group is not None:
            future = client.submit(run_tasks, group, settings, pure=False)
            running[future.key] = group
            finished.add(future)

    for _ in range(AHEAD_PER_WORKER * n_jobs):
        hand_out()
    for future in finished:
        group = running.pop(future.key)
        if future.status == "error":
            if not isinstance(future.exception(), KilledWorker):
                future.result()   # raises the task's own error
            for number, task in enumerate(group):   # one death costs the whole group, and counts once
                record(_killed_record(task), a_death=number == 0)
        else:
            for result in future.result():
                record(result)
        hand_out()
