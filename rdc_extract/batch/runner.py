"""Orchestration of a batch: discover, decide, hand out, record, index.

The batch process alone writes `out/manifest.jsonl`, `out/index.csv` and
`out/failures.csv`; workers only write frame folders, staged and published
whole (rdc_extract/dataset/publish.py). Captures are handed out lazily in
discovery order (here one at a time as a worker frees up, batch/local.py; on
dask a few per worker ahead), and records are written as results arrive, in
whatever order they finish.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import itertools
import os
import shlex
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from rdc_extract.batch.child import FAULT_ENV
from rdc_extract.batch.discover import SkippedEntry, iter_captures
from rdc_extract.batch.cluster import connect, run_on_dask
from rdc_extract.batch.index import FAILURES_NAME, INDEX_NAME, read_index, write_failures, write_index
from rdc_extract.batch.local import run_here
from rdc_extract.batch.manifest import DONE, Manifest
from rdc_extract.batch.plan import WORKER_KILLED, Action, Task, decide
from rdc_extract.batch.resources import JobsChoice, available_memory_mb, cap_jobs
from rdc_extract.batch.workers import META_NAME, WorkerSettings
from rdc_extract.dataset.files import TEMP_PREFIX, remove_temporaries
from rdc_extract.dataset.lock import make_output_folder, output_lock
from rdc_extract.dataset.names import frame_id
from rdc_extract.dataset.publish import FRAMES_DIR, STAGING_DIR
from rdc_extract.errors import DISK_FULL, BatchError, WriteFailed
from rdc_extract.rd.remote import Route, route_env
from rdc_extract.rd.session import rasteriser_env

DEFAULT_JOB = "rdc_extract.extract.pipeline:extract_capture"
TWO_PHASE_JOBS = {   # job → (what the replay child runs, what its supervisor runs on the result: decode and write)
    DEFAULT_JOB: ("rdc_extract.extract.replay:replay_capture", "rdc_extract.extract.pipeline:write_frame"),
}
MAX_CHUNK = 8           # captures per dask task: the child replays one while its worker writes another
REPLAY_INITIALISER = "rdc_extract.rd.session:initialise_replay"
BACKENDS = ("local", "dask")
FAILURES_SHOWN = 10
MAX_WORKER_DEATHS = 3   # writing processes killed this many times in a row without a capture finishing: stop
NOT_WALKED_SHOWN = 10
REDONE_REASONS = ("profile-changed", "outputs-changed")   # a done frame made otherwise than this run would


@dataclass
class BatchOptions:
    input_dir: Path
    out_dir: Path
    jobs: int | None = None               # None: every core (local) / every cluster thread (dask)
    timeout_s: float = 600.0
    recycle_after: int = 25
    force: bool = False
    retry_failed: bool = False
    backend: str = "local"
    scheduler: str | None = None          # dask.distributed scheduler address, with backend "dask"
    job: str = DEFAULT_JOB
    initialiser: str | None = REPLAY_INITIALISER
    job_kwargs: dict[str, Any] = field(default_factory=dict)
    index_every_s: float = 60.0
    cores_per_worker: int | None = None   # None: this machine's cores // jobs (local); the workers' own (dask)
    follow_links: bool = False            # walk symbolic links to directories (loops are detected)
    remote: Route | None = None           # replay on RenderDoc remote servers (rd/remote.py, docs/remote.md)
    preflight: Callable[[], object] | None = None   # checks run while the workers start; a failure stops the
                                                    # batch before its first capture is handed out


@dataclass
class BatchSummary:
    done: int = 0
    failed: int = 0
    skipped_done: int = 0
    skipped_failed: int = 0
    causes: Counter = field(default_factory=Counter)           # this run's failures
    redone: Counter = field(default_factory=Counter)           # done frames handed out again: profile/outputs-changed
    sets_dropped: Counter = field(default_factory=Counter)     # label sets redone frames had (manifest) and lost
    first_failures: list[dict[str, Any]] = field(default_factory=list)   # this run's first FAILURES_SHOWN
    earlier_causes: Counter = field(default_factory=Counter)   # failures skipped (not retried)
    stopped: str | None = None          # why no further captures were handed out (disk full)
    notes: list[str] = field(default_factory=list)             # what the batch adjusted or cleaned up, and why
    not_walked: int = 0                                        # directories and links discovery did not walk
    first_not_walked: list[SkippedEntry] = field(default_factory=list)   # the first NOT_WALKED_SHOWN of them
    seconds: float = 0.0
    out_dir: Path | None = None

    def note_not_walked(self, entry: SkippedEntry) -> None:
        self.not_walked += 1
        if len(self.first_not_walked) < NOT_WALKED_SHOWN:
            self.first_not_walked.append(entry)

    @property
    def failed_total(self) -> int:
        return self.failed + self.skipped_failed

    @property
    def exit_code(self) -> int:
        """0 when every capture of the input is done; 1 when any is failed (this run or earlier) or it stopped early."""
        return 1 if self.failed_total or self.stopped else 0


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
def _backend(options: BatchOptions, to_run: int) -> Iterator[tuple[JobsChoice, Any]]:
    """Select the backend; yields how many workers to start (docs/batch.md, "Workers") and the dask client
    (None on this machine)."""
    servers = len(options.remote.servers) if options.remote and options.remote.only_apis is None else None
    if options.backend == "local":
        cores = os.cpu_count() or 1
        yield cap_jobs(options.jobs, cores, to_run, cores=cores, available_mb=available_memory_mb(),
                       servers=servers), None
        return
    if options.backend != "dask":
        raise BatchError(f"unknown backend {options.backend!r} (choose from {', '.join(BACKENDS)})")
    with connect(options.scheduler) as client:
        threads = sum(client.nthreads().values())
        yield cap_jobs(options.jobs, max(threads, 1), to_run, servers=servers), client


def _job_kwargs(options: BatchOptions) -> dict[str, Any]:
    """The job's arguments; extraction also gets the capture's time budget, so that a draw-id sweep foreseen
    to overrun `--timeout` stops after a few steps instead of at the timeout (extract/sweep_clock.py)."""
    if options.job != DEFAULT_JOB:
        return options.job_kwargs
    return {**options.job_kwargs, "time_budget_s": options.timeout_s}


def _worker_env(options: BatchOptions, n_jobs: int) -> dict[str, str]:
    """Each local worker's share of the cores, given to its replay as rasteriser threads, and the remote route.

    On a cluster the scheduler's thread count says nothing about one machine,
    so dask workers keep their defaults unless `cores_per_worker` is given.
    """
    route = route_env(options.remote)
    if options.cores_per_worker is not None:
        return {**rasteriser_env(options.cores_per_worker), **route}
    if options.backend == "local":
        return {**rasteriser_env(max(1, (os.cpu_count() or 1) // n_jobs)), **route}
    return route


def _writes_beside_replay(options: BatchOptions, n_jobs: int) -> bool:
    """Whether a worker writes each frame in another process while its replay child replays the next.

    It pays only with a core to spare for it: on a dask cluster the worker
    process writes beside its child; here, when fewer workers run than there
    are cores. With a worker per core, a child replays and writes in turn
    and no writer process has to start (docs/batch.md, "Isolation design").
    """
    return options.backend != "local" or n_jobs < (os.cpu_count() or 1)


def profile_hash_now(profile: str | None) -> Callable[[dict[str, Any]], str | None]:
    """record → the hash of the profile this run would make its frame with ("" when there is none).

    With --profile that is the named profile's. Auto-detection picks a profile
    only after replay, so it is the hash of the profile the record names, as it
    is installed now: an edited profile redoes its frames, while a newly added
    profile that might now win does not (--force does). Profiles are loaded
    on first use, and only for records that carry a hash (with numpy, which the
    batch process needs for nothing else).
    """
    @functools.cache
    def installed() -> dict[str, str]:
        from rdc_extract.profiles.registry import available_profiles

        return {p.name: p.sha256 for p in available_profiles()}

    @functools.cache
    def named() -> str:
        from rdc_extract.profiles.registry import resolve_profile

        return resolve_profile(profile).sha256

    if profile is not None:
        return lambda record: named()
    return lambda record: installed().get(record.get("profile"), "")


def _plan(options: BatchOptions, manifest: Manifest,
          on_skipped: Callable[[SkippedEntry], None] | None = None) -> Iterator[tuple[Action, Task]]:
    """(action, task) per discovered capture, in discovery order."""
    frames = os.path.join(options.out_dir, FRAMES_DIR)
    owners: dict[str, str] = {}   # frame_id → first capture discovered with it (`a/b.rdc` and `a__b.rdc` clash)
    profile_now = profile_hash_now(options.job_kwargs.get("profile"))
    for found in iter_captures(options.input_dir, follow_links=options.follow_links, on_skipped=on_skipped):
        frame = frame_id(found.relative)
        owner = owners.setdefault(frame, found.relative)
        decision = decide(
            found, manifest.get(found.relative), force=options.force, retry_failed=options.retry_failed,
            frame_complete=lambda: os.path.isfile(os.path.join(frames, frame, META_NAME)),
            profile_sha256=profile_now, outputs_wanted=options.job_kwargs.get("outputs"), timeout_s=options.timeout_s,
        )
        collides_with = owner if owner != found.relative else None
        yield decision.action, Task.from_found(found, decision.reason, frame, collides_with)


def chunk_size(to_run: int, n_jobs: int) -> int:
    """Captures per dask task: enough that a worker's writing overlaps its child's next replay, few enough
    that every worker gets about two tasks (no worker idles at the end while another works through a chunk)."""
    return max(1, min(MAX_CHUNK, to_run // (2 * max(n_jobs, 1))))


def _chunks(tasks: Iterator[Task], size: int) -> Iterator[list[Task]]:
    while chunk := list(itertools.islice(tasks, size)):
        yield chunk


def _in_background(check: Callable[[], object] | None) -> Future:
    """`check()` run in a thread (importing and loading profiles holds the interpreter lock only between
    the replay children's start-ups); its future."""
    future: Future = Future()

    def run() -> None:
        try:
            future.set_result(check() if check is not None else None)
        except BaseException as exc:  # noqa: BLE001 - raised where the result is wanted
            future.set_exception(exc)

    threading.Thread(target=run, name="rdc-extract-preflight", daemon=True).start()
    return future


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
        if options.input_dir.exists():
            raise BatchError(f"{options.input_dir}: not a folder of captures (one capture: rdc-extract extract "
                             f"{shlex.quote(str(options.input_dir))} OUT)")
        raise BatchError(f"{options.input_dir}: input folder does not exist")
    make_output_folder(options.out_dir)
    options = dataclasses.replace(options, input_dir=options.input_dir.resolve(), out_dir=options.out_dir.resolve())
    summary = BatchSummary(out_dir=options.out_dir)
    with output_lock(options.out_dir) as run_token, Manifest(options.out_dir) as manifest:
        _clear_staging(options.out_dir)
        removed = remove_temporaries(options.out_dir)
        if removed:
            summary.notes.append(f"removed {removed} temporary file{'s' if removed > 1 else ''} "
                                 f"({TEMP_PREFIX}*) that an interrupted run left in {options.out_dir}")
        checked = _in_background(options.preflight)
        previous_index = read_index(options.out_dir, as_written=True) or {}   # splits, and frames extract made
        to_run = sum(1 for action, _ in _plan(options, manifest, summary.note_not_walked) if action is Action.RUN)
        progress.start(to_run)
        lock = threading.Lock()

        def tasks() -> Iterator[Task]:
            for action, task in _plan(options, manifest):
                if summary.stopped:
                    return
                if action is Action.RUN:
                    checked.result()
                    with lock:
                        if task.reason in REDONE_REASONS:
                            summary.redone[task.reason] += 1
                    yield task
                    continue
                with lock:
                    if action is Action.SKIP_DONE:
                        summary.skipped_done += 1
                    else:
                        summary.skipped_failed += 1
                        summary.earlier_causes[manifest.get(task.capture).get("cause")] += 1
                progress.skipped(action)

        last_index, index_every_s = time.monotonic(), options.index_every_s
        deaths_in_a_row = 0

        def record(result: dict[str, Any], *, a_death: bool = True) -> None:
            """Append one capture's record; `a_death`: a killed worker's record that counts as one more death
            (a dask worker's death costs every capture it held, but counts once)."""
            nonlocal last_index, index_every_s, deaths_in_a_row
            redone = manifest.get(result["capture"]) if result.get("reason") in REDONE_REASONS else None
            manifest.append(result)
            if result["status"] == DONE:
                summary.done += 1
                deaths_in_a_row = 0
                if redone is not None:   # the label sets relabel made are not made again
                    made_now = set(result.get("label_sets") or ())
                    summary.sets_dropped.update(set(redone.get("label_sets") or ()) - made_now)
            else:
                summary.failed += 1
                summary.causes[result["cause"]] += 1
                if len(summary.first_failures) < FAILURES_SHOWN:
                    summary.first_failures.append(result)
                if result["cause"] == DISK_FULL and not summary.stopped:   # the next captures would fail alike
                    error = result["error"] or ""
                    summary.stopped = (f"{error if DISK_FULL in error else f'{DISK_FULL}: {error}'}; free space "
                                       "and rerun (captures that failed for lack of space are retried)")
                if result["cause"] == WORKER_KILLED and a_death:
                    deaths_in_a_row += 1
                    if deaths_in_a_row >= MAX_WORKER_DEATHS and not summary.stopped:
                        summary.stopped = (f"batch workers were killed {deaths_in_a_row} times in a row without a "
                                           "capture finishing (out of memory? see `dmesg`); a rerun retries "
                                           "their captures")
            progress.finished(result)
            if time.monotonic() - last_index > index_every_s:
                writing = time.monotonic()
                write_index(options.out_dir, manifest.records.values(), previous=previous_index)
                last_index = time.monotonic()
                # never spend more than ~5% of the parent's time on the index (60k rows ≈ seconds)
                index_every_s = max(options.index_every_s, 20 * (last_index - writing))

        failing = True
        try:
            with _backend(options, to_run) as (jobs, client):
                if jobs.note:
                    summary.notes.append(jobs.note)
                here = options.backend == "local"
                job, finisher = TWO_PHASE_JOBS.get(options.job, (options.job, None)) \
                    if _writes_beside_replay(options, jobs.n_jobs) else (options.job, None)
                settings = WorkerSettings(
                    out_dir=str(options.out_dir), job=job, finisher=finisher, write_in_child=here,
                    initialiser=options.initialiser, kwargs=_job_kwargs(options), env=_worker_env(options, jobs.n_jobs),
                    timeout_s=options.timeout_s, recycle_after=options.recycle_after,
                    run_token="" if here else run_token, test_fault=os.environ.get(FAULT_ENV),
                )
                if here:
                    run_here(tasks(), settings, jobs.n_jobs, record, early=to_run > 0)
                else:
                    run_on_dask(client, _chunks(tasks(), chunk_size(to_run, jobs.n_jobs)), settings, jobs.n_jobs,
                                record)
            checked.result()
            failing = False
        finally:
            progress.stop()
            with contextlib.suppress(OSError):
                (options.out_dir / STAGING_DIR).rmdir()  # only when empty: nothing of this run is left there
            tables_missing = not all((options.out_dir / name).exists() for name in (INDEX_NAME, FAILURES_NAME))
            if summary.done or summary.failed or tables_missing:
                try:
                    write_index(options.out_dir, manifest.records.values(), previous=previous_index)
                    write_failures(options.out_dir, manifest.records.values())
                except WriteFailed:
                    if not failing:
                        raise   # else report the first error (the manifest's), not the tables' that follow
        if manifest.superseded_lines:
            manifest.compact()
    summary.seconds = time.perf_counter() - started
    return summary
