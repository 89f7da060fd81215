"""The draw-id map's cost: `rdc-extract extract --outputs rgb,depth,drawids` against plain `extract`.

    python bench/bench_drawids.py [CAPTURE ...] [--rounds N] [--no-corpus]

Both are fresh processes, timed from outside as a user runs them, alternating in every round
(so load from other jobs hits both alike); medians over rounds. Captures: the first sample
capture (640×360), the largest capture of the real-games corpus (samples/corpus, decompressed
with zstd), then each capture given. The added time divided by the scene pass's steps
(drawids.json: its draws, plus its clears and one baseline read) is the cost per draw; the part of it spent
reading the draws' content for their signatures (meta.json timing_s.signatures) is shown apart.
Target (issue 14): on a 640×360 sample capture, extraction with the draw-id map ≤ 3 × plain extraction.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from measure import CORPUS, SAMPLES, command, decompressed, fresh, median, timed, verdict

WITH_DRAWIDS = ["--outputs", "rgb,depth,drawids"]


def extract_once(capture: Path, out: Path, extra: list[str]) -> tuple[float, dict]:
    wall, _ = timed([*command(), "extract", *extra, str(capture), str(fresh(out))])
    return wall, json.loads((out / "frames" / capture.stem / "meta.json").read_text())


def bench_capture(name: str, capture: Path, rounds: int, scratch: Path, target: float | None) -> None:
    extract_once(capture, scratch / "warmup", [])  # warms the file cache
    walls: dict[str, list[float]] = {"plain": [], "drawids": []}
    replays: dict[str, list[float]] = {"plain": [], "drawids": []}
    signatures: list[float] = []
    for number in range(rounds):
        runs = ["plain", "drawids"] if number % 2 == 0 else ["drawids", "plain"]
        for run in runs:
            wall, meta = extract_once(capture, scratch / run, WITH_DRAWIDS if run == "drawids" else [])
            walls[run].append(wall)
            replays[run].append(meta["timing_s"]["replay"])
            if run == "drawids":
                signatures.append(meta["timing_s"]["signatures"])
    table = json.loads((scratch / "drawids" / "frames" / capture.stem / "drawids.json").read_text())
    draws = len(table["draws"])
    plain, with_ids = median(walls["plain"]), median(walls["drawids"])
    added = median(replays["drawids"]) - median(replays["plain"])
    ratio = with_ids / plain
    print(f"\n{name}: {capture.stat().st_size / 2**20:.1f} MB, {draws} scene draws, {rounds} rounds, medians")
    print(f"  extract (default outputs):            {plain:.3f} s (replay {median(replays['plain']):.3f} s)")
    print(f"  extract --outputs rgb,depth,drawids:  {with_ids:.3f} s (replay {median(replays['drawids']):.3f} s)")
    print(f"  added replay {added:.3f} s = {1000 * added / max(draws, 1):.1f} ms per scene draw")
    print(f"  of which draw signatures {median(signatures):.3f} s = {1000 * median(signatures) / max(draws, 1):.1f} ms "
          f"per scene draw ({100 * median(signatures) / median(replays['drawids']):.0f} % of the replay)")
    print(f"  with drawids / plain: {ratio:.2f}" + (f"  ({verdict(ratio, target)})" if target else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("captures", nargs="*", type=Path, help="more captures, each benched on its own")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-corpus", action="store_true", help="skip the largest real-games corpus capture")
    args = parser.parse_args()
    print(f"command: {' '.join(command())} extract [{' '.join(WITH_DRAWIDS)}] CAPTURE OUT")
    with tempfile.TemporaryDirectory(prefix="bench_drawids_") as scratch:
        sets: list[tuple[str, Path, float | None]] = [("sample capture", sorted(SAMPLES.glob("*.rdc"))[0], 3.0)]
        if not args.no_corpus:
            largest = max(CORPUS.glob("*.rdc.zst"), key=lambda path: path.stat().st_size)
            sets.append((f"largest corpus capture ({largest.name})", decompressed(largest, Path(scratch)), None))
        sets += [(str(path), path, None) for path in args.captures]
        for number, (name, capture, target) in enumerate(sets):
            folder = Path(scratch) / f"set{number}"
            folder.mkdir()
            bench_capture(name, capture, args.rounds, folder, target)


if __name__ == "__main__":
    main()
