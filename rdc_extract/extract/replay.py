"""The replay half of extraction: open a capture, identify its frame, read what the outputs need, close.

Replay does the minimum (open, a `SetFrameEvent` per planned event, a
`GetTextureData` per planned target, one read of the constant blocks and depth
state); what it yields (`Replayed`) holds nothing of RenderDoc, so another
process can write the frame from it (extract/pipeline.py writes it). The
capture's SHA-256 is computed beside the replay and checked against the one
its sidecar recorded at publication: RenderDoc files carry no checksum, and a
flipped bit can replay.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shlex
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rdc_extract.capture.sidecar import SIDECAR_SUFFIX, Sidecar, file_sha256, read_sidecar
from rdc_extract.dataset.names import frame_id as frame_id_of, shown
from rdc_extract.decode.formats import TextureDesc
from rdc_extract.errors import (CaptureDigestMismatch, CaptureError, ExtractionFailed, FileError, OutputNotAvailable,
                                RdcExtractError)
from rdc_extract.extract.camera import has_rigid_view
from rdc_extract.extract.clipspace import wants_clip_positions
from rdc_extract.extract.drawids import DrawIdBuilder, DrawIdMap, ScenePass, differencing, scene_pass
from rdc_extract.extract.instances import MergeKeys, MergeRule
from rdc_extract.extract.plan import DRAW_SWEEP_OUTPUTS, ReadPlan, camera_draws, choose_outputs, needs_draw_sweep, plan_reads
from rdc_extract.extract.sweep_clock import SweepClock
from rdc_extract.frame.model import Frame, Texture, capture_resource_id
from rdc_extract.profiles.registry import Detection, choose_profile
from rdc_extract.profiles.schema import Profile
from rdc_extract.rd.frame_reader import read_frame
from rdc_extract.rd.loader import renderdoc_version
from rdc_extract.rd.readback import EventReads, Stepping, read_at_events
from rdc_extract.rd.remote import retried_elsewhere
from rdc_extract.rd.session import ReplaySession, open_capture


def replay_capture(capture: str | Path, *, profile: str | None = None, outputs: Sequence[str] | None = None,
                   frame_id: str | None = None, time_budget_s: float | None = None) -> Replayed:
    """The replay half of `extract_capture` (extract/pipeline.py): open, identify, read what the outputs need,
    close. `time_budget_s`: what a batch allows the capture (`--timeout`); a draw-id sweep foreseen to overrun
    it stops early (`SweepTooSlow`)."""
    capture = Path(capture)
    with pointing_to_inspect(capture, profile):
        return retried_elsewhere(lambda: _replay(capture, profile, outputs, frame_id, time_budget_s))


@contextlib.contextmanager
def pointing_to_inspect(capture: Path, profile: str | None) -> Iterator[None]:
    try:
        yield
    except CaptureError as exc:
        if exc.inspect_helps:
            exc.add_hint(inspect_hint(capture, profile))
        raise


def inspect_hint(capture: Path, profile: str | None) -> str:
    """The command that shows, check by check, why a profile does not fit a capture."""
    named = f" --profile {shlex.quote(profile)}" if profile else ""
    return f"run: rdc-extract inspect {shown(shlex.quote(str(capture)))}{named} for details"


def _replay(capture: Path, profile: str | None, outputs: Sequence[str] | None, frame_id: str | None,
            time_budget_s: float | None) -> Replayed:
    started = time.perf_counter()
    sidecar = sidecar_of(capture)
    recorded = sidecar.capture_sha256 if sidecar else None
    # hashlib and file reads release the GIL: the digest costs the replay nothing.
    with ThreadPoolExecutor(max_workers=1) as hasher:
        hashing = hasher.submit(file_sha256, capture)
        with _blame_a_changed_capture(capture, recorded, hashing), open_capture(capture) as session:
            opened = time.perf_counter()
            frame = read_frame(session)
            detection = choose_profile(frame, profile)
            wanted = _available(capture, frame, detection, outputs)
            scene = _scene_for(frame, detection, wanted, capture)
            plan = plan_reads(detection.identification, detection.profile, wanted, scene)
            identified = time.perf_counter()
            merge_keys = _merge_keys(detection.profile, wanted)
            clock = SweepClock(capture, tuple(sorted(plan.steps)), started, time_budget_s, _to_stderr)
            drawids, stepping = _drawid_stepping(frame, scene, plan, merge_keys, clock)
            reads = read_for_extraction(session, frame, detection, plan, stepping)
            replayed_on = session.server
        digest = hashing.result()
    _check_digest(capture, recorded, digest)
    drawid_map = drawids.result() if drawids is not None else None
    timing = {"replay": time.perf_counter() - started, "identify": identified - opened, "camera": reads.camera_seconds,
              **({"signatures": reads.signature_seconds} if drawids is not None else {}),
              **({"instance_constants": reads.constant_seconds} if merge_keys is not None else {})}
    scene_events = [a.event_id for a in scene.draws] if scene is not None else []
    return Replayed(capture=capture, profile_asked=profile, frame_id=frame_id or frame_id_of(capture.name), sidecar=sidecar, digest=digest,
                    detection=detection, wanted=wanted, reads=reads, camera_event=plan.camera_event, api=frame.api,
                    textures=frame.textures, aspect=image_aspect(frame, detection), drawids=drawid_map,
                    drawids_table=None if drawid_map is None or scene is None
                    else _drawids_table(scene, drawid_map.table, frame.textures),
                    instance_rule=merge_keys.rule if merge_keys is not None else None,
                    instance_keys=merge_keys.keys(scene_events) if merge_keys is not None else None,
                    scene_draws=len(scene_events), replayed_on=replayed_on, renderdoc=renderdoc_version(),
                    timing=timing)


@dataclass
class Replayed:
    """What one capture's replay yields, closed and checked against its sidecar: everything writing its
    frame folder needs, and nothing of RenderDoc (a batch hands it to another process to write, pickled)."""

    capture: Path
    profile_asked: str | None   # --profile, for the `inspect` command a failure points to
    frame_id: str
    sidecar: Sidecar | None
    digest: str
    detection: Detection
    wanted: tuple[str, ...]
    reads: EventReads
    camera_event: int | None
    api: str
    textures: dict[int, Texture]
    aspect: float
    drawids: DrawIdMap | None
    drawids_table: dict[str, Any] | None
    instance_rule: MergeRule | None         # the profile's rule for merging draws into instances
    instance_keys: list[bytes | str] | None  # each scene draw's merge key, when instances are wanted with a rule
    scene_draws: int
    replayed_on: str | None   # the remote server that replayed the capture; None: this machine
    renderdoc: str
    timing: dict[str, float]


def sidecar_of(capture: Path) -> Sidecar | None:
    """The capture's validated sidecar (`<name>.json`, docs/capture.md), or None when there is none.

    A sidecar that is there but cannot be read (a FIFO, a dangling link) is an error, not "no sidecar".
    """
    sidecar = capture.with_suffix(SIDECAR_SUFFIX)
    return read_sidecar(sidecar) if os.path.lexists(sidecar) else None


def _check_digest(capture: Path, recorded: str | None, digest: str) -> None:
    if recorded is not None and digest != recorded:
        raise CaptureDigestMismatch(capture, f"the file's sha256 is {digest[:16]}…, its sidecar recorded "
                                             f"{recorded[:16]}…: the capture changed after it was published")


@contextlib.contextmanager
def _blame_a_changed_capture(capture: Path, recorded: str | None, hashing: Future[str]) -> Iterator[None]:
    """A replay that fails on a capture whose bytes changed since publication fails for that change."""
    try:
        yield
    except Exception:
        if recorded is not None and hashing.exception() is None:
            _check_digest(capture, recorded, hashing.result())
        raise


def read_for_extraction(session: ReplaySession, frame: Frame, detection: Detection, plan: ReadPlan,
                        stepping: Stepping | None = None) -> EventReads:
    """The textures of `plan`, and the blocks and depth state the camera is looked for in (extract and inspect),
    with the vertex output at the sampled draws that hold a camera, when the clip range needs checking; the
    draw-id map's steps in the same sweep."""
    sampled = _camera_draws(frame, detection) if plan.camera_event is not None else ()
    aspect = image_aspect(frame, detection)
    return read_at_events(session, plan.reads, plan.camera_event, sampled,
                          functools.partial(has_rigid_view, aspect=aspect),
                          functools.partial(wants_clip_positions, aspect=aspect), stepping)


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _drawid_stepping(frame: Frame, scene: ScenePass | None, plan: ReadPlan, merge_keys: MergeKeys | None,
                     clock: SweepClock) -> tuple[DrawIdBuilder | None, Stepping | None]:
    """The builder of the draw-id map and the stepping that feeds it, when the plan steps through the scene; with
    `merge_keys`, each draw's value of the profile's instance constant is read in the same sweep; `clock` times
    the steps."""
    if scene is None or not plan.steps:
        return None, None
    descs = [TextureDesc(frame.textures[rid].width, frame.textures[rid].height, frame.textures[rid].format, frame.api)
             for rid in plan.step_targets]
    builder, seen = differencing(scene, descs)
    rule = merge_keys.rule if merge_keys is not None else None
    return builder, Stepping(plan.steps, plan.step_targets, seen, tuple(a.event_id for a in scene.draws),
                             builder.describe, tuple(frame.textures),
                             (rule.block, rule.member) if rule is not None else None,
                             merge_keys.seen if merge_keys is not None else None, clock.step)


