"""Orchestration of a batch: discover, decide, hand out, record, index.

The parent process alone writes `out/manifest.jsonl`, `out/index.csv` and
`out/failures.csv`; workers only write frame folders, staged and published
whole (rdc_extract/dataset/publish.py). Captures are
handed out lazily in discovery order (joblib pre-dispatches a few per worker),
and records are written as results arrive, in whatever order they finish.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from joblib import Parallel, delayed, parallel_config

from rdc_extract.batch.child import FAULT_ENV
from rdc_extract.batch.discover import frame_id, iter_captures
from rdc_extract.batch.index import FAILURES_NAME, INDEX_NAME, write_failures, write_index
from rdc_extract.batch.manifest import DONE, Manifest
from rdc_extract.batch.plan import Action, Task, decide
from rdc_extract.batch.workers import (
    META_NAME, WorkerSettings, run_task, shutdown_children,
)
from rdc_extract.dataset.lock import output_lock
from rdc_extract.dataset.publish import FRAMES_DIR, STAGING_DIR
from rdc_extract.errors import BatchError
from rdc_extract.rd.session import rasteriser_env

DEFAULT_JOB = "rdc_extract.extract.pipeline:extract_capture"
REPLAY_INITIALISER = "rdc_extract.rd.session:initialise_replay"
BACKENDS = ("loky", "dask")
FAILURES_SHOWN = 10


@dataclass
class BatchOptions:
    input_dir: Path
    out_dir: Path
    jobs: int | None = None               # None: every core (loky) / every cluster thread (dask)
    timeout_s: float = 600.0
    recycle_after: int = 25
    force: bool = False
    retry_failed: bool = False
    backend: str = "loky"
    scheduler: str | None = None          # dask.distributed scheduler address, with backend "dask"
    job: str = DEFAULT_JOB
    initialiser: str | None = REPLAY_INITIALISER
    job_kwargs: dict[str, Any] = field(default_factory=dict)
    index_every_s: float = 60.0
    cores_per_worker: int | None = None   # None: this machine's cores // jobs (loky); the workers' own (dask)


@dataclass
class BatchSummary:
    done: int = 0
    failed: int = 0
    skipped_done: int = 0
    skipped_failed: int = 0
    causes: Counter = field(default_factory=Counter)           # this run's failures
    first_failures: list[dict[str, Any]] = field(default_factory=list)   # this run's first FAILURES_SHOWN
    earlier_causes: Counter = field(default_factory=Counter)   # failures skipped (not retried)
    seconds: float = 0.0
    out_dir: Path | None = None

    @property
    def failed_total(self) -> int:
        return self.failed + self.skipped_failed

    @property
    def exit_code(self) -> int:
        """0 when every capture of the input is done; 1 when any is failed (this run or earlier)."""
        return 1 if self.failed_total else 0


class Progress(Protocol):
    def start(self, total: int) -> None: ...
    def skipped(self, action: Action) -> None: ...
    def finished(self, record: dict[str, Any]) -> None: ...
    def stop(self) -> None: ...


class _NoProgress:
    def start(self, total: int) -> None: pass
    def skipped(self, action: Action) -> None: pass
    def finished(self, record: dict[str, Any]) -> None: pass
    def stop(self) -> None: pass


@contextlib.contextmanager
def _backend(options: BatchOptions) -> Iterator[int]:
    """Select joblib's backend; yields n_jobs."""
    if options.backend == "loky":
        yield options.jobs or os.cpu_count() or 1
        return
    if options.backend != "dask":
        raise BatchError(f"unknown backend {options.backend!r} (choose from {', '.join(BACKENDS)})")
    try:
        from dask.distributed import Client
    except ImportError:
        raise BatchError('the dask backend needs dask.distributed: pip install "dask[distributed]"') from None
    if not options.scheduler:
        raise BatchError("--backend dask needs --scheduler ADDRESS (e.g. tcp://10.0.0.1:8786)")
    try:
        client = Client(options.scheduler, timeout="30s")
    except (OSError, TimeoutError) as exc:
        raise BatchError(f"cannot reach the dask scheduler at {options.scheduler}: {exc}") from None
    with client, parallel_config(backend="dask"):
        threads = sum(client.nthreads().values())
        yield options.jobs or max(threads, 1)


