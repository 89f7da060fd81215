"""A combined (model-)view-projection matrix split into projection and view (pure).

A clip-from-world matrix `C = P · V` (column vectors) of a pinhole camera has
rows 0, 1, 3 equal to `K'·[s·R | t]`: an upper-triangular `K'` (the
projection's x, y and w rows) times a similarity (`s = 1` for a rigid view;
a model matrix with a uniform scale makes it the model's). An RQ decomposition
of their left 3x3 gives `K'` and `R` once the signs are fixed (focal lengths
positive in the image's convention, `|P[3, 2]| = 1` as every standard
projection has). Row 2 must then be `a·(row 3) + b·[0, 0, 0, 1]`: the depth
mapping `ndc_z = a + b / z` (near/far), and the check that `C` is a camera at
all. An orthographic matrix has no w row and is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_TOLERANCE = 1e-4


@dataclass(frozen=True)
class Split:
    """`C = proj @ view`, with view space chosen so that `view` keeps the world's handedness (det > 0).

    `scale` is the uniform scale of `view` (1 for a rigid view); view space is
    OpenGL-style (z backwards, `proj[3, 2] = -1`) unless the world is mirrored
    relative to the image, then D3D-style (z forward, `+1`).
    """

    proj: np.ndarray
    view: np.ndarray
    scale: float


def _rq(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`matrix = upper @ orthogonal` with the upper-triangular factor's diagonal positive."""
    flip = np.eye(3)[::-1]
    q, r = np.linalg.qr((flip @ matrix).T)
    upper, orthogonal = flip @ r.T @ flip, flip @ q.T
    signs = np.diag(np.sign(np.diag(upper)))
    return upper @ signs, signs @ orthogonal


def could_be_cameras(matrices: np.ndarray) -> np.ndarray:
    """For a stack of 4x4 matrices, which have the depth row a split needs: a cheap first sieve for
    `split_view_projection` over the hundreds of candidates packed uniforms give."""
    w, z = matrices[:, 3, :3], matrices[:, 2, :3]
    scale2 = np.einsum("ij,ij->i", w, w)
    with np.errstate(divide="ignore", invalid="ignore"):
        depth = np.einsum("ij,ij->i", z, w) / scale2
        residual = np.abs(z - depth[:, None] * w).max(axis=1)
        return (scale2 > 0) & (residual <= _TOLERANCE * (np.abs(depth) + 1) * np.sqrt(scale2))


def split_view_projection(clip_from_world: np.ndarray, *, ndc_y_up: bool = True) -> Split | None:
    """`proj` and a similarity `view` with `proj @ view == clip_from_world`, or None when it is no perspective camera.

    `ndc_y_up`: NDC +y is the image's top row (OpenGL, D3D, a flipped Vulkan
    viewport); it fixes which way the view's y axis points.
    """
    c = np.asarray(clip_from_world, dtype=np.float64)
    if c.shape != (4, 4) or not np.all(np.isfinite(c)):
        return None
    scale = float(np.linalg.norm(c[3, :3]))
    if scale < 1e-9 * max(float(np.abs(c).max()), 1e-30) or not could_be_cameras(c[None])[0]:
        return None
    image = np.diag([1.0, -1.0 if ndc_y_up else 1.0, 1.0]) @ c[[0, 1, 3], :3]
    if abs(np.linalg.det(image)) < 1e-12 * scale ** 3:
        return None
    upper, rotation = _rq(image)
    if abs(upper[0, 1]) > _TOLERANCE * upper[0, 0]:
        return None
    handed = 1.0 if np.linalg.det(rotation) > 0 else -1.0
    to_view = np.diag([1.0, -1.0, -handed])  # OpenCV camera frame → view space (OpenGL- or D3D-style)
    view = np.eye(4)
    view[:3, :3] = to_view @ rotation * scale
    view[:3, 3] = to_view @ np.linalg.solve(upper / scale, c[[0, 1, 3], 3] * [1.0, -1.0 if ndc_y_up else 1.0, 1.0])
    proj = c @ np.linalg.inv(view)
    proj[[1, 2, 2, 3, 3, 3, 0, 1], [0, 0, 1, 0, 1, 3, 3, 3]] = 0.0  # zero by construction, up to rounding
    proj[3, 2] = -handed
    return Split(proj=proj, view=view, scale=scale)
