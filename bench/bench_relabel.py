"""Relabel throughput (frames/s) on a synthetic dataset, and its ratio to extraction once that is measured.

    python bench/bench_relabel.py [--frames 50 --width 640 --height 360 --jobs 1 -1 --repeat 3]
    python bench/bench_relabel.py --dataset OUT     # a real `batch` output: also the ratio to extraction

Builds a dataset folder in a temporary directory the way extraction leaves it
(stencil.png, native labels, meta.json), then times `relabel_dataset` with
the Cityscapes mapping, alternating with the native one so every run really
rewrites every frame (a rerun with the same mapping would skip them all). The
stencil is made of rectangles of the sample game's classes, so PNG sizes are
close to a real frame's. Target (issue 8): ≥ 30× faster per frame than extraction.

With ``--dataset OUT`` (a folder `rdc-extract batch` wrote) the frames are a
copy of that dataset's, and extraction's cost per frame is the mean
``job_seconds`` of its manifest (replay + decode + writes inside the worker,
worker start-up excluded), so the ratio compares like with like.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from rdc_extract.dataset.files import write_json, write_png
from rdc_extract.labels.classmap import resolve_class_map
from rdc_extract.labels.files import write_labels
from rdc_extract.labels.relabel import RELABELLED, relabel_dataset

GAME_VALUES = (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x82)


def make_dataset(root: Path, frames: int, width: int, height: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    native = resolve_class_map("city_game")
    for i in range(frames):
        frame = root / "frames" / f"bench__cap_{i:04d}"
        frame.mkdir(parents=True)
        stencil = np.zeros((height, width), dtype=np.uint8)
        for _ in range(300):
            y, x = rng.integers(0, height), rng.integers(0, width)
            stencil[y:y + rng.integers(4, height // 4), x:x + rng.integers(4, width // 6)] = rng.choice(GAME_VALUES)
        write_png(frame / "stencil.png", stencil)
        write_json(frame / "meta.json", {"labels": write_labels(frame, stencil, native)})


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--frames", type=int, default=50)
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--height", type=int, default=360)
    p.add_argument("--jobs", type=int, nargs="+", default=[1, -1], help="worker counts to time (-1 = all cores)")
    p.add_argument("--repeat", type=int, default=3, help="timed runs per worker count; the best is reported")
    p.add_argument("--dataset", type=Path, help="time on a copy of this batch output instead of synthetic frames")
    args = p.parse_args()
    maps = [resolve_class_map("city_game_cityscapes"), resolve_class_map("city_game")]
    extraction_s = None
    best_ms = float("inf")
    with tempfile.TemporaryDirectory(prefix="bench_relabel_") as tmp:
        root = Path(tmp) / "out"
        if args.dataset:
            shutil.copytree(args.dataset / "frames", root / "frames")
            records = [json.loads(line) for line in (args.dataset / "manifest.jsonl").read_text().splitlines() if line]
            seconds = [r["job_seconds"] for r in records if r.get("status") == "done" and r.get("job_seconds")]
            extraction_s = sum(seconds) / len(seconds) if seconds else None
            args.frames = len(list((root / "frames").iterdir()))
            print(f"relabel: {args.frames} frames copied from {args.dataset}, {os.cpu_count()} CPU cores")
        else:
            make_dataset(root, args.frames, args.width, args.height)
            print(f"relabel: {args.frames} frames of {args.width}x{args.height}, {os.cpu_count()} CPU cores")
        run = 0
        for jobs in args.jobs:
            best = float("inf")
            relabel_dataset(root, maps[run % 2], jobs=jobs)  # warm-up: worker start, imports
            run += 1
            for _ in range(args.repeat):
                start = time.perf_counter()
                report = relabel_dataset(root, maps[run % 2], jobs=jobs)
                best = min(best, time.perf_counter() - start)
                run += 1
                assert report.count(RELABELLED) == args.frames, "every frame must really be rewritten"
            print(f"  jobs={jobs:>2}: {args.frames / best:7.1f} frames/s ({1000 * best / args.frames:.1f} ms/frame)")
            if jobs == 1:
                best_ms = 1000 * best / args.frames
    if extraction_s is None:
        print("extraction: not measured (give --dataset OUT, a batch output, for the ratio; target ≥ 30x)")
    elif best_ms < float("inf"):
        ratio = 1000 * extraction_s / best_ms
        verdict = "meets" if ratio >= 30 else "misses"
        print(f"extraction: {1000 * extraction_s:.0f} ms/frame (manifest job_seconds, one worker); "
              f"relabel is {ratio:.0f}x faster per frame, one worker each ({verdict} the ≥ 30x target)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
