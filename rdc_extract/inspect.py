"""`inspect`: replay a capture's action tree, group passes, apply a profile and check it as `extract` would.

The result is plain data; `inspection_json` gives the stable `--json` schema
documented in docs/inspect.md (bump SCHEMA on any incompatible change).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rdc_extract.dataset.files import write_png
from rdc_extract.decode.formats import TextureDesc
from rdc_extract.decode.preview import previews
from rdc_extract.errors import FileError, IdentificationFailed, TextureDataMismatch, UnsupportedFormat
from rdc_extract.extract.checks import CHECKED_OUTPUTS, ERROR, Check, check_computation, check_profile, checks_json
from rdc_extract.extract.compute import RawFrame
from rdc_extract.extract.replay import image_aspect, read_for_extraction, wanted_outputs
from rdc_extract.extract.plan import plan_reads
from rdc_extract.frame.model import Action, Frame
from rdc_extract.profiles.identify import Candidate
from rdc_extract.profiles.registry import Detection, Rejection, choose_profile
from rdc_extract.rd.bindings import BoundBlock, read_bound_blocks
from rdc_extract.rd.frame_reader import read_frame
from rdc_extract.rd.readback import read_at_events
from rdc_extract.rd.session import ReplaySession, open_capture

SCHEMA = "rdc-extract/inspect/1"


@dataclass(frozen=True)
class EventBindings:
    """What `--at EVENT` shows: the action there, its targets, and every constant block bound."""

    action: Action
    blocks: list[BoundBlock]


@dataclass
class Inspection:
    frame: Frame
    detection: Detection | None
    failure: IdentificationFailed | None
    at: EventBindings | None = None
    previews: list[str] = field(default_factory=list)   # files written by --preview, then "skipped …" lines
    checks: list[Check] = field(default_factory=list)   # the profile checked as extract checks it

    @property
    def rejected(self) -> list[Rejection]:
        """Auto-detection: the game profiles tried and not taken."""
        if self.detection is not None:
            return self.detection.rejected
        return self.failure.rejected if self.failure else []

    @property
    def check_errors(self) -> list[str]:
        return [check.cause for check in self.checks if check.verdict == ERROR]

    @property
    def candidates(self) -> list[Candidate]:
        if self.detection is not None:
            return self.detection.identification.candidates
        return self.failure.candidates if self.failure else []


def _action_at(frame: Frame, path: str | Path, event_id: int) -> Action:
    for action in frame.actions:
        if action.event_id == event_id:
            return action
    events = [a.event_id for a in frame.actions]
    span = f"{events[0]}–{events[-1]}" if events else "none"
    raise FileError(path, f"no action at event {event_id} (actions span events {span}; --draws lists them)")


def _pass_reads(frame: Frame) -> list[tuple[int, tuple[int, ...]]]:
    """Each pass's targets, read at its last event (what the pass left in them)."""
    reads = []
    for pass_ in frame.passes:
        targets = [rid for rid in (*pass_.colour_targets, pass_.depth_target) if rid in frame.textures]
        if targets:
            reads.append((pass_.last_event, tuple(dict.fromkeys(targets))))
    return reads


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "target"


def write_previews(frame: Frame, data_by_event: dict[int, dict[int, bytes]], folder: Path) -> list[str]:
    """One PNG thumbnail per pass target (`pass01_ev617_GBuffer.Albedo.png`, `…_depth.png`, `…_stencil.png`).

    Returns the files written, then one "skipped …" line per target that could not be decoded.
    """
    written, skipped = [], []
    for pass_ in frame.passes:
        for rid, raw in data_by_event.get(pass_.last_event, {}).items():
            if rid not in (*pass_.colour_targets, pass_.depth_target):
                continue
            texture = frame.textures[rid]
            stem = f"pass{pass_.index:02d}_ev{pass_.last_event}_{_safe(texture.name)}"
            try:
                images = previews(raw, TextureDesc(texture.width, texture.height, texture.format, frame.api))
            except (UnsupportedFormat, TextureDataMismatch) as exc:
                skipped.append(f"skipped {stem}: {exc}")
                continue
            for suffix, image in images.items():
                path = folder / f"{stem}{'_' + suffix if suffix else ''}.png"
                write_png(path, image)
                written.append(str(path))
    return written + skipped


