"""The camera of a frame, from the constant blocks bound at the scene's draws (pure).

Found in the block a profile names, else as a projection and a view held apart
in one block (`find_camera`), else as a view-projection split into both at a
few sampled draws (`find_view_projection`, docs/profiles.md "Camera search").

Conventions: `view` and `proj` are as the game's shaders use them (column
vectors). View space is OpenGL-style (x right, y up, z backwards) when the
projection is right-handed (w row `[0, 0, -1, 0]`), D3D-style (z forward) when
it is left-handed (`[0, 0, +1, 0]`). Extrinsics are given in the OpenCV camera
frame (x right, y down, z forward), like K, and must be a proper rotation: a
left-handed game world is converted (its z axis negated, `world_conversion`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from rdc_extract.decode.depth import handedness_of_projection, intrinsics_from_projection
from rdc_extract.extract.decompose import Split, could_be_cameras, split_view_projection
from rdc_extract.profiles.schema import CameraRules, MatrixSource

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
    ndc_y_up: bool = True  # NDC +y is the image's top row (see decode.depth.intrinsics_from_projection)
    event: int | None = None  # the draw whose matrices gave the camera, when not the scene event

    @property
    def handedness(self) -> str:
        return handedness_of_projection(self.proj)

    @property
    def world_conversion(self) -> np.ndarray | None:
        """4x4 game world → dataset world: z negated when the game's world is left-handed, scaled when the view
        scales (a view found only as part of a model-view-projection); None when neither."""
        turned = _VIEW_TO_OPENCV[self.handedness][:3, :3] @ self.view[:3, :3]
        determinant = np.linalg.det(turned)
        scale = abs(determinant) ** (1 / 3) / abs(self.view[3, 3])  # a homogeneous matrix: w's scale is no scale
        scale = 1.0 if abs(scale - 1) < 1e-4 else scale
        conversion = np.diag([scale, scale, scale, 1.0]) @ (_FLIP_WORLD_Z if determinant < 0 else np.eye(4))
        return None if np.allclose(conversion, np.eye(4), rtol=0, atol=1e-6) else conversion

    @property
    def world_to_camera(self) -> np.ndarray:
        """4x4 (dataset) world → OpenCV camera frame (x right, y down, z forward), metres; a rigid transform."""
        conversion = self.world_conversion
        to_camera = _VIEW_TO_OPENCV[self.handedness] @ self.view
        return to_camera if conversion is None else to_camera @ np.linalg.inv(conversion)

    def intrinsics(self, width: int, height: int) -> np.ndarray:
        return intrinsics_from_projection(self.proj, width, height, ndc_y_up=self.ndc_y_up)

    def in_metres(self, metres_per_unit: float) -> Camera:
        """The same camera with view space in metres: `view` scaled, the projection's depth column scaled
        (`proj @ view` is the game's up to a homogeneous factor, so K and the image do not change), near/far
        in metres; `world_conversion` then scales the game's world to metres too."""
        if metres_per_unit == 1:
            return self
        scale = np.diag([metres_per_unit] * 3 + [1.0])
        unscaled_w = np.diag([1.0, 1.0, 1.0, metres_per_unit])
        near = None if self.near_m is None else self.near_m * metres_per_unit
        far = None if self.far_m is None else self.far_m * metres_per_unit
        return dataclasses.replace(self, view=scale @ self.view, proj=self.proj @ unscaled_w, near_m=near, far_m=far)


def _member(values: dict[str, np.ndarray], selector: str, block: str) -> np.ndarray:
    """`name` or `name.x|y|z|w` from a block's members."""
    name, _, component = selector.partition(".")
    if name not in values:
        raise KeyError(f"constant block {block!r} has no member {name!r} (has: {', '.join(values)})")
    value = values[name]
    return value.reshape(-1)["xyzw".index(component)] if component else value


def _matrix(values: dict[str, np.ndarray], source: MatrixSource, rules: CameraRules, block: str) -> np.ndarray:
    """A camera matrix in the column-vector form used here, from its member(s) as `source` says.

    Row-vector members (`mul(v, M)`) are transposed before anything else, so
    a product's order is the same for both layouts: `product = X · first`
    gives `X = product · first⁻¹`.
    """
    def read(name: str) -> np.ndarray:
        matrix = np.asarray(_member(values, name, block), dtype=np.float64).reshape(4, 4)
        return matrix.T if rules.matrix_layout == "row_vectors" else matrix

    matrix = read(source.member)
    if source.inverse:
        return np.linalg.inv(matrix)
    return matrix @ np.linalg.inv(read(source.first)) if source.first else matrix


def camera_from_block(values: dict[str, np.ndarray], rules: CameraRules) -> Camera:
    """Camera from the profile's named block; near/far are the block's members when the profile names them.

    A singular member (an inverse or a product's `first` that has none) raises
    ValueError naming it."""
    block = rules.block or "?"
    try:
        view = _matrix(values, rules.view, rules, block)
        proj = _matrix(values, rules.projection, rules, block)
    except np.linalg.LinAlgError:
        raise ValueError(f"[camera] view = {str(rules.view)!r} or projection = {str(rules.projection)!r}: "
                         f"a matrix to invert in block {block!r} is singular") from None
    near = float(_member(values, rules.near, block)) if rules.near else None
    far = float(_member(values, rules.far, block)) if rules.far else None
    layout = ", row-vector layout" if rules.matrix_layout == "row_vectors" else ""
    return Camera(view=view, proj=proj, near_m=near, far_m=far,
                  found_in=f"constant block {block!r}: view {str(rules.view)!r}, projection {str(rules.projection)!r} "
                           f"(profile{layout})")


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


_ARRAY_ELEMENT = re.compile(r"\[\d+\]$")
_SAME = {"rtol": 1e-3, "atol": 1e-4}


def _as_floats(values: np.ndarray) -> np.ndarray:
    """Integers are 32-bit words whose bits are floats (Zink's uniforms are a `uint[]`)."""
    return values.astype(np.uint32).view(np.float32).astype(np.float64) if values.dtype.kind in "iub" else \
        values.astype(np.float64)


def stored_matrices(values: Mapping[str, np.ndarray]) -> Iterator[tuple[str, np.ndarray]]:
    """Every 4x4 a block may hold, as stored and transposed (row-vector layouts).

    A 4x4 member is taken as it is; the elements of an array (`m[0]`, `m[1]`,
    ... : vec4 arrays, packed words) are joined and every run of 16
    consecutive floats is tried, since packed uniforms (Zink) start matrices at
    any word.
    """
    runs: dict[str, list[np.ndarray]] = {}
    for name, value in values.items():
        if np.shape(value) == (4, 4):
            yield name, value
            yield f"{name} (transposed)", value.T
        else:
            runs.setdefault(_ARRAY_ELEMENT.sub("", name), []).append(np.ravel(value))
    for name, parts in runs.items():
        floats = _as_floats(np.concatenate(parts))
        for start in range(len(floats) - 15):
            window = floats[start:start + 16].reshape(4, 4)
            yield f"{name} words {start}-{start + 15}", window.T
            yield f"{name} words {start}-{start + 15} (transposed)", window


def _plausible(split: Split, aspect: float) -> bool:
    """A camera's projection: square pixels, a field of view of ~1° to ~170°, depth that varies with distance."""
    p = split.proj
    return bool(0.05 < p[0, 0] < 200 and abs(abs(p[1, 1]) / (p[0, 0] * aspect) - 1) < 0.01
                and p[2, 3] != 0 and is_perspective(p))


def _is_rigid(split: Split) -> bool:
    return abs(split.scale - 1) < 1e-3


def _bare_projection(split: Split) -> bool:
    """A projection alone (or its transpose) splits into itself and a view that only scales: no camera pose."""
    return bool(np.allclose(split.view[:3, :3] / split.scale, np.eye(3), atol=1e-6)
                and np.allclose(split.view[:3, 3], 0.0, atol=1e-6 * split.scale))


@dataclass(frozen=True)
class _Found:
    event: int
    where: str
    split: Split


def _cameras_at(event: int, blocks: Blocks, *, aspect: float, ndc_y_up: bool) -> list[_Found]:
    found = []
    for block, values in blocks.items():
        candidates = list(stored_matrices(values))
        if not candidates:
            continue
        sieve = could_be_cameras(np.stack([matrix for _, matrix in candidates]).astype(np.float64))
        for (name, matrix), kept in zip(candidates, sieve):
            split = split_view_projection(matrix, ndc_y_up=ndc_y_up) if kept else None
            if split is not None and _plausible(split, aspect) and not _bare_projection(split):
                found.append(_Found(event, f"constant block {block!r} {name}", split))
    return found


def find_view_projection(blocks_by_event: Mapping[int, Blocks], *, aspect: float,
                         ndc_y_up: bool = True) -> Camera | None:
    """A camera from the (model-)view-projection matrices bound at several draws.

    Each draw's matrices are split into projection and view
    (`split_view_projection`); a model matrix makes a draw's view its own, so
    the view most draws agree on wins (static world geometry usually has an
    identity model matrix), rigid views before scaled ones (a sky dome is
    scaled), the earliest draw on a tie. The projection is checked against the
    other draws': K and near/far do not depend on the model matrix.
    """
    found = [f for event, blocks in sorted(blocks_by_event.items())
             for f in _cameras_at(event, blocks, aspect=aspect, ndc_y_up=ndc_y_up)]
    if not found:
        return None

    def agreeing(one: _Found) -> set[int]:
        return {f.event for f in found if np.allclose(f.split.view, one.split.view, **_SAME)
                and np.allclose(f.split.proj, one.split.proj, **_SAME)}

    best = max(found, key=lambda f: (_is_rigid(f.split), len(agreeing(f)), -f.event))
    events = {f.event for f in found}
    same_proj = {f.event for f in found if np.allclose(f.split.proj, best.split.proj, **_SAME)}
    how = (f"view-projection split at event {best.event}: {best.where}; its view shared by "
           f"{len(agreeing(best))} of {len(events)} draws with a camera, its projection (K, near/far) by "
           f"{len(same_proj)}")
    return Camera(view=best.split.view, proj=best.split.proj, near_m=None, far_m=None, found_in=how, event=best.event)


def has_rigid_view(blocks_by_event: Mapping[int, Blocks], *, aspect: float) -> bool:
    """Whether the draws read so far hold a camera with a rigid view: reading more draws would not change it."""
    return any(_is_rigid(f.split) for event, blocks in blocks_by_event.items()
               for f in _cameras_at(event, blocks, aspect=aspect, ndc_y_up=True))


def camera_from_blocks(blocks: Blocks, rules: CameraRules) -> Camera | None:
    """The profile's named block when it names one (None when that block is not bound), else a search."""
    if rules.block:
        return camera_from_block(blocks[rules.block], rules) if rules.block in blocks else None
    return find_camera(blocks)
