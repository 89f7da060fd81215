"""Extraction cost vs the replay floor, measured in one run on the sample captures.

Replay floor of a capture = open it + `SetFrameEvent` to each planned event +
`GetTextureData` of each planned target (what any extraction must pay).
Target (issue 6): extraction ≤ 1.25 × floor per 640×360 capture.

    .venv/bin/python bench/bench_extract.py [CAPTURES_DIR] [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from rdc_extract.extract.pipeline import extract_capture
from rdc_extract.extract.plan import choose_outputs, plan_reads
from rdc_extract.profiles.registry import choose_profile
from rdc_extract.rd.frame_reader import read_frame
from rdc_extract.rd.readback import read_at_events
from rdc_extract.rd.session import initialise_replay, open_capture

REPO = Path(__file__).resolve().parents[1]


def planned_reads(capture: Path):
    with open_capture(capture) as session:
        frame = read_frame(session)
        detection = choose_profile(frame, None)
        outputs = choose_outputs(detection.profile, None)
        return plan_reads(detection.identification, detection.profile, outputs).reads


def replay_floor_s(capture: Path, reads) -> float:
    started = time.perf_counter()
    with open_capture(capture) as session:
        read_at_events(session, reads)
    return time.perf_counter() - started


def extraction_s(capture: Path, out: Path) -> float:
    started = time.perf_counter()
    extract_capture(capture, out / capture.stem)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("captures", nargs="?", type=Path, default=REPO / "samples" / "captures")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    captures = sorted(args.captures.glob("*.rdc"))
    initialise_replay()
    plans = {capture: planned_reads(capture) for capture in captures}  # also warms the file cache
    floors, extractions = [], []
    with tempfile.TemporaryDirectory() as out:
        for _ in range(args.rounds):
            for capture in captures:  # interleaved so drift and cache state hit both alike
                floors.append(replay_floor_s(capture, plans[capture]))
                extractions.append(extraction_s(capture, Path(out)))
    floor, full = statistics.median(floors), statistics.median(extractions)
    print(f"captures: {len(captures)} x {args.rounds} rounds")
    print(f"replay floor per capture: median {floor:.3f} s")
    print(f"extraction per capture:   median {full:.3f} s")
    print(f"ratio extraction / floor: {full / floor:.2f} (target <= 1.25)")


if __name__ == "__main__":
    main()
