"""The depth and camera conventions of a frame: read from the capture, the profile's values only checked (pure).

Each convention comes from the first source that has it: the vertex shader's
output at the draw the camera was found at (the clip range the projection's
depth reached the depth buffer in, the matrix's y direction; `clipspace.py`),
the captured pipeline state (clip range from GL clip control or the API, the
depth test, the viewport depth range, the viewport's y direction), the
projection matrix (depth direction, near/far, handedness), then the profile.
A profile value that contradicts the capture is reported as a warning naming
the key and the captured value, and the captured value is used; a capture
that contradicts itself (the projection found and the depth test disagree on
the depth direction, or the vertex shader's depth is not the projection's)
fails the extraction, since no choice is safe.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from rdc_extract.decode.depth import ClipRange, DepthState, handedness_of_projection, is_reversed_z, near_far_from_projection
from rdc_extract.errors import ProfileMismatch
from rdc_extract.extract.camera import Camera
from rdc_extract.extract.clipspace import VertexOutput
from rdc_extract.profiles.schema import Profile

CAPTURED = "captured pipeline state"
PROJECTION = "projection matrix"
PROFILE = "profile"
DEFAULT = "default (neither captured nor in the profile)"

_DIRECTION_OF_TEST = {"Less": False, "LessEqual": False, "Greater": True, "GreaterEqual": True}
_NEAR_FAR_TOLERANCE = 0.01


@dataclass
class Conventions:
    """Each convention's value and where it came from, plus the contradictions found."""

    clip_range: ClipRange
    reversed: bool
    near_m: float | None
    far_m: float | None
    handedness: str | None
    sources: dict[str, str]
    depth_function: str | None = None
    warnings: list[str] = field(default_factory=list)
    depth_range: tuple[float, float] = (0.0, 1.0)
    ndc_y_up: bool = True

    def to_json(self) -> dict[str, Any]:
        def entry(key: str, value: Any) -> dict[str, Any]:
            return {"value": value, "source": self.sources.get(key)}

        far = self.far_m
        return {
            "clip_range": entry("clip_range", self.clip_range),
            "reversed": entry("reversed", self.reversed),
            "depth_function": entry("depth_function", self.depth_function),
            "depth_range": entry("depth_range", list(self.depth_range)),
            "near_m": entry("near_m", self.near_m),
            "far_m": entry("far_m", None if far is None or math.isinf(far) else far),
            "far_infinite": far is not None and math.isinf(far),
            "handedness": entry("handedness", self.handedness),
            "ndc_y_up": entry("ndc_y_up", self.ndc_y_up),
        }


def _differs(stated: float, captured: float) -> bool:
    if math.isinf(captured) or math.isinf(stated):
        return math.isinf(captured) != math.isinf(stated)
    return abs(stated - captured) > _NEAR_FAR_TOLERANCE * abs(captured)


def _name(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value).lower()


def _clip_range_of_vertex_output(vertex: VertexOutput, camera: Camera, source: str) -> ClipRange | None:
    """The clip range the vertex output shows, None when it cannot tell; a ProfileMismatch when it shows depth
    that is not the projection's, or reversed by the shader (not modelled)."""
    fit = vertex.fit
    if fit is None or len(fit.fitting) > 1:
        return None
    if not fit.fitting:
        raise ProfileMismatch(source, f"the {vertex.where} does not follow the projection matrix "
                                      f"({camera.found_in}): {fit.describe()}; that matrix did not draw this depth")
    remap = fit.fitting[0]
    if remap.decoded_as is None:
        raise ProfileMismatch(source, f"the {vertex.where} reverses the projection's depth ({remap.name}): "
                                      "depth reversed by the vertex shader is not modelled")
    return remap.decoded_as


