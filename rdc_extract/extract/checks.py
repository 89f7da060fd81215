"""Checking a profile against one frame: the G-buffer target slots, the camera and the depth conventions (pure).

`extract` stops at the first error and keeps the warnings in meta.json;
`inspect` lists every check with its verdict. Both call `check_profile` (and
`inspect` then runs extraction's own computation of depth, normals and
stencil), so the causes read the same in both and a profile inspect passes is
one extract accepts.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rdc_extract.decode.depth import DepthState
from rdc_extract.errors import ExtractionFailed, ProfileMismatch, TextureDataMismatch, UnsupportedFormat
from rdc_extract.extract.camera import Camera, camera_from_blocks, find_view_projection, is_perspective, is_rigid
from rdc_extract.extract.clipspace import VertexOutput, vertex_output_at
from rdc_extract.extract.compute import RawFrame, compute_outputs, normals_summary, unbound_roles
from rdc_extract.extract.conventions import Conventions, resolve_conventions
from rdc_extract.profiles.identify import Identification
from rdc_extract.profiles.schema import Profile

if TYPE_CHECKING:  # plain data read by rd/; this module stays free of replay code
    from rdc_extract.rd.readback import EventReads

OK, WARNING, ERROR = "ok", "warning", "error"


@dataclass(frozen=True)
class Check:
    """One thing checked: what (`topic`), its verdict (ok, warning, error) and the cause, as extract words it."""

    topic: str
    verdict: str
    cause: str


@dataclass
class ProfileCheck:
    """Every check, and what extraction goes on with: the camera (near/far resolved) and the conventions."""

    checks: list[Check] = field(default_factory=list)
    camera: Camera | None = None
    conventions: Conventions | None = None

    def add(self, topic: str, verdict: str, cause: str) -> None:
        self.checks.append(Check(topic, verdict, cause))

    def causes(self, verdict: str) -> list[str]:
        return [check.cause for check in self.checks if check.verdict == verdict]

    def raise_first_error(self, source: str) -> None:
        errors = self.causes(ERROR)
        if errors:
            raise ProfileMismatch(source, errors[0])


def check_targets(found: Identification, profile: Profile, outputs: tuple[str, ...], result: ProfileCheck) -> None:
    """Each wanted G-buffer role: bound by the identified pass in the profile's slot, or an error."""
    for problem in unbound_roles(found, profile, outputs):
        result.add("gbuffer targets", ERROR, problem)
    for role in profile.gbuffer.targets:
        if role.role in outputs and role.role in found.target_roles:
            result.add("gbuffer targets", OK, f"{role.role}: colour slot {role.slot} is #{found.target_roles[role.role]}")


def check_camera(reads: EventReads, profile: Profile, event: int, aspect: float,
                 result: ProfileCheck) -> tuple[Camera | None, DepthState | None]:
    """The camera extraction would use, with the depth state of the draw it was read at.

    The profile's named block and members; else a projection and a view held
    apart at the scene event; else a view-projection split at the sampled scene
    draws (`extract/camera.py`). The scene event may be a UI draw, so the depth
    state comes from the draw the camera was found at.
    """
    rules, where = profile.camera, f"at event {event}"
    state = reads.depth_state
    ndc_y_up = state.ndc_y_up if state else True
    bound = ", ".join(reads.blocks) or "none"
    try:
        camera = camera_from_blocks(reads.blocks, rules)
    except (KeyError, ValueError) as exc:
        detail = exc.args[0] if isinstance(exc, KeyError) else (
            f"the members of constant block {rules.block!r} do not have the shapes [camera] needs ({exc})")
        result.add("camera", ERROR, f"profile {profile.name!r} [camera]: {detail}, {where}")
        return None, state
    if camera is None and not rules.block:
        camera = find_view_projection(reads.draw_blocks, aspect=aspect, ndc_y_up=ndc_y_up)
        if camera is not None:
            state, where = reads.draw_depth_states.get(camera.event, state), ""  # found_in names its event
    if camera is None and rules.block:
        result.add("camera", WARNING, f"profile {profile.name!r} [camera] block = {rules.block!r}: no constant block "
                                      f"of that name is bound {where} (bound: {bound})")
    elif camera is None:
        sampled = ", ".join(map(str, reads.draw_blocks)) or "none"
        result.add("camera", WARNING, f"no perspective camera found among the constant blocks bound {where} "
                                      f"(bound: {bound}) or at the sampled scene draws ({sampled}): neither a "
                                      "projection and a view nor a view-projection; name them in the profile's [camera]")
    elif rules.block and not is_perspective(camera.proj):
        result.add("camera", ERROR, f"profile {profile.name!r} [camera] projection = {str(rules.projection)!r}: member of "
                                    f"block {rules.block!r} {where} is not a perspective projection")
    elif rules.block and not is_rigid(camera.view):
        result.add("camera", ERROR, f"profile {profile.name!r} [camera] view = {str(rules.view)!r}: member of "
                                    f"block {rules.block!r} {where} is not a rigid view (rotation and translation)")
    else:
        result.add("camera", OK, f"{camera.found_in} {where}".strip())
        return dataclasses.replace(camera, ndc_y_up=ndc_y_up), state
    return None, state


