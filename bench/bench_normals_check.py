"""Cost of checking / detecting the normals encoding against depth, next to the whole extraction, on the sample captures.

Times `choose_encoding` on each capture's decoded normals target and depth
(as extraction computes them) with the profile's encoding (check) and with
none (detection over every candidate), and `extract_capture` as a whole.
Issue 13 allows identification and convention detection at most 5 % of
extraction time.

    .venv/bin/python bench/bench_normals_check.py [CAPTURES_DIR] [--rounds N]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import tempfile
import time
from pathlib import Path

from rdc_extract.decode.formats import TextureDesc
from rdc_extract.decode.normals_check import Candidate, choose_encoding
from rdc_extract.decode.textures import decode_color, decode_depth_stencil
from rdc_extract.extract.camera import camera_from_blocks
from rdc_extract.extract.compute import depth_m
from rdc_extract.extract.conventions import resolve_conventions
from rdc_extract.extract.pipeline import extract_capture
from rdc_extract.extract.plan import choose_outputs, plan_reads
from rdc_extract.profiles.registry import choose_profile
from rdc_extract.rd.frame_reader import read_frame
from rdc_extract.rd.readback import read_at_events
from rdc_extract.rd.session import initialise_replay, open_capture

REPO = Path(__file__).resolve().parents[1]


def normals_inputs(capture: Path):
    """The normals target as decoded floats, metric depth, K, the view rotation and the profile's candidate."""
    with open_capture(capture) as session:
        frame = read_frame(session)
        detection = choose_profile(frame, None)
        rules, found = detection.profile, detection.identification
        plan = plan_reads(found, rules, choose_outputs(rules, ["normals"]))
        reads = read_at_events(session, plan.reads, plan.camera_event)
    data = reads.data
    camera = camera_from_blocks(reads.blocks, rules.camera)
    conventions = resolve_conventions(reads.depth_state, camera, rules, str(capture))

    def desc(resource_id: int) -> TextureDesc:
        texture = frame.textures[resource_id]
        return TextureDesc(texture.width, texture.height, texture.format, frame.api)

    normals_id = found.target_roles["normals"]
    encoded = decode_color(data[normals_id], desc(normals_id))
    window_depth, _ = decode_depth_stencil(data[found.depth_target], desc(found.depth_target))
    depth = depth_m(window_depth, camera, conventions, str(capture))
    texture = frame.textures[normals_id]
    K = dataclasses.replace(camera, ndc_y_up=frame.api != "Vulkan").intrinsics(texture.width, texture.height)
    role = next(r for r in rules.gbuffer.targets if r.role == "normals")
    return encoded, depth, K, camera.view[:3, :3], Candidate(role.encoding, role.space or "view")


def best_of(rounds: int, run) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("captures", nargs="?", type=Path, default=REPO / "samples" / "captures")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    captures = sorted(args.captures.glob("*.rdc"))
    initialise_replay()
    checks, detections, extractions = [], [], []
    with tempfile.TemporaryDirectory() as out:
        for capture in captures:
            encoded, depth, K, rotation, stated = normals_inputs(capture)
            checks.append(best_of(args.rounds, lambda: choose_encoding(encoded, depth, K, world_to_view=rotation,
                                                                        stated=stated)))
            detections.append(best_of(args.rounds, lambda: choose_encoding(encoded, depth, K, world_to_view=rotation)))
            extractions.append(best_of(2, lambda: extract_capture(capture, Path(out) / capture.stem)))
    full = statistics.median(extractions)
    check, detect = statistics.median(checks), statistics.median(detections)
    print(f"captures: {len(captures)}; times are the best of {args.rounds} rounds (extraction: of 2), median over captures")
    print(f"extraction per capture:          {full * 1000:7.1f} ms")
    print(f"check of the profile's encoding: {check * 1000:7.1f} ms  ({check / full:.1%} of extraction)")
    print(f"detection with no encoding:      {detect * 1000:7.1f} ms  ({detect / full:.1%} of extraction)")


if __name__ == "__main__":
    main()