def resolve_conventions(state: DepthState | None, camera: Camera | None, profile: Profile,
                        source: str, vertex: VertexOutput | None = None) -> Conventions:
    """Clip range, depth direction, near/far and handedness for one frame, with their sources.

    `vertex`: the fit of the vertex output at the camera's draw, when it was read.
    """
    depth, rules = profile.depth, profile.camera
    warnings: list[str] = []
    sources: dict[str, str] = {}

    def contradiction(key: str, stated: Any, captured: Any, where: str) -> None:
        warnings.append(f"profile {profile.name!r} [{key.split('.')[0]}] {key.split('.')[1]} = {_name(stated)} "
                        f"contradicts the {where} ({_name(captured)}); used the {where}'s value")

    def choose(key: str, captured: Any, where: str, stated: Any, default: Any, table: str = "depth") -> Any:
        if captured is not None:
            if stated is not None and stated != captured:
                contradiction(f"{table}.{key}", stated, captured, where)
            sources[key] = where
            return captured
        if stated is not None:
            sources[key] = PROFILE
            return stated
        sources[key] = DEFAULT
        return default

    shown = _clip_range_of_vertex_output(vertex, camera, source) if vertex and camera else None
    if shown is not None:
        clip_range = choose("clip_range", shown, vertex.where, depth.clip_range, "zero_to_one")
    else:
        clip_range = choose("clip_range", state.clip_range if state else None, CAPTURED, depth.clip_range,
                            "zero_to_one")
    ndc_y_up = state.ndc_y_up if state else True
    sources["ndc_y_up"] = CAPTURED + " (viewport)" if state else DEFAULT
    shown_y = vertex.matrix_ndc_y_up(ndc_y_up) if vertex is not None else None
    if shown_y is not None:
        ndc_y_up, sources["ndc_y_up"] = shown_y
    depth_range = state.depth_range if state else (0.0, 1.0)
    sources["depth_range"] = CAPTURED if state else DEFAULT
    function = state.depth_function if state else None
    by_test = _DIRECTION_OF_TEST.get(function or "")
    proj = camera.proj if camera else None
    by_projection = is_reversed_z(proj, clip_range=clip_range) if proj is not None else None
    if by_test is not None and by_projection is not None and by_test != by_projection:
        raise ProfileMismatch(source, f"the projection matrix ({camera.found_in}) makes depth "
                               f"{'reversed' if by_projection else 'conventional'}, but the captured depth test "
                               f"is {function}: that matrix did not draw this depth")
    if by_projection is not None:
        reversed_z = choose("reversed", by_projection, PROJECTION, depth.reversed, False)
    else:
        reversed_z = choose("reversed", by_test, CAPTURED + " (depth test)", depth.reversed, False)
    if function:
        sources["depth_function"] = CAPTURED

    near = far = handedness = None
    if camera is not None:
        metres = depth.metres_per_unit or 1.0  # the projection's planes are in the game's units
        near, far = (plane * metres for plane in near_far_from_projection(proj, clip_range=clip_range))
        sources["near_m"] = sources["far_m"] = PROJECTION
        for key, stated, captured in (("near_m", depth.near_m, near), ("far_m", depth.far_m, far)):
            if stated is not None and _differs(stated, captured):
                contradiction(f"depth.{key}", stated, captured, PROJECTION)
        for key, member, value, captured in (("near", rules.near, camera.near_m, near),
                                             ("far", rules.far, camera.far_m, far)):
            if value is not None and _differs(value * metres, captured):
                warnings.append(f"camera: constant block member {member!r} (profile [camera] {key}) holds {value:g}, "
                                f"the projection's {key} plane is at {captured:g} m; used the projection's")
        handedness = choose("handedness", handedness_of_projection(proj), PROJECTION, rules.handedness, None,
                            table="camera")
    else:
        near = choose("near_m", None, "", depth.near_m, None)
        far = choose("far_m", None, "", depth.far_m, None)
        handedness = choose("handedness", None, "", rules.handedness, None, table="camera")
    return Conventions(clip_range, reversed_z, near, far, handedness, sources, function, warnings, depth_range,
                       ndc_y_up)
