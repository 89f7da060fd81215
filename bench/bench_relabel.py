"""`rdc-extract relabel` per frame against `rdc-extract batch` extraction of the same frames, both whole commands.

    python bench/bench_relabel.py [--captures DIR] [--copies N] [--rounds R] [--jobs J]

Copies the captures N times into a folder, then per round: times `rdc-extract batch` over them
into a fresh dataset, and `rdc-extract relabel --force` of that dataset with the Cityscapes mapping
(a label set beside the native one) and with the native one (the default set), so every frame is
really labelled and written each time. Per frame = the whole
command's wall time / frames; both commands run with the same --jobs (default: every core).
Medians over rounds. Target (issue 12): relabel >= 30x faster per frame than batch extraction.
More copies amortise each command's start-up over more frames, as on a real dataset: by default 24 copies
(144 frames), where relabel's fixed start-up (~0.2 s: the interpreter, typer, rich, numpy) is a fifth of the
command; on 48 frames it is 40 % of it, and a dataset of thousands of frames does not see it at all.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from bench_batch import make_folder
from measure import SAMPLES, command, fresh, median, timed, verdict

MAPPINGS = ("city_game_cityscapes", "city_game")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--captures", type=Path, default=SAMPLES)
    parser.add_argument("--copies", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_relabel_") as scratch_name:
        scratch = Path(scratch_name)
        frames = len(make_folder(args.captures, args.copies, scratch / "captures"))
        print(f"{frames} frames ({args.copies} copies of each capture in {args.captures}), --jobs {args.jobs}, "
              f"{args.rounds} rounds, medians; command: {' '.join(command())}")
        extraction, relabel = [], []
        for _ in range(args.rounds):
            out = fresh(scratch / "out")
            wall, _ = timed([*command(), "batch", str(scratch / "captures"), str(out), "--jobs", str(args.jobs)])
            extraction.append(wall / frames)
            for mapping in MAPPINGS:
                wall, _ = timed([*command(), "relabel", str(out), "--classes", mapping, "--force",
                                 "--jobs", str(args.jobs)])
                relabel.append(wall / frames)
        per_extraction, per_relabel = median(extraction), median(relabel)
        ratio = per_extraction / per_relabel
        print(f"batch extraction: {1000 * per_extraction:.0f} ms/frame; relabel: {1000 * per_relabel:.1f} ms/frame "
              f"(whole commands)")
        print(f"relabel is {ratio:.0f}x faster per frame  ({verdict(ratio, 30, at_most=False)})")


if __name__ == "__main__":
    main()
