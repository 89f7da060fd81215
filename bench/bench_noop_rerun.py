"""Benchmark a batch rerun with nothing left to do, over many done captures.

The overnight case: 60,000 captures done, a rerun (cron, or after a fix) must
find that out quickly and without holding much in memory. This makes N small
stand-in captures (a RenderDoc header only) in folders of 500, runs the batch
once with the no-replay stand-in job (`touch_job`) so every one is done, then
times a rerun of the real CLI in a fresh process and reports its wall time,
time per capture and peak RSS. Also prints the engine's own cost per capture
(the first run: no replay, only scheduling, child pipes, staging, manifest).

Usage: python bench/bench_noop_rerun.py [--captures N] [--jobs J]   (default 10,000; the docs quote 60,000)
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rdc_extract.batch.runner import BatchOptions, run_batch

STAND_IN = "rdc_extract.batch.standin:touch_job"
PER_FOLDER = 500
_CLI = "from rdc_extract.cli import main; main()"


def make_captures(root: Path, count: int) -> None:
    for number in range(count):
        folder = root / f"run{number // PER_FOLDER:04d}"
        if number % PER_FOLDER == 0:
            folder.mkdir(parents=True)
        (folder / f"cap_{number:06d}.rdc").write_bytes(b"RDOC")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--captures", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_noop_") as scratch_name:
        scratch = Path(scratch_name)
        captures, out = scratch / "captures", scratch / "out"
        make_captures(captures, args.captures)
        started = time.perf_counter()
        first = run_batch(BatchOptions(captures, out, jobs=args.jobs, job=STAND_IN, recycle_after=10**9))
        first_s = time.perf_counter() - started
        if first.done != args.captures:
            sys.exit(f"the first run finished only {first.done} of {args.captures} captures")
        print(f"{args.captures} stand-in captures, --jobs {args.jobs}")
        print(f"first run (no replay: the engine's own cost): {first_s:.1f} s, "
              f"{first_s / args.captures * 1000 * args.jobs:.2f} ms per capture per worker")
        started = time.perf_counter()
        rerun = subprocess.run([sys.executable, "-c", _CLI, "batch", str(captures), str(out),
                                "--jobs", str(args.jobs), "--job", STAND_IN], capture_output=True, text=True)
        rerun_s = time.perf_counter() - started
        if rerun.returncode != 0 or "skipped (already done)" not in rerun.stdout:
            sys.exit(f"the rerun failed (exit {rerun.returncode}): {rerun.stderr[-500:]}")
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"no-op rerun (the CLI in a fresh process, start-up included): {rerun_s:.2f} s, "
              f"{rerun_s / args.captures * 1e6:.0f} µs per capture, peak RSS {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
