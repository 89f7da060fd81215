"""`rdc-extract batch` as a user runs it against the independent warm replay floor; --jobs 2 / --jobs 1; memory.

    python bench/bench_batch.py [--captures DIR] [--copies N] [--rounds R]

Every figure is measured in this one run, the runs of a round interleaved so load from other
jobs hits all alike (each floor run next to the batch run it is compared with, in reverse order
every other round); each ratio is the median over rounds of the ratio within a round, every
round's ratio printed too:
  * warm floor: bench/replay_floor.py (no rdc_extract code) replaying every capture in one
    process that initialised replay once, reading what extraction reads (taken from the frames'
    meta.json of a warm-up batch), with the rasteriser threads a --jobs 1 worker gets;
  * batch per capture at --jobs 1: the whole command's wall time / captures, against the whole
    floor process's wall time / captures (both pay one start-up), and the steady state: the
    time between consecutive captures' records (manifest `finished_at`; at --jobs 1 the worker's
    writer process writes one frame while its replay process replays the next, so a capture's own
    `seconds` overlap) against the floor's per-capture seconds;
  * --jobs 2 / --jobs 1 throughput, and the machine's own ceiling for it: two plain floor
    processes side by side (one core each, as --jobs 2 workers) against one (target >= 1.7, or
    >= 95 % of the ceiling); and --jobs 2 against those two floors side by side; the same in the steady
    state: captures per second between each run's first capture of its last worker to start delivering and
    its last capture (record times; the floor's per-capture lines), without the start-up and the tail that a
    short run weighs and a long batch does not;
  * memory: each replay and writer process's peak RSS after each capture (manifest `worker_peak_rss_mb`,
    `writer_peak_rss_mb`), its
    growth per capture after the second, and the floor process's resident memory after each capture.
Default captures: the sample captures, each copied N times.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from measure import (
    FLOOR_SCRIPT, SAMPLES, command, floor_item, floor_lines, fresh, median, timed, verdict, write_plan,
)


def make_folder(source: Path, copies: int, target: Path) -> list[Path]:
    """`copies` copies of every capture in `source` (with its sidecar) under `target`."""
    target.mkdir(parents=True)
    made = []
    for capture in sorted(source.glob("*.rdc")):
        for copy in range(copies):
            destination = target / f"{capture.stem}_c{copy:03d}.rdc"
            shutil.copyfile(capture, destination)
            if capture.with_suffix(".json").exists():
                shutil.copyfile(capture.with_suffix(".json"), destination.with_suffix(".json"))
            made.append(destination)
    return made


def batch(folder: Path, out: Path, jobs: int) -> tuple[float, list[dict]]:
    """(wall seconds, manifest records) of the whole `rdc-extract batch` command into a fresh folder."""
    wall, _ = timed([*command(), "batch", str(folder), str(fresh(out)), "--jobs", str(jobs)])
    records = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines() if line]
    if any(r["status"] != "done" for r in records):
        raise RuntimeError(f"a capture failed: {[r['error'] for r in records if r['status'] != 'done'][:1]}")
    return wall, records


def floor_pair(plan_halves: list[Path], lp_threads: str) -> tuple[float, list[dict]]:
    """(wall seconds, both processes' per-capture lines) of two warm floor processes side by side, each on half
    the captures."""
    started = time.perf_counter()
    processes = [subprocess.Popen([sys.executable, str(FLOOR_SCRIPT), str(half)], stdout=subprocess.PIPE, text=True,
                                  env={**os.environ, "LP_NUM_THREADS": lp_threads}) for half in plan_halves]
    outputs = [process.communicate()[0] for process in processes]
    if any(process.returncode for process in processes):
        raise RuntimeError("a floor process failed")
    return time.perf_counter() - started, [line for output in outputs for line in floor_lines(output)]


def steady_seconds(finished: list[float], workers: int) -> float:
    """Seconds per capture between the first capture of the last worker to deliver one and the last capture:
    the throughput of a long batch, without the start-up and the tail of a short one."""
    times = sorted(finished)[workers - 1:]
    return (times[-1] - times[0]) / (len(times) - 1)


def record_times(records: list[dict]) -> list[float]:
    return [datetime.fromisoformat(r["finished_at"]).timestamp() for r in records]


def spacing(records: list[dict]) -> list[float]:
    """Seconds between consecutive records' `finished_at`, in the order they finished."""
    times = sorted(record_times(records))
    return [later - earlier for earlier, later in zip(times, times[1:])]


def per_round(table: dict[str, list[float]], numerator: str, denominator: str) -> tuple[float, str]:
    """The median over rounds of the ratio of two runs of the same round (adjacent in time, so alike in load),
    and each round's."""
    ratios = [a / b for a, b in zip(table[numerator], table[denominator])]
    return median(ratios), " ".join(f"{ratio:.2f}" for ratio in ratios)


class Scaling(NamedTuple):
    """What `--jobs 2` gives, each ratio a `per_round` (median, rounds): over `--jobs 1`, the machine's ceiling
    (two floors over one), and over two floors side by side; `reached` the share of the ceiling, the same way."""

    jobs: tuple[float, str]
    ceiling: tuple[float, str]
    pair: tuple[float, str]
    reached: tuple[float, str]


def scaling(table: dict[str, list[float]]) -> Scaling:
    """The `--jobs 2` figures of one table of times per round (whole runs, or steady-state seconds per capture)."""
    shares = [(j1 / j2) / (f1 / f2) for j1, j2, f1, f2 in zip(
        table["batch --jobs 1"], table["batch --jobs 2"], table["floor, one process"], table["floor, two processes"])]
    reached = median(shares), " ".join(f"{share:.0%}" for share in shares)
    return Scaling(per_round(table, "batch --jobs 1", "batch --jobs 2"),
                   per_round(table, "floor, one process", "floor, two processes"),
                   per_round(table, "batch --jobs 2", "floor, two processes"), reached)


def growth_per_capture(peaks: list[float]) -> float:
    """MB a process grew per capture from its second capture to its last."""
    return (peaks[-1] - peaks[1]) / (len(peaks) - 2) if len(peaks) > 2 else 0.0


def worker_growth(records: list[dict]) -> list[tuple[str, list[float]]]:
    """Per replay and writer process, its peak RSS (MB) after each of its captures, in order."""
    peaks: dict[str, list[float]] = defaultdict(list)
    for record in records:
        for role in ("worker", "writer"):
            if record.get(f"{role}_peak_rss_mb") is not None:
                peaks[f"{'replay' if role == 'worker' else 'writer'} {record[f'{role}_pid']}"].append(
                    record[f"{role}_peak_rss_mb"])
    return sorted(peaks.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--captures", type=Path, default=SAMPLES)
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    lp_one_worker = str(cores if cores > 1 else 0)  # what the batch gives its one --jobs 1 worker (rasteriser_env)
    with tempfile.TemporaryDirectory(prefix="bench_batch_") as scratch_name:
        scratch = Path(scratch_name)
        captures = make_folder(args.captures, args.copies, scratch / "captures")
        if not captures:
            sys.exit(f"no .rdc captures in {args.captures}")
        count = len(captures)
        print(f"{count} captures ({args.copies} copies of each in {args.captures}), {cores} cores, "
              f"{args.rounds} rounds, medians; command: {' '.join(command())} batch")
        _, warmup = batch(scratch / "captures", scratch / "warmup", 2)
        items = []
        for capture in captures:
            meta = json.loads((scratch / "warmup" / "frames" / capture.stem / "meta.json").read_text())
            items.append(floor_item(capture, meta))
        plan = write_plan(items, scratch / "plan.json")
        halves = [write_plan(items[0::2], scratch / "half0.json"), write_plan(items[1::2], scratch / "half1.json")]

        runs: dict[str, list[float]] = defaultdict(list)
        steady: dict[str, list[float]] = defaultdict(list)   # steady-state seconds per capture, per round
        floor_per_capture: list[float] = []
        batch_per_capture: list[float] = []
        growth: list[tuple[int, list[float]]] = []
        floor_rss: list[float] = []
        for round_number in range(args.rounds):
            # Each ratio pairs adjacent runs (one floor with --jobs 1, two floors with --jobs 2); every other round
            # runs them in reverse, so neither side of a pair always goes first into the host's load.
            order = ["floor, one process", "batch --jobs 1", "floor, two processes", "batch --jobs 2"]
            for kind in order if round_number % 2 == 0 else order[::-1]:
                if kind == "floor, one process":
                    wall, lines = timed([sys.executable, str(FLOOR_SCRIPT), str(plan)], {"LP_NUM_THREADS": lp_one_worker})
                    records = floor_lines(lines)
                    steady[kind].append(steady_seconds([r["finished_at"] for r in records], 1))
                    floor_per_capture += [r["seconds"] for r in records[1:]]  # after the process's first capture
                    floor_rss = [r["rss_mb"] for r in records]
                elif kind == "floor, two processes":
                    wall, records = floor_pair(halves, "0")
                    steady[kind].append(steady_seconds([r["finished_at"] for r in records], 2))
                else:
                    jobs = int(kind[-1])
                    wall, records = batch(scratch / "captures", scratch / "out", jobs)
                    steady[kind].append(steady_seconds(record_times(records), jobs))
                    if jobs == 1:
                        batch_per_capture += spacing(records)[1:]
                    growth += worker_growth(records)
                runs[kind].append(wall)
        best = {name: median(walls) for name, walls in runs.items()}
        for name, wall in best.items():
            print(f"  {name:22s} {wall:6.2f} s  ({wall / count:.3f} s/capture)")

        whole, whole_rounds = per_round(runs, "batch --jobs 1", "floor, one process")
        steady_ratio = median(batch_per_capture) / median(floor_per_capture)
        print(f"batch --jobs 1 / warm floor, whole processes: {whole:.2f}  ({verdict(whole, 1.25)}; rounds: "
              f"{whole_rounds})")
        print(f"batch --jobs 1 / warm floor, steady state per capture: {median(batch_per_capture):.3f} / "
              f"{median(floor_per_capture):.3f} s = {steady_ratio:.2f}  (between records vs floor seconds, "
              f"start-ups excluded)")
        whole_runs, steady_state = scaling(runs), scaling(steady)
        (jobs, jobs_rounds), (ceiling, ceiling_rounds), (pair, pair_rounds), (reached, reached_rounds) = whole_runs
        print(f"--jobs 2 / --jobs 1 throughput: {jobs:.2f}  ({verdict(jobs, 1.7, at_most=False)}; rounds: "
              f"{jobs_rounds}); machine ceiling (two plain floors / one): {ceiling:.2f} (rounds: {ceiling_rounds}), "
              f"the batch reaches {reached:.0%} of it ({verdict(reached, 0.95, at_most=False)}; rounds: {reached_rounds})")
        print(f"batch --jobs 2 / two warm floors side by side, whole processes: {pair:.2f}  (rounds: {pair_rounds}; "
              f"the throughput both cores give; --jobs 1 already writes on the second core while its child replays, "
              f"which lowers the ratio above)")
        print(f"steady state (captures per second from each run's first capture of its last worker to its last "
              f"capture, start-up and tail excluded): --jobs 2 / --jobs 1 {steady_state.jobs[0]:.2f}, ceiling "
              f"{steady_state.ceiling[0]:.2f}, the batch reaches {steady_state.reached[0]:.0%} of it "
              f"({verdict(steady_state.reached[0], 0.95, at_most=False)}; rounds: {steady_state.reached[1]}); "
              f"--jobs 2 / two floors side by side "
              f"{steady_state.pair[0]:.2f}")

        print("peak RSS (MB) of each replay and writer process after each of its captures, and growth per capture after the second:")
        slopes = []
        for process, peaks in growth:
            slope = growth_per_capture(peaks)
            slopes.append(slope)
            print(f"  {process}: {' '.join(f'{p:.0f}' for p in peaks)}  ({slope:+.1f} MB/capture)")
        floor_slope = growth_per_capture(floor_rss)
        print(f"median growth {median(slopes):+.1f} MB/capture per process; floor process resident MB after each "
              f"capture: {' '.join(f'{r:.0f}' for r in floor_rss)}  ({floor_slope:+.1f} MB/capture, the same way)")


if __name__ == "__main__":
    main()
