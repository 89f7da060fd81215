"""Raw texture bytes → the frame's output arrays (pure numpy, no replay, no files).

Output arrays (docs/dataset.md):
- `rgb`: uint8 (H, W, 3), the final image before the HUD, as displayed.
- G-buffer roles (`albedo`, `material`, ...): uint8 (H, W, C) for 8-bit
  targets (values as stored, sRGB-encoded where the format is sRGB), float16
  for half-float targets, float32 (H, W, C) for other float targets.
- `normals`: float32 (H, W, 3) unit normals in the OpenCV camera frame, NaN
  where there is no geometry; only when depth confirms the decode (or, with no
  camera to check against, when the profile names the encoding).
- `depth`: float32 (H, W) z-distance in metres, +inf where there is no geometry.
- `stencil`: uint8 (H, W), as the G-buffer pass left it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rdc_extract.decode.alpha import drop_meaningless_alpha
from rdc_extract.decode.channels import fill_pixels, leading_channels
from rdc_extract.decode.depth import z_distance_m_from_near_far, z_distance_m_from_projection
from rdc_extract.decode.formats import TextureDesc, typed_view
from rdc_extract.decode.normals import decode_normals
from rdc_extract.decode.normals_check import Candidate, choose_encoding
from rdc_extract.decode.textures import decode_color, decode_color_f16, decode_color_u8, decode_depth_stencil
from rdc_extract.errors import ExtractionFailed, ProfileMismatch
from rdc_extract.extract.camera import Camera
from rdc_extract.extract.conventions import Conventions
from rdc_extract.frame.model import Texture
from rdc_extract.profiles.identify import Identification
from rdc_extract.profiles.schema import Profile, TargetRole

_EIGHT_BIT_TYPES = ("UNorm", "UNormSRGB")


@dataclass(frozen=True)
class RawFrame:
    """What replay read: texture bytes by resource id (at the planned events), the camera and the conventions."""

    api: str
    textures: dict[int, Texture]
    data: dict[int, bytes]
    camera: Camera | None
    conventions: Conventions | None = None


def _desc(raw: RawFrame, resource_id: int) -> TextureDesc:
    texture = raw.textures[resource_id]
    return TextureDesc(texture.width, texture.height, texture.format, raw.api)


def _is_eight_bit(texture: Texture) -> bool:
    fmt = typed_view(texture.format)
    return fmt.layout == "Regular" and fmt.component_bytes == 1 and fmt.component_type in _EIGHT_BIT_TYPES


def _is_half_float(texture: Texture) -> bool:
    fmt = typed_view(texture.format)
    return fmt.layout == "Regular" and fmt.component_bytes == 2 and fmt.component_type == "Float"


def decode_target(raw: RawFrame, resource_id: int) -> np.ndarray:
    """uint8 for 8-bit targets, float16 for half-float targets (both exact), float32 otherwise."""
    desc = _desc(raw, resource_id)
    data = raw.data[resource_id]
    texture = raw.textures[resource_id]
    if _is_eight_bit(texture):
        return decode_color_u8(data, desc)
    if _is_half_float(texture):
        return decode_color_f16(data, desc)
    return decode_color(data, desc)


def final_image_rgb(raw: RawFrame, resource_id: int) -> np.ndarray:
    image = leading_channels(decode_target(raw, resource_id), 3)
    if image.dtype != np.uint8:
        image = np.rint(np.clip(image, 0.0, 1.0) * 255.0).astype(np.uint8)
    return image


def depth_m(window_depth: np.ndarray, camera: Camera | None, conventions: Conventions, source: str) -> np.ndarray:
    """Metric z-distance: from the captured projection when there is one, else near/far (profile's)."""
    if camera is not None:
        return z_distance_m_from_projection(window_depth, camera.proj, clip_range=conventions.clip_range,
                                            depth_range=conventions.depth_range)
    if conventions.near_m is None or conventions.far_m is None:
        raise ProfileMismatch(source, "no metric depth: no perspective camera found among the constant blocks "
                              "bound at the scene's draws (neither a projection and a view nor a view-projection), "
                              "and the profile states no [depth] near_m/far_m")
    return z_distance_m_from_near_far(window_depth, conventions.near_m, conventions.far_m,
                                      reversed_z=conventions.reversed, clip_range=conventions.clip_range,
                                      depth_range=conventions.depth_range)


def normals_summary(record: dict[str, Any]) -> str:
    """How normals were decoded: `unorm_xyz/world (profile; depth agrees: mean 1.2°, 98% within 30°)`."""
    if record["encoding"] is None:
        return "not written (no encoding named and no camera to detect one)"
    agreement = record["agreement"]
    check = ("not checked" if agreement is None else
             f"{'depth agrees' if record['verified'] else 'depth disagrees'}: mean {agreement['mean_angle_deg']:.1f}°, "
             f"{agreement['within_30deg']:.0%} within 30°")
    written = "" if record["written"] else ", not written"
    return f"{record['encoding']}/{record['space']} ({record['source']}; {check}{written})"


@dataclass
class Computed:
    """The output arrays, the normals decision for meta.json, and warnings for meta.json and the summary."""

    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    normals: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)


