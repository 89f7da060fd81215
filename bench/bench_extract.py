"""`rdc-extract extract` as a user runs it (a fresh process) against the cold replay floor.

    python bench/bench_extract.py [CAPTURE_OR_FOLDER ...] [--rounds N]

Cold floor of a capture = a fresh process of bench/replay_floor.py (no rdc_extract code) that
loads RenderDoc, initialises replay, opens the capture, moves to each event extraction reads at,
reads the same textures (and the camera's constant block), closes and exits. The command and
the floor alternate capture by capture in every round (so load from other jobs hits both alike);
medians over rounds. Capture sets: the sample captures, the largest capture of the real-games corpus
(samples/corpus, decompressed with zstd; --no-corpus skips it), then each path given on the command
line (a capture or a folder of them), e.g. large real-game captures.
Targets (issue 12): extract <= 1.5 x cold floor on the sample captures, <= 1.25 x on captures >= 50 MB.
Target (issue 13): identifying the frame (action tree, passes, profile, UI; meta.json
`timing_s.identify`) and finding the camera and conventions (replays and reads only for them:
`timing_s.camera`) add no more than 5 % to extraction; the floor does neither. Both shares of the
command's wall time are printed per set, the largest corpus capture included.

The cost split comes from the frames' meta.json (`timing_s`: replay incl. reading the action tree,
handing what was read over from the replay process, decode, write); the rest of the command's wall time
is start-up, sha256, meta.json and exit. The command replays in a process forked as it starts
(rdc_extract/extract/head_start.py), so the command line's imports overlap the replay; the replay
process's own imports do not.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from measure import (
    CORPUS, LARGE_BYTES, SAMPLES, cold_floor, command, decompressed, floor_item, fresh, median, rdc_files, timed,
    verdict, write_plan,
)


def extract_once(capture: Path, out: Path) -> tuple[float, dict]:
    wall, _ = timed([*command(), "extract", str(capture), str(fresh(out))])
    meta = json.loads((out / "frames" / capture.stem / "meta.json").read_text())
    return wall, meta


def bench_set(name: str, captures: list[Path], rounds: int, scratch: Path) -> None:
    scratch.mkdir()
    metas = {capture: extract_once(capture, scratch / "warmup")[1] for capture in captures}  # warms the file cache
    plan = write_plan([floor_item(capture, metas[capture]) for capture in captures], scratch / "plan.json")
    walls: dict[Path, list[float]] = {c: [] for c in captures}
    floors: dict[Path, list[float]] = {c: [] for c in captures}
    floor_replay: list[float] = []
    timing: dict[str, list[float]] = {"replay": [], "identify": [], "camera": [], "handover": [], "decode": [], "write": []}
    for number in range(rounds):
        for index, capture in enumerate(captures):
            runs = ["floor", "command"] if (number + index) % 2 == 0 else ["command", "floor"]
            for run in runs:
                if run == "floor":
                    wall, inside = cold_floor(plan, index)
                    floors[capture].append(wall)
                    floor_replay.append(inside)
                else:
                    wall, meta = extract_once(capture, scratch / "out")
                    walls[capture].append(wall)
                    for key in timing:
                        timing[key].append(meta["timing_s"].get(key, 0.0))   # no handover: replayed in-process
    total_command = sum(median(walls[c]) for c in captures)
    total_floor = sum(median(floors[c]) for c in captures)
    size_mb = median([c.stat().st_size / 2**20 for c in captures])
    ratio = total_command / total_floor
    per_command, per_floor = total_command / len(captures), total_floor / len(captures)
    split = {key: median(timing[key]) for key in ("replay", "handover", "decode", "write")}
    identify, camera = median(timing["identify"]), median(timing["camera"])
    print(f"\n{name}: {len(captures)} captures (median {size_mb:.1f} MB), {rounds} rounds, medians")
    print(f"  cold floor (whole process):       {per_floor:.3f} s/capture, of which replay {median(floor_replay):.3f} s "
          f"(start-up + exit {per_floor - median(floor_replay):.3f} s)")
    print(f"  rdc-extract extract (whole process): {per_command:.3f} s/capture = replay {split['replay']:.3f} "
          f"(incl. action tree) + handover {split['handover']:.3f} + decode {split['decode']:.3f} "
          f"+ write {split['write']:.3f} "
          f"+ start-up, sha256, meta, exit {per_command - sum(split.values()):.3f}")
    target = 1.25 if size_mb * 2**20 >= LARGE_BYTES else 1.5
    print(f"  extract / cold floor: {ratio:.2f}  ({verdict(ratio, target)})")
    share = (identify + camera) / per_command
    print(f"  identification {identify:.3f} s + camera and conventions {camera:.3f} s (in replay) = {share:.1%} "
          f"of the command  ({verdict(share, 0.05)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("captures", nargs="*", type=Path, help="more captures or folders, each its own set")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-samples", action="store_true", help="skip the sample captures")
    parser.add_argument("--no-corpus", action="store_true", help="skip the largest real-games corpus capture")
    args = parser.parse_args()
    print(f"command: {' '.join(command())} extract CAPTURE OUT; floor: bench/replay_floor.py --only N")
    with tempfile.TemporaryDirectory(prefix="bench_extract_") as scratch:
        sets = [] if args.no_samples else [("sample captures", sorted(SAMPLES.glob("*.rdc")))]
        if not args.no_corpus:
            largest = max(CORPUS.glob("*.rdc.zst"), key=lambda path: path.stat().st_size)
            sets.append((f"largest corpus capture ({largest.name})", [decompressed(largest, Path(scratch))]))
        sets += [(str(path), rdc_files([path])) for path in args.captures]
        for number, (name, captures) in enumerate(sets):
            bench_set(name, captures, args.rounds, Path(scratch) / f"set{number}")


if __name__ == "__main__":
    main()