def _worker_env(options: BatchOptions, n_jobs: int) -> dict[str, str]:
    """Each local worker's share of the cores, given to its replay as rasteriser threads.

    The same split joblib's loky applies to BLAS/OpenMP threads. On a cluster
    the scheduler's thread count says nothing about one machine, so dask workers
    keep their defaults unless `cores_per_worker` is given.
    """
    if options.cores_per_worker is not None:
        return rasteriser_env(options.cores_per_worker)
    if options.backend == "loky":
        return rasteriser_env(max(1, (os.cpu_count() or 1) // n_jobs))
    return {}


def _plan(options: BatchOptions, manifest: Manifest) -> Iterator[tuple[Action, Task]]:
    """(action, task) per discovered capture, in discovery order."""
    frames = os.path.join(options.out_dir, FRAMES_DIR)
    owners: dict[str, str] = {}   # frame_id → first capture discovered with it (`a/b.rdc` and `a__b.rdc` clash)
    for found in iter_captures(options.input_dir):
        frame = frame_id(found.relative)
        owner = owners.setdefault(frame, found.relative)
        decision = decide(
            found, manifest.get(found.relative), force=options.force, retry_failed=options.retry_failed,
            frame_complete=lambda: os.path.isfile(os.path.join(frames, frame, META_NAME)),
        )
        collides_with = owner if owner != found.relative else None
        yield decision.action, Task.from_found(found, decision.reason, frame, collides_with)


def _clear_staging(out_dir: Path) -> None:
    """Remove what killed batches left half-written (only ever under out/.staging)."""
    staging = out_dir / STAGING_DIR
    if staging.exists():
        shutil.rmtree(staging, ignore_errors=True)


def run_batch(options: BatchOptions, progress: Progress | None = None) -> BatchSummary:
    """Extract every capture under `options.input_dir` that is not done yet; see docs/batch.md."""
    progress = progress or _NoProgress()
    started = time.perf_counter()
    if not options.input_dir.is_dir():
        raise BatchError(f"{options.input_dir}: input folder does not exist")
    options.out_dir.mkdir(parents=True, exist_ok=True)
    options = dataclasses.replace(options, input_dir=options.input_dir.resolve(), out_dir=options.out_dir.resolve())
    summary = BatchSummary(out_dir=options.out_dir)
    with output_lock(options.out_dir) as run_token, Manifest(options.out_dir) as manifest:
        _clear_staging(options.out_dir)
        progress.start(sum(1 for action, _ in _plan(options, manifest) if action is Action.RUN))
        lock = threading.Lock()

        def tasks() -> Iterator[Task]:
            for action, task in _plan(options, manifest):
                if action is Action.RUN:
                    yield task
                    continue
                with lock:
                    if action is Action.SKIP_DONE:
                        summary.skipped_done += 1
                    else:
                        summary.skipped_failed += 1
                        summary.earlier_causes[manifest.get(task.capture).get("cause")] += 1
                progress.skipped(action)

        try:
            last_index, index_every_s = time.monotonic(), options.index_every_s
            with _backend(options) as n_jobs:
                settings = WorkerSettings(
                    out_dir=str(options.out_dir), job=options.job, initialiser=options.initialiser,
                    kwargs=options.job_kwargs, env=_worker_env(options, n_jobs), timeout_s=options.timeout_s,
                    recycle_after=options.recycle_after, run_token=run_token, test_fault=os.environ.get(FAULT_ENV),
                )
                parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered", batch_size=1,
                                    pre_dispatch="2*n_jobs")
                for record in parallel(delayed(run_task)(task, settings) for task in tasks()):
                    manifest.append(record)
                    if record["status"] == DONE:
                        summary.done += 1
                    else:
                        summary.failed += 1
                        summary.causes[record["cause"]] += 1
                        if len(summary.first_failures) < FAILURES_SHOWN:
                            summary.first_failures.append(record)
                    progress.finished(record)
                    if time.monotonic() - last_index > index_every_s:
                        writing = time.monotonic()
                        write_index(options.out_dir, manifest.records.values())
                        last_index = time.monotonic()
                        # never spend more than ~5% of the parent's time on the index (60k rows ≈ seconds)
                        index_every_s = max(options.index_every_s, 20 * (last_index - writing))
        finally:
            shutdown_children()
            progress.stop()
            with contextlib.suppress(OSError):
                (options.out_dir / STAGING_DIR).rmdir()  # only when empty: nothing of this run is left there
            tables_missing = not all((options.out_dir / name).exists() for name in (INDEX_NAME, FAILURES_NAME))
            if summary.done or summary.failed or tables_missing:
                write_index(options.out_dir, manifest.records.values())
                write_failures(options.out_dir, manifest.records.values())
        if manifest.superseded_lines:
            manifest.compact()
    summary.seconds = time.perf_counter() - started
    return summary