def _scene_for(frame: Frame, detection: Detection, wanted: Sequence[str], capture: Path) -> ScenePass | None:
    """The pass the draw-id map covers, when it (or what is made from it) is wanted; a frame without scene draws
    cannot have one."""
    if not needs_draw_sweep(wanted):
        return None
    scene = scene_pass(frame, detection.identification)
    if not scene.steps:
        asked = next(name for name in DRAW_SWEEP_OUTPUTS if name in wanted)
        raise ExtractionFailed(capture, f"{asked}: no scene draws found (no draws with the scene depth bound)")
    return scene


def _merge_keys(profile: Profile, wanted: Sequence[str]) -> MergeKeys | None:
    """Where the draws' merge keys go, when instances are wanted and the profile says how to merge draws."""
    if "instances" not in wanted or profile.instances.block is None or profile.instances.member is None:
        return None
    return MergeKeys(MergeRule(profile.instances.block, profile.instances.member))


def _drawids_table(scene: ScenePass, table: list[dict[str, Any]], textures: dict[int, TextureDesc]) -> dict[str, Any]:
    return {
        "none": 0,
        "pass": {"first_event": scene.steps[0].event_id, "last_event": scene.steps[-1].event_id,
                 "targets_compared": [{"resource_id": capture_resource_id(rid), "name": textures[rid].name}
                                      for rid in scene.targets]},
        "draws": table,
    }


