"""The camera of a frame, from the constant blocks bound at the scene's draws (pure).

Conventions: `view` and `proj` are as the game's shaders use them (column
vectors). View space is OpenGL-style (x right, y up, z backwards) when the
projection is right-handed (w row `[0, 0, -1, 0]`), D3D-style (z forward) when
it is left-handed (`[0, 0, +1, 0]`). Extrinsics are given in the OpenCV camera
frame (x right, y down, z forward), like K, and must be a proper rotation: a
left-handed game world is converted (its z axis negated, `world_conversion`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rdc_extract.decode.depth import handedness_of_projection, intrinsics_from_projection
from rdc_extract.profiles.schema import CameraRules

_VIEW_TO_OPENCV = {"right": np.diag([1.0, -1.0, -1.0, 1.0]), "left": np.diag([1.0, -1.0, 1.0, 1.0])}
_FLIP_WORLD_Z = np.diag([1.0, 1.0, -1.0, 1.0])

Blocks = dict[str, dict[str, np.ndarray]]


@dataclass(frozen=True)
class Camera:
    view: np.ndarray  # 4x4 world → view space
    proj: np.ndarray  # 4x4 projection as the game built it
    near_m: float | None
    far_m: float | None
    found_in: str = ""  # where the matrices were read, for meta.json

    @property
    def handedness(self) -> str:
        return handedness_of_projection(self.proj)

    @property
    def world_conversion(self) -> np.ndarray | None:
        """4x4 game world → dataset world when the game's world is left-handed (z negated), else None."""
        turned = _VIEW_TO_OPENCV[self.handedness][:3, :3] @ self.view[:3, :3]
        return _FLIP_WORLD_Z if np.linalg.det(turned) < 0 else None

    @property
    def world_to_camera(self) -> np.ndarray:
        """4x4 (dataset) world → OpenCV camera frame (x right, y down, z forward), metres; a rigid transform."""
        conversion = self.world_conversion
        to_camera = _VIEW_TO_OPENCV[self.handedness] @ self.view
        return to_camera if conversion is None else to_camera @ conversion

    def intrinsics(self, width: int, height: int, *, ndc_y_up: bool = True) -> np.ndarray:
        return intrinsics_from_projection(self.proj, width, height, ndc_y_up=ndc_y_up)


def _member(values: dict[str, np.ndarray], selector: str, block: str) -> np.ndarray:
    """`name` or `name.x|y|z|w` from a block's members."""
    name, _, component = selector.partition(".")
    if name not in values:
        raise KeyError(f"constant block {block!r} has no member {name!r} (has: {', '.join(values)})")
    value = values[name]
    return value.reshape(-1)["xyzw".index(component)] if component else value


def camera_from_block(values: dict[str, np.ndarray], rules: CameraRules) -> Camera:
    """Camera from the profile's named block; near/far are the block's members when the profile names them."""
    block = rules.block or "?"
    view = _member(values, rules.view, block).reshape(4, 4)
    proj = _member(values, rules.projection, block).reshape(4, 4)
    near = float(_member(values, rules.near, block)) if rules.near else None
    far = float(_member(values, rules.far, block)) if rules.far else None
    return Camera(view=view, proj=proj, near_m=near, far_m=far,
                  found_in=f"constant block {block!r} members {rules.view!r}, {rules.projection!r} (profile)")


def is_perspective(matrix: np.ndarray) -> bool:
    """A 4x4 perspective projection with w = ±z_view and depth independent of x, y."""
    m = np.asarray(matrix, dtype=np.float64)
    if m.shape != (4, 4) or not np.all(np.isfinite(m)):
        return False
    w = abs(m[3, 2])
    return bool(w > 1e-6 and np.allclose(m[3, [0, 1, 3]], 0.0, atol=1e-6 * w) and np.allclose(m[2, :2], 0.0, atol=1e-6)
                and m[0, 0] > 0 and m[1, 1] != 0 and m[2, 3] != 0)


def is_rigid(matrix: np.ndarray) -> bool:
    """A 4x4 rotation (proper or not) plus translation, bottom row [0, 0, 0, 1], not the identity."""
    m = np.asarray(matrix, dtype=np.float64)
    if m.shape != (4, 4) or not np.all(np.isfinite(m)) or not np.allclose(m[3], [0, 0, 0, 1], atol=1e-6):
        return False
    rotation = m[:3, :3]
    return bool(np.allclose(rotation @ rotation.T, np.eye(3), atol=1e-4) and not np.allclose(m, np.eye(4)))


def _matrices(values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {name: value for name, value in values.items() if value.shape == (4, 4)}


def find_camera(blocks: Blocks) -> Camera | None:
    """Search constant blocks for a perspective projection and a rigid view matrix held in the same block.

    Among several rigid candidates the view is the one a third member
    confirms (`proj @ view` stored as a view-projection), else the one named
    like a view, else the first. Near/far are left to the projection.
    """
    for block, values in blocks.items():
        matrices = _matrices(values)
        for proj_name, proj in matrices.items():
            if not is_perspective(proj):
                continue
            views = {name: m for name, m in matrices.items() if name != proj_name and is_rigid(m)}
            if not views:
                continue
            products = [m for name, m in matrices.items() if name != proj_name and name not in views]
            confirmed = [name for name, view in views.items()
                         if any(np.allclose(proj @ view, p, rtol=1e-4, atol=1e-4) for p in products)]
            named = [name for name in views if "view" in name.lower()]
            view_name = (confirmed or named or list(views))[0]
            how = "confirmed by a view-projection member" if confirmed else "found by search"
            return Camera(view=views[view_name], proj=proj, near_m=None, far_m=None,
                          found_in=f"constant block {block!r} members {view_name!r}, {proj_name!r} ({how})")
    return None


def camera_from_blocks(blocks: Blocks, rules: CameraRules) -> Camera | None:
    """The profile's named block when it names one (None when that block is not bound), else a search."""
    if rules.block:
        return camera_from_block(blocks[rules.block], rules) if rules.block in blocks else None
    return find_camera(blocks)
