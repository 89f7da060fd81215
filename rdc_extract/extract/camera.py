"""The camera of a frame, from the values of the profile's constant block (pure).

Conventions: `view` and `proj` are as the game's shaders use them (column
vectors, OpenGL-style view space: x right, y up, z backwards). Extrinsics are
given in the OpenCV camera frame (x right, y down, z forward), like K.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rdc_extract.decode.depth import intrinsics_from_projection
from rdc_extract.profiles.schema import CameraRules, DepthRules

_GL_TO_OPENCV = np.diag([1.0, -1.0, -1.0, 1.0])


@dataclass(frozen=True)
class Camera:
    view: np.ndarray  # 4x4 world → GL view space
    proj: np.ndarray  # 4x4 projection as the game built it
    near_m: float | None
    far_m: float | None

    @property
    def world_to_camera(self) -> np.ndarray:
        """4x4 world → OpenCV camera frame (x right, y down, z forward), metres."""
        return _GL_TO_OPENCV @ self.view

    def intrinsics(self, width: int, height: int, *, ndc_y_up: bool = True) -> np.ndarray:
        return intrinsics_from_projection(self.proj, width, height, ndc_y_up=ndc_y_up)


def _member(values: dict[str, np.ndarray], selector: str, block: str) -> np.ndarray:
    """`name` or `name.x|y|z|w` from a block's members."""
    name, _, component = selector.partition(".")
    if name not in values:
        raise KeyError(f"constant block {block!r} has no member {name!r} (has: {', '.join(values)})")
    value = values[name]
    return value.reshape(-1)["xyzw".index(component)] if component else value


def camera_from_block(values: dict[str, np.ndarray], rules: CameraRules, depth: DepthRules) -> Camera:
    """Camera from a constant block's members; near/far fall back to the profile's [depth] values."""
    block = rules.block or "?"
    view = _member(values, rules.view, block).reshape(4, 4)
    proj = _member(values, rules.projection, block).reshape(4, 4)
    near = float(_member(values, rules.near, block)) if rules.near else depth.near_m
    far = float(_member(values, rules.far, block)) if rules.far else depth.far_m
    return Camera(view=view, proj=proj, near_m=near, far_m=far)