def image_aspect(frame: Frame, detection: Detection) -> float:
    """Width / height of the final image: the camera search keeps projections with this aspect."""
    image = frame.textures[detection.identification.final_image_target]
    return image.width / image.height


def wanted_outputs(frame: Frame, detection: Detection, outputs: Sequence[str] | None) -> tuple[str, ...]:
    """The outputs asked for (all the profile offers when None), given what the frame's depth target holds."""
    depth = frame.texture(detection.identification.depth_target)
    return choose_outputs(detection.profile, list(outputs) if outputs else None, detection.identification,
                          has_stencil=depth is None or depth.has_stencil)


def _available(capture: Path, frame: Frame, detection: Detection, outputs: Sequence[str] | None) -> tuple[str, ...]:
    """`wanted_outputs`, refusing at once what the frame cannot give: a draw-id sweep can take minutes, and an
    output refused after it wastes them."""
    try:
        wanted = wanted_outputs(frame, detection, outputs)
    except FileError:
        raise
    except RdcExtractError as exc:
        raise OutputNotAvailable(capture, str(exc)) from exc
    depth = frame.texture(detection.identification.depth_target)
    if depth is not None and not depth.has_stencil and {"stencil", "labels"} & set(wanted):
        raise OutputNotAvailable(capture, f"depth target {depth.format.name} has no stencil to label from")
    return wanted


def _camera_draws(frame: Frame, detection: Detection) -> tuple[int, ...]:
    """The scene draws sampled for a view-projection when the profile names no camera block."""
    found = detection.identification
    if detection.profile.camera.block:
        return ()
    return camera_draws([a.event_id for a in frame.draws
                         if a.depth_output == found.depth_target and a.event_id <= found.depth_event])
