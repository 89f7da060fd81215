"""`inspect`: replay a capture's action tree, group passes and apply a profile.

The result is plain data; `inspection_json` gives the stable `--json` schema
documented in docs/inspect.md (bump SCHEMA on any incompatible change).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rdc_extract.errors import IdentificationFailed
from rdc_extract.frame.model import Frame
from rdc_extract.profiles.identify import Candidate
from rdc_extract.profiles.registry import Detection, choose_profile
from rdc_extract.rd.frame_reader import read_frame
from rdc_extract.rd.session import open_capture

SCHEMA = "rdc-extract/inspect/1"


@dataclass
class Inspection:
    frame: Frame
    detection: Detection | None
    failure: IdentificationFailed | None

    @property
    def candidates(self) -> list[Candidate]:
        if self.detection is not None:
            return self.detection.identification.candidates
        return self.failure.candidates if self.failure else []


def inspect_capture(path: str | Path, profile: str | None = None) -> Inspection:
    """Read the frame and identify it; identification failure is kept, not raised."""
    with open_capture(path) as session:
        frame = read_frame(session)
    try:
        return Inspection(frame, choose_profile(frame, profile), None)
    except IdentificationFailed as exc:
        return Inspection(frame, None, exc)


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
    if detection is not None:
        found = asdict(detection.identification)
        del found["candidates"]
        document["identification"] = found
    if with_draws:
        document["actions"] = [
            {"event_id": a.event_id, "name": a.name, "kind": a.kind, "marker_path": list(a.marker_path),
             "colour_outputs": list(a.colour_outputs), "depth_output": a.depth_output,
             "vertex_count": a.vertex_count}
            for a in frame.actions
        ]
    return document
