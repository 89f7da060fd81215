"""The instance map's cost: `rdc-extract extract --outputs rgb,depth,instances` against plain `extract`, and
against `--outputs rgb,depth,drawids` (what the instances add to the draw-id map they are made from).

    python bench/bench_instances.py [CAPTURE ...] [--rounds N]

All three are fresh processes, timed from outside as a user runs them, in a rotating order in every round
(so load from other jobs hits them alike); medians over rounds. Captures: the first sample capture (640×360,
whose profile merges draws by a per-draw constant), then each capture given. The part spent reading each
draw's merge constant (meta.json timing_s.instance_constants) is shown apart. The real-games corpus is left
out: its frames have no profile, so no [instances] rule, and cost what bench_drawids.py reports for them.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from measure import SAMPLES, command, fresh, median, timed

RUNS = {"plain": [], "drawids": ["--outputs", "rgb,depth,drawids"], "instances": ["--outputs", "rgb,depth,instances"]}


def extract_once(capture: Path, out: Path, extra: list[str]) -> tuple[float, dict]:
    wall, _ = timed([*command(), "extract", *extra, str(capture), str(fresh(out))])
    return wall, json.loads((out / "frames" / capture.stem / "meta.json").read_text())


def bench_capture(name: str, capture: Path, rounds: int, scratch: Path) -> None:
    extract_once(capture, scratch / "warmup", [])  # warms the file cache
    walls: dict[str, list[float]] = {run: [] for run in RUNS}
    constants: list[float] = []
    names = list(RUNS)
    for number in range(rounds):
        for run in names[number % 3:] + names[:number % 3]:
            wall, meta = extract_once(capture, scratch / run, RUNS[run])
            walls[run].append(wall)
            if run == "instances":
                constants.append(meta["timing_s"].get("instance_constants", 0.0))
    table = json.loads((scratch / "instances" / "frames" / capture.stem / "instances.json").read_text())
    plain, drawids, instances = (median(walls[run]) for run in RUNS)
    print(f"\n{name}: {capture.stat().st_size / 2**20:.1f} MB, {len(table['instances'])} instances, merge rule "
          f"{table['merge']['rule']}, {rounds} rounds, medians")
    print(f"  extract (default outputs):              {plain:.3f} s")
    print(f"  extract --outputs rgb,depth,drawids:    {drawids:.3f} s")
    print(f"  extract --outputs rgb,depth,instances:  {instances:.3f} s")
    print(f"  of which reading each draw's merge constant {median(constants):.3f} s")
    print(f"  with instances / plain: {instances / plain:.2f}; with instances / with drawids: {instances / drawids:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("captures", nargs="*", type=Path, help="more captures, each benched on its own")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"command: {' '.join(command())} extract [--outputs rgb,depth,drawids|instances] CAPTURE OUT")
    with tempfile.TemporaryDirectory(prefix="bench_instances_") as scratch:
        sets = [("sample capture", sorted(SAMPLES.glob("*.rdc"))[0]), *((str(path), path) for path in args.captures)]
        for number, (name, capture) in enumerate(sets):
            folder = Path(scratch) / f"set{number}"
            folder.mkdir()
            bench_capture(name, capture, args.rounds, folder)


if __name__ == "__main__":
    main()