def _value_text(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value).lower()


def _sources_line(conventions: Conventions) -> str:
    """`clip_range zero_to_one (captured pipeline state), reversed true (projection matrix), …`"""
    record = conventions.to_json()
    far = "infinite" if record["far_infinite"] else record["far_m"]["value"]
    values = {**{key: entry["value"] for key, entry in record.items() if isinstance(entry, dict)}, "far_m": far}
    return ", ".join(f"{key} {_value_text(values[key])} ({conventions.sources.get(key, '-')})"
                     for key in ("clip_range", "reversed", "depth_function", "near_m", "far_m", "handedness",
                                 "ndc_y_up")
                     if values[key] is not None)


def check_conventions(state: DepthState | None, camera: Camera | None, profile: Profile, source: str,
                      result: ProfileCheck, vertex: VertexOutput | None = None) -> Conventions | None:
    """Clip range, depth direction, near/far and handedness from the capture, the profile's values checked."""
    try:
        conventions = resolve_conventions(state, camera, profile, source, vertex)
    except ProfileMismatch as exc:
        result.add("depth conventions", ERROR, exc.detail)
        return None
    for warning in conventions.warnings:
        result.add("depth conventions", WARNING, warning)
    result.add("depth conventions", OK, _sources_line(conventions))
    return conventions


def _split_again(camera: Camera, reads: EventReads, aspect: float, *, ndc_y_up: bool) -> Camera:
    """The camera split again with the matrix's own y direction, as the vertex shader's output showed it (a shader
    that negates y makes the matrix's y the opposite of the viewport's)."""
    again = find_view_projection(reads.draw_blocks, aspect=aspect, ndc_y_up=ndc_y_up)
    return camera if again is None else dataclasses.replace(again, ndc_y_up=ndc_y_up)


def check_profile(found: Identification, profile: Profile, outputs: tuple[str, ...], reads: EventReads,
                  camera_event: int | None, aspect: float, source: str) -> ProfileCheck:
    """What extraction relies on before decoding; the camera and conventions only when depth or normals are wanted."""
    result = ProfileCheck()
    check_targets(found, profile, outputs, result)
    if camera_event is None:
        return result
    camera, depth_state = check_camera(reads, profile, camera_event, aspect, result)
    if result.causes(ERROR):
        return result
    vertex = None
    if camera is not None and depth_state is not None:
        vertex = vertex_output_at(camera.event, camera.proj @ camera.view, camera.proj, reads.clip_positions,
                                  reads.vertex_inputs, depth_state.clip_range)
    shown_y = vertex.matrix_ndc_y_up(depth_state.ndc_y_up) if vertex is not None else None
    if shown_y is not None and shown_y[0] != camera.ndc_y_up:
        camera = _split_again(camera, reads, aspect, ndc_y_up=shown_y[0])
    conventions = check_conventions(depth_state, camera, profile, source, result, vertex)
    if conventions is not None and camera is not None:
        camera = dataclasses.replace(camera.in_metres(profile.depth.metres_per_unit or 1.0),
                                     near_m=conventions.near_m, far_m=conventions.far_m)
    result.camera, result.conventions = camera, conventions
    return result


CHECKED_OUTPUTS = ("depth", "normals", "stencil", "labels")


def check_computation(raw: RawFrame, found: Identification, profile: Profile, outputs: tuple[str, ...],
                      source: str, result: ProfileCheck) -> None:
    """Extraction's own computation of the wanted depth, normals and stencil outputs, as checks.

    This is where metric depth needs a camera or near/far, world-space normals
    a camera, labels a stencil, and where depth confirms the normals encoding.
    """
    wanted = tuple(name for name in outputs if name in CHECKED_OUTPUTS)
    try:
        computed = compute_outputs(raw, found, profile, wanted, source)
    except (ExtractionFailed, UnsupportedFormat, TextureDataMismatch) as exc:
        cause = exc.detail if isinstance(exc, ExtractionFailed) else str(exc)
        what = cause.partition(":")[0]
        result.add(next((name for name in ("stencil", "normals", "depth") if name in what), "outputs"), ERROR, cause)
        return
    if "depth" in computed.arrays:
        result.add("depth", OK, "metric depth from " + (raw.camera.found_in if raw.camera else
                                                        "the near/far planes, no camera found"))
    if computed.normals is not None:
        result.add("normals", OK if computed.normals["written"] else WARNING, normals_summary(computed.normals))
    for warning in computed.warnings:
        result.add("normals" if warning.startswith("normals") else "outputs", WARNING, warning)
    if "stencil" in computed.arrays:
        result.add("stencil", OK, "the depth target has a stencil" + (" to label from" if "labels" in wanted else ""))


def checks_json(checks: list[Check]) -> list[dict[str, Any]]:
    return [dataclasses.asdict(check) for check in checks]
