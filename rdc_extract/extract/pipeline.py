"""`extract_capture`: one capture in, one complete frame folder out (docs/dataset.md).

Replay does the minimum (open, a `SetFrameEvent` per planned event, a
`GetTextureData` per planned target, one read of the constant blocks and depth state); the capture is
closed before decoding and writing. `meta.json` is removed first and written
last, so a folder with `meta.json` is always complete. The capture's SHA-256 is
computed beside the replay and checked against the one its sidecar recorded at
publication: RenderDoc files carry no checksum, and a flipped bit can replay.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shlex
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rdc_extract import __version__
from rdc_extract.batch.index import index_extracted
from rdc_extract.capture.sidecar import SIDECAR_SUFFIX, Sidecar, file_sha256, read_sidecar
from rdc_extract.dataset.files import remove_temporaries, write_json
from rdc_extract.dataset.names import META_FILE, frame_id as frame_id_of, shown
from rdc_extract.dataset.publish import StagedFrame
from rdc_extract.dataset.writers import write_drawids, write_instances, writer_for
from rdc_extract.decode.formats import TextureDesc
from rdc_extract.errors import CaptureDigestMismatch, CaptureError, ExtractionFailed, TextureDataMismatch, UnsupportedFormat
from rdc_extract.extract.camera import Camera, has_rigid_view
from rdc_extract.extract.checks import WARNING, check_profile
from rdc_extract.extract.clipspace import wants_clip_positions
from rdc_extract.extract.compute import Computed, RawFrame, compute_outputs
from rdc_extract.extract.conventions import PROFILE
from rdc_extract.extract.drawids import DrawIdBuilder, DrawIdMap, ScenePass, differencing, scene_pass
from rdc_extract.extract.instances import (FrameLabels, MergeKeys, MergeRule, build_instances, merge_record,
                                           rule_warning)
from rdc_extract.extract.plan import DRAW_SWEEP_OUTPUTS, ReadPlan, camera_draws, choose_outputs, needs_draw_sweep, plan_reads
from rdc_extract.frame.model import Frame, Texture
from rdc_extract.labels.classmap import ClassMap, LabelImages, apply_class_map, load_class_map
from rdc_extract.labels.files import write_label_images
from rdc_extract.labels.meta import label_sets_entry, with_label_outputs
from rdc_extract.labels.signature_rules import DrawIds
from rdc_extract.profiles.registry import Detection, choose_profile
from rdc_extract.profiles.schema import Profile
from rdc_extract.rd.frame_reader import read_frame
from rdc_extract.rd.loader import renderdoc_version
from rdc_extract.rd.readback import EventReads, Stepping, read_at_events
from rdc_extract.rd.remote import retried_elsewhere
from rdc_extract.rd.session import ReplaySession, open_capture

FRAME_SCHEMA = "rdc-extract/frame/1"
WRITE_THREADS = 4


@functools.cache
def _writer_pool(pid: int) -> ThreadPoolExecutor:
    """The threads that write this process's frames, started once (a batch writes hundreds of frames per process);
    per process id, since a forked child inherits the pool but not its threads."""
    return ThreadPoolExecutor(max_workers=WRITE_THREADS, thread_name_prefix="rdc-extract-write")


def _class_map(path: Path) -> ClassMap:
    """The cached mapping while its file is unchanged: the labels must be those the profile's hash names."""
    return _load_class_map(path, path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _load_class_map(path: Path, mtime_ns: int) -> ClassMap:
    return load_class_map(path)


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


def _metres_per_unit(profile: Profile) -> dict[str, Any]:
    """The game's world unit in metres, which depth, near/far and poses were scaled by, and where it came from."""
    stated = profile.depth.metres_per_unit
    return {"value": stated or 1.0,
            "source": PROFILE if stated else "assumed: the game's world unit taken as a metre "
                                             "(state [depth] metres_per_unit in a profile when it is not)"}


def _camera_record(camera: Camera | None, width: int, height: int) -> dict[str, Any] | None:
    if camera is None:
        return None
    conversion = camera.world_conversion
    infinite = camera.far_m is not None and camera.far_m == float("inf")
    return {
        "convention": "OpenCV camera frame: x right, y down, z forward; pixel centres at integer (u, v)",
        "K": camera.intrinsics(width, height).tolist(),
        "world_to_camera": camera.world_to_camera.tolist(),
        "world_conversion": None if conversion is None else {
            "matrix": conversion.tolist(),
            "why": "the game's world is left-handed (z negated) or its view scales (scaled to view units), so "
                   "that world_to_camera is a proper rigid transform; world_to_camera applies to "
                   "matrix @ (game world point)",
        },
        "view": camera.view.tolist(),
        "proj": camera.proj.tolist(),
        "handedness": camera.handedness,
        "near_m": camera.near_m,
        "far_m": None if infinite else camera.far_m,
        "far_infinite": infinite,
        "source": camera.found_in,
        "source_event": camera.event,
    }


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


def _drawid_stepping(frame: Frame, scene: ScenePass | None, plan: ReadPlan,
                     merge_keys: MergeKeys | None) -> tuple[DrawIdBuilder | None, Stepping | None]:
    """The builder of the draw-id map and the stepping that feeds it, when the plan steps through the scene; with
    `merge_keys`, each draw's value of the profile's instance constant is read in the same sweep."""
    if scene is None or not plan.steps:
        return None, None
    descs = [TextureDesc(frame.textures[rid].width, frame.textures[rid].height, frame.textures[rid].format, frame.api)
             for rid in plan.step_targets]
    builder, seen = differencing(scene, descs)
    rule = merge_keys.rule if merge_keys is not None else None
    return builder, Stepping(plan.steps, plan.step_targets, seen, tuple(a.event_id for a in scene.draws),
                             builder.describe, tuple(frame.textures),
                             (rule.block, rule.member) if rule is not None else None,
                             merge_keys.seen if merge_keys is not None else None)


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


def _frame_labels(images: LabelImages, class_map: ClassMap) -> FrameLabels:
    """The labels the frame's labels.png holds, for each instance's class."""
    return FrameLabels(images.ids, {c.id: c.name for c in class_map.classes}, class_map.name)


def _drawids_table(scene: ScenePass, table: list[dict[str, Any]], textures: dict[int, TextureDesc]) -> dict[str, Any]:
    return {
        "none": 0,
        "pass": {"first_event": scene.steps[0].event_id, "last_event": scene.steps[-1].event_id,
                 "targets_compared": [{"resource_id": rid, "name": textures[rid].name} for rid in scene.targets]},
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


def _camera_draws(frame: Frame, detection: Detection) -> tuple[int, ...]:
    """The scene draws sampled for a view-projection when the profile names no camera block."""
    found = detection.identification
    if detection.profile.camera.block:
        return ()
    return camera_draws([a.event_id for a in frame.draws
                         if a.depth_output == found.depth_target and a.event_id <= found.depth_event])


def _meta(replayed: Replayed, raw: RawFrame, files: dict[str, str], labels: dict[str, Any] | None,
          timing: dict[str, float], computed: Computed) -> dict[str, Any]:
    capture, sidecar, detection = replayed.capture, replayed.sidecar, replayed.detection
    found = detection.identification
    texture = raw.textures[found.final_image_target]
    return {
        "schema": FRAME_SCHEMA,
        "frame_id": replayed.frame_id,
        "capture": {"path": str(capture), "sha256": replayed.digest, "bytes": capture.stat().st_size,
                    "verified": sidecar is not None and sidecar.capture_sha256 is not None},
        "api": raw.api,
        "profile": {"name": detection.profile.name, "path": str(detection.profile.path), "why": detection.why,
                    "sha256": detection.profile.sha256},
        "events": {
            "gbuffer_first": found.gbuffer_first_event,
            "gbuffer_last": found.gbuffer_last_event,
            "scene_depth": found.depth_event,
            "final_image": found.final_image_event,
            "first_hud": found.first_hud_event,
        },
        "gbuffer": None if found.gbuffer_pass is None else {
            "pass": found.gbuffer_pass, "first_event": found.gbuffer_first_event, "last_event": found.gbuffer_last_event},
        "renderer": "deferred" if found.gbuffer_pass is not None else "forward (no G-buffer)",
        "final_image": {"event": found.final_image_event, "first_ui_event": found.first_hud_event,
                        "why": found.final_image_rule},
        "identification": found.evidence,
        "targets": {
            role: {"resource_id": rid, "name": raw.textures[rid].name, "format": raw.textures[rid].format.name}
            for role, rid in {**found.target_roles, "depth_stencil": found.depth_target,
                              "final_image": found.final_image_target}.items()
            if rid in raw.textures
        },
        "image": {"width": texture.width, "height": texture.height},
        "camera": _camera_record(raw.camera, texture.width, texture.height),
        "depth": {"kind": "z-distance along the optical axis", "unit": "m", "invalid": "+inf in depth.tiff, 0 in depth_kitti.png",
                  "from": "captured projection matrix" if raw.camera else "near/far",
                  "metres_per_unit": _metres_per_unit(detection.profile),
                  "conventions": raw.conventions.to_json() if raw.conventions else None},
        "normals": computed.normals,
        "outputs": files,
        "labels": labels,
        "label_sets": None if labels is None else label_sets_entry(labels["mapping"], {labels["mapping"]: labels}),
        "warnings": computed.warnings,
        "scenario": sidecar.to_json() if sidecar else None,
        "versions": {"rdc_extract": __version__, "renderdoc": replayed.renderdoc},
        "replayed_on": replayed.replayed_on or "this machine",
        "timing_s": {key: round(value, 4) for key, value in timing.items()},
    }


def inspect_hint(capture: Path, profile: str | None) -> str:
    """The command that shows, check by check, why a profile does not fit a capture."""
    named = f" --profile {shlex.quote(profile)}" if profile else ""
    return f"run: rdc-extract inspect {shown(shlex.quote(str(capture)))}{named} for details"


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


def extract_capture(capture: str | Path, frame_dir: str | Path, *, profile: str | None = None,
                    outputs: Sequence[str] | None = None, frame_id: str | None = None) -> dict[str, Any]:
    """Write one frame folder from `capture`; returns its meta.json document.

    Raises CaptureError subclasses (path-carrying) for captures that cannot be
    used, SidecarError for a bad sidecar, ProfileError for a bad profile. When
    the profile does not fit the frame, the message ends with the `inspect`
    command that lists every check.
    """
    replayed = replay_capture(capture, profile=profile, outputs=outputs, frame_id=frame_id)
    return write_frame(replayed, Path(frame_dir))


@contextlib.contextmanager
def _pointing_to_inspect(capture: Path, profile: str | None) -> Iterator[None]:
    try:
        yield
    except CaptureError as exc:
        if exc.inspect_helps:
            exc.add_hint(inspect_hint(capture, profile))
        raise


def replay_capture(capture: str | Path, *, profile: str | None = None, outputs: Sequence[str] | None = None,
                   frame_id: str | None = None) -> Replayed:
    """The replay half of `extract_capture`: open, identify, read what the outputs need, close."""
    capture = Path(capture)
    with _pointing_to_inspect(capture, profile):
        return retried_elsewhere(lambda: _replay(capture, profile, outputs, frame_id))


def _replay(capture: Path, profile: str | None, outputs: Sequence[str] | None, frame_id: str | None) -> Replayed:
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
            wanted = wanted_outputs(frame, detection, outputs)
            scene = _scene_for(frame, detection, wanted, capture)
            plan = plan_reads(detection.identification, detection.profile, wanted, scene)
            identified = time.perf_counter()
            merge_keys = _merge_keys(detection.profile, wanted)
            drawids, stepping = _drawid_stepping(frame, scene, plan, merge_keys)
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


def write_frame(replayed: Replayed, frame_dir: Path) -> dict[str, Any]:
    """The writing half of `extract_capture`: check the profile against what was read, decode, write the
    frame folder (meta.json last); returns the meta.json document."""
    with _pointing_to_inspect(replayed.capture, replayed.profile_asked):
        return _write_frame(replayed, frame_dir)


def _write_frame(replayed: Replayed, frame_dir: Path) -> dict[str, Any]:
    started = time.perf_counter()
    capture, detection, wanted, rules = replayed.capture, replayed.detection, replayed.wanted, replayed.detection.profile
    checked = check_profile(detection.identification, rules, wanted, replayed.reads, replayed.camera_event,
                            replayed.aspect, str(capture))
    checked.raise_first_error(str(capture))
    try:
        raw = RawFrame(api=replayed.api, textures=replayed.textures, data=replayed.reads.data, camera=checked.camera,
                       conventions=checked.conventions)
        computed = compute_outputs(raw, detection.identification, rules, wanted, str(capture))
        computed.warnings[:0] = checked.causes(WARNING)
        arrays = computed.arrays
        drawmap = replayed.drawids
        draw_ids = None   # labels use the draw ids only when they are written too: relabel reads them from files
        if drawmap is not None and replayed.drawids_table is not None and "drawids" in wanted:
            draw_ids = DrawIds(drawmap.ids, replayed.drawids_table["draws"])
        class_map = _class_map(rules.stencil.classes) if rules.stencil.classes is not None else None
        label_images = None
        if "labels" in wanted and class_map is not None:
            label_images = apply_class_map(arrays["stencil"], class_map, draw_ids)
        instances = None
        if drawmap is not None and "instances" in wanted:
            instances = build_instances(drawmap.ids, drawmap.table, replayed.instance_keys,
                                        merge_record(replayed.instance_rule, rules.name),
                                        _frame_labels(label_images, class_map) if label_images is not None else None)
            computed.warnings.extend(filter(None, [rule_warning(instances.table, replayed.scene_draws)]))
    except (KeyError, ValueError, UnsupportedFormat, TextureDataMismatch) as exc:
        raise ExtractionFailed(capture, str(exc).strip("'\"")) from exc
    decoded = time.perf_counter()

    frame_dir.mkdir(parents=True, exist_ok=True)
    (frame_dir / META_FILE).unlink(missing_ok=True)
    remove_temporaries(frame_dir)
    files: dict[str, str] = {}
    labels = None
    # Encoding is zlib-bound and zlib releases the GIL: writing outputs side by side
    # hides most of it behind the largest one.
    pool = _writer_pool(os.getpid())
    written: list[Future[dict[str, str]]] = []
    try:
        for name, array in arrays.items():
            if name != "stencil" or "stencil" in wanted:
                written.append(pool.submit(writer_for(name), frame_dir, array))
        if draw_ids is not None:
            written.append(pool.submit(write_drawids, frame_dir, draw_ids.ids, replayed.drawids_table))
        if instances is not None:
            written.append(pool.submit(write_instances, frame_dir, instances.ids, instances.table))
        if label_images is not None and class_map is not None:
            labels = write_label_images(frame_dir, label_images, class_map)
            files = with_label_outputs(files, labels)
    finally:
        wait(written)   # nothing may still write into the folder when this returns or raises
    for future in written:
        files.update(future.result())
    timing = {**replayed.timing, "decode": decoded - started, "write": time.perf_counter() - decoded}
    meta = _meta(replayed, raw, files, labels, timing, computed)
    write_json(frame_dir / META_FILE, meta)
    return meta


def extract_to_dataset(capture: Path, out_dir: Path, *, profile: str | None = None,
                       outputs: Sequence[str] | None = None) -> tuple[dict[str, Any], Path]:
    """`extract_capture` into `out_dir/frames/<frame_id of the capture's file name>/`, staged and published whole,
    then its row in `out_dir/index.csv`.

    A failure leaves an earlier frame folder of the capture as it was. Returns
    the meta.json document and the frame folder.
    """
    frame = StagedFrame(out_dir, frame_id_of(capture.name), f"extract-{os.getpid()}")
    try:
        meta = extract_capture(capture, frame.stage, profile=profile, outputs=outputs, frame_id=frame.frame_id)
        frame.publish()
    finally:
        frame.discard()
        with contextlib.suppress(OSError):
            frame.staging.rmdir()  # only when empty: a batch may be staging there too
    index_extracted(out_dir, meta)
    return meta, frame.final
