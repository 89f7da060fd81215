"""Benchmark `rdc-extract batch`: throughput at --jobs 1 and 2, per-capture cost against the replay floor.

Prints numbers measured in this one run:
  * replay floor: seconds per capture when one warm process (replay initialised
    once) runs the job on every capture in a loop, no batch machinery;
  * batch throughput (captures/s) at --jobs 1 and --jobs 2, and their ratio
    (target on 2-core machines: ≥ 1.7);
  * the batch's per-capture cost at --jobs 1 over the floor (target ≤ 1.25);
  * peak RSS of each worker process (from the manifest's worker_peak_rss_mb);
  * the machine's own ceiling: two warm processes without the batch, side by side
    (other load on a shared machine shows up here first).

Usage: python bench/bench_batch.py [--copies N] [--repeat R] [--captures DIR] [--job module:function]
Default captures: samples/captures (the sample game's captures), each copied N times.
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
from pathlib import Path

from rdc_extract.batch.runner import DEFAULT_JOB, REPLAY_INITIALISER, BatchOptions, run_batch

ROOT = Path(__file__).resolve().parents[1]

_FLOOR_SCRIPT = """
import json, sys, time
from pathlib import Path
from rdc_extract.batch.child import resolve
job = resolve(sys.argv[1]); resolve(sys.argv[2])()
captures = json.loads(sys.argv[3]); out = Path(sys.argv[4])
job(Path(captures[0]), out / "warmup")
started = time.perf_counter()
for number, capture in enumerate(captures):
    job(Path(capture), out / f"f{number}")
print(json.dumps({"seconds": time.perf_counter() - started}))
"""


def make_folder(source: Path, copies: int, target: Path) -> list[Path]:
    """`copies` copies of every capture in `source` (with its sidecar) under `target`."""
    made = []
    for capture in sorted(source.glob("*.rdc")):
        for copy in range(copies):
            destination = target / f"{capture.stem}_c{copy:03d}.rdc"
            shutil.copyfile(capture, destination)
            sidecar = capture.with_suffix(".json")
            if sidecar.exists():
                shutil.copyfile(sidecar, destination.with_suffix(".json"))
            made.append(destination)
    return made


def replay_floor(job: str, captures: list[Path], scratch: Path) -> tuple[float, float]:
    """(seconds per capture for the job in one warm process after one warm-up capture, the process's wall time)."""
    started = time.perf_counter()
    output = subprocess.run(
        [sys.executable, "-c", _FLOOR_SCRIPT, job, REPLAY_INITIALISER, json.dumps([str(c) for c in captures]),
         str(scratch)], check=True, capture_output=True, text=True,
    ).stdout.strip().splitlines()[-1]
    return json.loads(output)["seconds"] / len(captures), time.perf_counter() - started


def parallel_floor(job: str, captures: list[Path], scratch: Path) -> float:
    """Wall time of two floor processes (no batch machinery) sharing the captures: the machine's ceiling."""
    halves = [captures[0::2], captures[1::2]]
    started = time.perf_counter()
    processes = [
        subprocess.Popen([sys.executable, "-c", _FLOOR_SCRIPT, job, REPLAY_INITIALISER,
                          json.dumps([str(c) for c in half]), str(scratch / f"half{number}")],
                         stdout=subprocess.DEVNULL)
        for number, half in enumerate(halves)
    ]
    for process in processes:
        if process.wait():
            raise RuntimeError("a floor process failed")
    return time.perf_counter() - started


def batch_run(job: str, folder: Path, out: Path, jobs: int) -> tuple[float, dict[int, float], int]:
    """(wall seconds, peak RSS MB per worker pid, failures) of one batch into a fresh folder."""
    started = time.perf_counter()
    summary = run_batch(BatchOptions(folder, out, jobs=jobs, job=job, recycle_after=1000))
    wall = time.perf_counter() - started
    peaks: dict[int, float] = defaultdict(float)
    for line in (out / "manifest.jsonl").read_text().splitlines():
        record = json.loads(line)
        if record.get("worker_peak_rss_mb"):
            peaks[record["worker_pid"]] = max(peaks[record["worker_pid"]], record["worker_peak_rss_mb"])
    return wall, dict(peaks), summary.failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--captures", type=Path, default=ROOT / "samples" / "captures")
    parser.add_argument("--copies", type=int, default=2)
    parser.add_argument("--job", default=DEFAULT_JOB)
    parser.add_argument("--repeat", type=int, default=2, help="batch runs per setting; the best is kept")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_batch_") as scratch_name:
        scratch = Path(scratch_name)
        folder = scratch / "captures"
        folder.mkdir()
        captures = make_folder(args.captures, args.copies, folder)
        if not captures:
            sys.exit(f"no .rdc captures in {args.captures}")
        print(f"{len(captures)} captures ({args.copies} copies of each in {args.captures}), job {args.job}, "
              f"{os.cpu_count()} cores")
        floor, one_wall = replay_floor(args.job, captures, scratch / "floor")
        print(f"replay floor (warm process, no batch): {floor:.3f} s/capture")
        ceiling = one_wall / parallel_floor(args.job, captures, scratch / "floor2")
        print(f"machine ceiling: two plain processes side by side run {ceiling:.2f}x as fast as one "
              "(no batch machinery; shared-machine load shows here)")
        results: dict[int, float] = {}
        for repeat in range(args.repeat):
            for jobs in (1, 2):  # interleaved, so that a burst of other load hits both settings alike
                wall, peaks, failed = batch_run(args.job, folder, scratch / f"out_j{jobs}_r{repeat}", jobs)
                results[jobs] = min(wall, results.get(jobs, wall))
                peak_text = ", ".join(f"{mb:.0f}" for mb in sorted(peaks.values()))
                print(f"batch --jobs {jobs}: {wall:.2f} s, {len(captures) / wall:.3f} captures/s, "
                      f"{failed} failed, worker peak RSS MB: {peak_text}")
        print(f"best of {args.repeat}: --jobs 1 {results[1]:.2f} s, --jobs 2 {results[2]:.2f} s")
        ratio = results[1] / results[2]
        cost = results[1] / len(captures)
        print(f"throughput ratio jobs 2 / jobs 1: {ratio:.2f}  (target >= 1.7; this machine's ceiling now "
              f"{ceiling:.2f}, so the batch reaches {ratio / ceiling:.0%} of it)")
        print(f"batch per-capture cost at --jobs 1 / replay floor: {cost:.3f} / {floor:.3f} = {cost / floor:.2f}"
              f"  (target <= 1.25)")


if __name__ == "__main__":
    main()
