"""How many workers a batch may start: bounded by the work there is, the cores and the memory.

Each local worker is a replay child, with a writer child beside it when a core
is spare (peak ~350-850 MB together seen on real captures), so `--jobs 32` for
one capture, or `--jobs 100000`, must not start what it asks for.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

WORKER_MEMORY_MB = 900     # a worker's replay and writer children at their peak (docs/batch.md)
WORKERS_PER_CORE = 4       # replay is CPU-bound: more workers per core only cost memory


@dataclass(frozen=True)
class JobsChoice:
    n_jobs: int
    note: str | None = None   # why fewer than asked for, when the user asked


def cap_jobs(requested: int | None, default: int, to_run: int, *,
             cores: int | None = None, available_mb: float | None = None, servers: int | None = None) -> JobsChoice:
    """The workers to start: what was asked for (or `default`), at most one per capture to run,
    `WORKERS_PER_CORE` per core, one per `WORKER_MEMORY_MB` of available memory (when known) and one per
    remote server when every capture replays remotely (a server serves one client at a time).

    A note says why when an explicit `--jobs` is lowered, or when the default
    is lowered for anything but the number of captures.
    """
    wanted = requested or default
    bounds = [(max(to_run, 1), f"{to_run} capture{'' if to_run == 1 else 's'} to extract")]
    if cores:
        bounds.append((WORKERS_PER_CORE * cores, f"{cores} cores, at most {WORKERS_PER_CORE} workers each"))
    if available_mb is not None:
        bounds.append((max(int(available_mb // WORKER_MEMORY_MB), 1),
                       f"{available_mb / 1024:.1f} GB memory available, {WORKER_MEMORY_MB} MB per worker"))
    if servers:
        bounds.append((servers, f"{servers} remote server{'' if servers == 1 else 's'}, one replay at a time each"))
    n_jobs, why = min([(wanted, "")] + bounds, key=lambda bound: bound[0])
    if n_jobs == wanted or (requested is None and why == bounds[0][1]):
        return JobsChoice(n_jobs)
    asked = f"--jobs {requested}" if requested else f"{default} workers (default)"
    return JobsChoice(n_jobs, f"{asked} lowered to {n_jobs}: {why}")


def available_memory_mb(meminfo: Path = Path("/proc/meminfo")) -> float | None:
    """The kernel's estimate of memory available to new processes (Linux), or None when unknown."""
    try:
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        return None
    return None