def _normals(raw: RawFrame, resource_id: int, role: TargetRole, depth: np.ndarray, source: str,
             computed: Computed) -> None:
    """Decode the normals target with the profile's encoding or the detected one, if depth confirms it.

    Decodes that depth contradicts are not written (docs/decoding.md, "Checking
    and choosing an encoding"); without a camera nothing can be checked, so the
    profile's encoding is used unchecked and, when it names none, nothing is written.
    """
    camera = raw.camera
    if role.space == "world" and camera is None:
        raise ProfileMismatch(source, "world-space normals need the camera block, which was not bound")
    encoded = decode_color(raw.data[resource_id], _desc(raw, resource_id))
    stated = Candidate(role.encoding, role.space or "view") if role.encoding else None
    if camera is None:
        computed.normals = {"encoding": role.encoding, "space": role.space or "view",
                            "source": stated and "profile", "verified": False, "agreement": None,
                            "problems": [], "better": None, "written": stated is not None}
        if stated is None:
            computed.warnings.append("normals: not written: the profile names no encoding, and without "
                                     "a camera block depth cannot tell which one the game uses")
            return
        computed.warnings.append("normals: not checked against depth: no camera block")
        world_to_view = None
    else:
        texture = raw.textures[resource_id]
        K = camera.intrinsics(texture.width, texture.height)
        world_to_view = camera.view[:3, :3] / np.cbrt(abs(np.linalg.det(camera.view[:3, :3])))  # a rotation
        choice = choose_encoding(encoded, depth, K, world_to_view=world_to_view, stated=stated, space=role.space)
        computed.normals = {**choice.to_json(), "written": choice.verified}
        computed.warnings.extend(choice.warnings)
        if not choice.verified:
            computed.warnings.append("normals: not written: depth does not confirm the decode")
            return
        stated = choice.candidate
    normals = decode_normals(encoded, stated.encoding, world_to_view=world_to_view if stated.space == "world" else None)
    fill_pixels(normals, ~np.isfinite(depth), np.nan)
    computed.arrays["normals"] = normals


def unbound_roles(found: Identification, profile: Profile, outputs: tuple[str, ...]) -> list[str]:
    """Why each wanted G-buffer role cannot be read: its slot is not bound by the identified G-buffer pass."""
    return [f"profile {profile.name!r} puts {role.role!r} in colour slot {role.slot}, "
            f"which the G-buffer pass (#{found.gbuffer_pass}) does not bind"
            for role in profile.gbuffer.targets if role.role in outputs and role.role not in found.target_roles]


def compute_outputs(raw: RawFrame, found: Identification, profile: Profile, outputs: tuple[str, ...],
                    source: str) -> Computed:
    """Every requested output array except labels (made from `stencil` by the class map)."""
    computed = Computed()
    arrays = computed.arrays
    if "rgb" in outputs:
        arrays["rgb"] = final_image_rgb(raw, found.final_image_target)
    roles = {role.role: role for role in profile.gbuffer.targets}
    unbound = unbound_roles(found, profile, outputs)
    if unbound:
        raise ProfileMismatch(source, unbound[0])
    for name in outputs:
        if name in found.target_roles and name != "normals":
            arrays[name] = drop_meaningless_alpha(decode_target(raw, found.target_roles[name]))
    if found.depth_target in raw.data:
        window_depth, stencil = decode_depth_stencil(raw.data[found.depth_target], _desc(raw, found.depth_target))
        depth = None
        if {"depth", "normals"} & set(outputs):
            if raw.conventions is None:
                raise ExtractionFailed(source, "no depth conventions: the scene's pipeline state was not read")
            depth = depth_m(window_depth, raw.camera, raw.conventions, source)
        if depth is not None and "depth" in outputs:
            arrays["depth"] = depth
        if {"stencil", "labels"} & set(outputs):
            if stencil is None:
                raise ProfileMismatch(source, f"depth target {raw.textures[found.depth_target].format.name} "
                                      "has no stencil to label from")
            arrays["stencil"] = stencil
        if depth is not None and "normals" in outputs and "normals" in found.target_roles:
            _normals(raw, found.target_roles["normals"], roles["normals"], depth, source, computed)
    return computed