def check_extraction(session: ReplaySession, frame: Frame, detection: Detection) -> list[Check]:
    """Every check `extract` makes with this profile on this frame (all its outputs), none stopping the others."""
    found, profile, source = detection.identification, detection.profile, frame.capture
    outputs = wanted_outputs(frame, detection, None)
    plan = plan_reads(found, profile, tuple(name for name in outputs if name in CHECKED_OUTPUTS))
    reads = read_for_extraction(session, frame, detection, plan)
    checked = check_profile(found, profile, outputs, reads, plan.camera_event, image_aspect(frame, detection), source)
    if not checked.causes(ERROR):
        raw = RawFrame(frame.api, frame.textures, reads.data, checked.camera, checked.conventions)
        check_computation(raw, found, profile, outputs, source, checked)
    return checked.checks


def inspect_capture(path: str | Path, profile: str | None = None, at: int | None = None,
                    preview: Path | None = None) -> Inspection:
    """Read the frame, identify it and check the profile as `extract` would; failures are kept, not raised.

    With `at`, also read the constant blocks bound at that event; with
    `preview`, write a thumbnail of every pass's targets into that folder.
    """
    bindings, read = None, {}
    with open_capture(path) as session:
        frame = read_frame(session)
        try:
            detection, failure = choose_profile(frame, profile), None
        except IdentificationFailed as exc:  # kept, not raised: inspect shows what it could read
            detection, failure = None, exc
        checks = [] if detection is None else check_extraction(session, frame, detection)
        if at is not None:
            action = _action_at(frame, path, at)
            bindings = EventBindings(action, read_bound_blocks(session, at))
        if preview is not None:
            for event, targets in _pass_reads(frame):
                read[event] = read_at_events(session, [(event, targets)]).data
    files = []
    if preview is not None:
        preview.mkdir(parents=True, exist_ok=True)
        files = write_previews(frame, read, preview)
    return Inspection(frame, detection, failure, bindings, files, checks)


def member_json(value: Any) -> Any:
    """A block member as JSON: a number, a list (vector) or a list of rows (matrix)."""
    if value.size == 1:
        return value.item()
    return value[0].tolist() if value.shape[0] == 1 else value.tolist()


def bindings_json(bindings: EventBindings) -> dict[str, Any]:
    action = bindings.action
    return {
        "event_id": action.event_id, "name": action.name, "kind": action.kind,
        "colour_targets": list(action.colour_outputs), "depth_target": action.depth_output,
        "constant_blocks": [
            {"stage": b.stage, "slot": b.slot, "name": b.name,
             "members": {name: member_json(value) for name, value in b.members.items()}}
            for b in bindings.blocks
        ],
    }


def inspection_json(inspection: Inspection, with_draws: bool = False) -> dict[str, Any]:
    frame = inspection.frame
    detection = inspection.detection
    document: dict[str, Any] = {
        "schema": SCHEMA,
        "capture": frame.capture,
        "api": frame.api,
        "has_markers": frame.has_markers,
        "profile": None if detection is None else {
            "name": detection.profile.name, "path": str(detection.profile.path), "why": detection.why,
        },
        "identification": None,
        "error": None if inspection.failure is None else str(inspection.failure),
        "candidates": [asdict(c) for c in inspection.candidates],
        "textures": [
            {"resource_id": t.resource_id, "name": t.name, "width": t.width, "height": t.height,
             "format": t.format.name, "is_swap_buffer": t.is_swap_buffer}
            for t in frame.textures.values()
        ],
        "passes": [
            {"index": p.index, "name": p.name, "marker_path": list(p.marker_path),
             "first_event": p.first_event, "last_event": p.last_event,
             "draws": len(p.draws), "clears": len(p.clears),
             "colour_targets": list(p.colour_targets), "depth_target": p.depth_target}
            for p in frame.passes
        ],
    }
    document["rejected"] = [{"profile": r.profile, "reasons": r.reasons} for r in inspection.rejected]
    document["checks"] = checks_json(inspection.checks)
    if detection is not None:
        found = asdict(detection.identification)
        del found["candidates"]
        document["identification"] = found
    if inspection.at is not None:
        document["at"] = bindings_json(inspection.at)
    if inspection.previews:
        document["previews"] = inspection.previews
    if with_draws:
        document["actions"] = [
            {"event_id": a.event_id, "name": a.name, "kind": a.kind, "marker_path": list(a.marker_path),
             "colour_outputs": list(a.colour_outputs), "depth_output": a.depth_output,
             "vertex_count": a.vertex_count}
            for a in frame.actions
        ]
    return document
