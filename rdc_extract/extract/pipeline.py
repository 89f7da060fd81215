"""`extract_capture`: one capture in, one complete frame folder out (docs/dataset.md).

The replay half (extract/replay.py) closes the capture before this half
decodes and writes. `meta.json` is removed first and written last, so a
folder with `meta.json` is always complete.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from rdc_extract import __version__
from rdc_extract.batch.index import index_extracted
from rdc_extract.dataset.files import remove_temporaries, write_json
from rdc_extract.dataset.names import META_FILE, frame_id as frame_id_of
from rdc_extract.dataset.publish import StagedFrame
from rdc_extract.dataset.writers import write_drawids, write_instances, writer_for
from rdc_extract.errors import ExtractionFailed, TextureDataMismatch, UnsupportedFormat
from rdc_extract.extract.camera import Camera
from rdc_extract.extract.checks import WARNING, check_profile
from rdc_extract.extract.compute import Computed, RawFrame, compute_outputs
from rdc_extract.extract.conventions import PROFILE
from rdc_extract.extract.instances import FrameLabels, build_instances, merge_record, rule_warning
from rdc_extract.extract.replay import Replayed, pointing_to_inspect, replay_capture
from rdc_extract.frame.model import capture_resource_id
from rdc_extract.labels.classmap import ClassMap, LabelImages, apply_class_map, load_class_map
from rdc_extract.labels.files import write_label_images
from rdc_extract.labels.meta import label_sets_entry, with_label_outputs
from rdc_extract.labels.signature_rules import DrawIds
from rdc_extract.profiles.schema import Profile

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


def _frame_labels(images: LabelImages, class_map: ClassMap) -> FrameLabels:
    """The labels the frame's labels.png holds, for each instance's class."""
    return FrameLabels(images.ids, {c.id: c.name for c in class_map.classes}, class_map.name)


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
            role: {"resource_id": capture_resource_id(rid), "name": raw.textures[rid].name,
                   "format": raw.textures[rid].format.name}
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


def extract_capture(capture: str | Path, frame_dir: str | Path, *, profile: str | None = None,
                    outputs: Sequence[str] | None = None, frame_id: str | None = None,
                    time_budget_s: float | None = None) -> dict[str, Any]:
    """Write one frame folder from `capture`; returns its meta.json document (`time_budget_s`: as
    `replay_capture` takes it).

    Raises CaptureError subclasses (path-carrying) for captures that cannot be
    used, SidecarError for a bad sidecar, ProfileError for a bad profile. When
    the profile does not fit the frame, the message ends with the `inspect`
    command that lists every check.
    """
    replayed = replay_capture(capture, profile=profile, outputs=outputs, frame_id=frame_id,
                              time_budget_s=time_budget_s)
    return write_frame(replayed, Path(frame_dir))


def write_frame(replayed: Replayed, frame_dir: Path) -> dict[str, Any]:
    """The writing half of `extract_capture`: check the profile against what was read, decode, write the
    frame folder (meta.json last); returns the meta.json document."""
    with pointing_to_inspect(replayed.capture, replayed.profile_asked):
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
                       outputs: Sequence[str] | None = None,
                       replayed: Replayed | None = None) -> tuple[dict[str, Any], Path]:
    """`extract_capture` into `out_dir/frames/<frame_id of the capture's file name>/`, staged and published whole,
    then its row in `out_dir/index.csv`; `replayed`: the capture's replay, when another process did it.

    A failure leaves an earlier frame folder of the capture as it was. Returns
    the meta.json document and the frame folder.
    """
    frame = StagedFrame(out_dir, frame_id_of(capture.name), f"extract-{os.getpid()}")
    try:
        if replayed is None:
            replayed = replay_capture(capture, profile=profile, outputs=outputs, frame_id=frame.frame_id)
        meta = write_frame(replayed, frame.stage)
        frame.publish()
    finally:
        frame.discard()
        with contextlib.suppress(OSError):
            frame.staging.rmdir()  # only when empty: a batch may be staging there too
    index_extracted(out_dir, meta)
    return meta, frame.final
