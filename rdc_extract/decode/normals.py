"""Decode G-buffer normals to unit vectors in the OpenCV camera frame, and their PNG encoding.

Output convention: float32 ``(H, W, 3)`` unit vectors in the **OpenCV camera
frame**: x right, y down, z forward (away from the camera). A surface facing
the camera has a normal with negative z.

View frames a game may store normals in:

- ``"gl"``: OpenGL view space, right-handed, x right, y up, z towards the viewer
  (camera looks down -z). To OpenCV: (x, -y, -z).
- ``"d3d"``: D3D-style left-handed view space, x right, y up, z forward.
  To OpenCV: (x, -y, z).
- ``"opencv"``: already x right, y down, z forward.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

Encoding = Literal["unorm_xyz", "float_xyz", "octahedral", "octahedral_unorm"]
ViewFrame = Literal["gl", "d3d", "opencv"]

ENCODINGS: tuple[str, ...] = ("unorm_xyz", "float_xyz", "octahedral", "octahedral_unorm")

_VIEW_TO_OPENCV: dict[str, np.ndarray] = {
    "gl": np.diag([1.0, -1.0, -1.0]),
    "d3d": np.diag([1.0, -1.0, 1.0]),
    "opencv": np.eye(3),
}

_MIN_LENGTH = 1e-6


def octahedral_to_vector(oct_xy: np.ndarray) -> np.ndarray:
    """Octahedral-mapped 2D values in [-1, 1] ``(..., 2)`` → unnormalised 3D vectors ``(..., 3)``.

    The mapping of Cigolle et al., "A Survey of Efficient Representations for
    Independent Unit Vectors", JCGT 3(2), 2014: z = 1 - |x| - |y|; where z < 0
    the lower hemisphere is folded back, x' = (1 - |y|) sign(x), y' = (1 - |x|) sign(y).
    """
    e = np.asarray(oct_xy, dtype=np.float32)
    x, y = e[..., 0], e[..., 1]
    z = 1.0 - np.abs(x) - np.abs(y)
    sx = np.where(x >= 0, 1.0, -1.0).astype(np.float32)
    sy = np.where(y >= 0, 1.0, -1.0).astype(np.float32)
    folded = z < 0
    fx = np.where(folded, (1.0 - np.abs(y)) * sx, x)
    fy = np.where(folded, (1.0 - np.abs(x)) * sy, y)
    return np.stack([fx, fy, z], axis=-1).astype(np.float32)


def decode_normals(
    encoded: np.ndarray,
    encoding: Encoding,
    *,
    view_frame: ViewFrame = "gl",
    world_to_view: np.ndarray | None = None,
) -> np.ndarray:
    """Stored normals → float32 ``(H, W, 3)`` unit normals in the OpenCV camera frame.

    ``encoded``: float array ``(H, W, C)`` as ``decode_color`` returns it (extra
    channels such as alpha are ignored).

    - ``"unorm_xyz"``: n * 0.5 + 0.5 in R, G, B (e.g. RGB10A2, RGBA8 targets).
    - ``"float_xyz"``: n as is in R, G, B (e.g. RGBA16F targets).
    - ``"octahedral"``: octahedral map in R, G with values in [-1, 1] (float/SNorm targets).
    - ``"octahedral_unorm"``: the same stored as 0..1 (UNorm targets).

    ``world_to_view``: 3x3 rotation (upper-left of the view matrix, column-vector
    convention) when the normals are stored in world space; ``None`` when they
    are already in view space. ``view_frame`` names that view space's axes.
    Vectors shorter than 1e-6 before normalisation (empty G-buffer pixels) come
    out as (0, 0, 0); note a cleared UNorm target (0, 0, 0) decodes to a valid
    looking (-1, -1, -1)/√3, so mask sky with depth.
    """
    e = np.asarray(encoded, dtype=np.float32)
    if encoding == "unorm_xyz":
        _need_channels(e, 3, encoding)
        n = e[..., :3] * 2.0 - 1.0
    elif encoding == "float_xyz":
        _need_channels(e, 3, encoding)
        n = e[..., :3]
    elif encoding == "octahedral":
        _need_channels(e, 2, encoding)
        n = octahedral_to_vector(e[..., :2])
    elif encoding == "octahedral_unorm":
        _need_channels(e, 2, encoding)
        n = octahedral_to_vector(e[..., :2] * 2.0 - 1.0)
    else:
        raise ValueError(f"unknown normal encoding {encoding!r}; expected one of {ENCODINGS}")
    if view_frame not in _VIEW_TO_OPENCV:
        raise ValueError(f"unknown view_frame {view_frame!r}; expected one of {tuple(_VIEW_TO_OPENCV)}")
    rotation = _VIEW_TO_OPENCV[view_frame]
    if world_to_view is not None:
        r = np.asarray(world_to_view, dtype=np.float64)
        if r.shape != (3, 3):
            raise ValueError(f"world_to_view must be 3x3, got {r.shape}")
        rotation = rotation @ r
    n = n @ rotation.T.astype(np.float32)
    return normalize(n)


def normalize(vectors: np.ndarray) -> np.ndarray:
    """Scale ``(..., 3)`` vectors to unit length, float32; near-zero vectors → 0."""
    v = np.asarray(vectors, dtype=np.float32)
    length = np.sqrt(np.sum(v * v, axis=-1, keepdims=True))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(length > _MIN_LENGTH, v / length, 0.0)
    return out.astype(np.float32)


def _need_channels(e: np.ndarray, count: int, encoding: str) -> None:
    if e.ndim != 3 or e.shape[-1] < count:
        raise ValueError(f"encoding {encoding!r} needs (H, W, >= {count}) input, got shape {e.shape}")


def normals_to_u16_png(normals: np.ndarray) -> np.ndarray:
    """Unit normals float ``(H, W, 3)`` in [-1, 1] → uint16 ``(H, W, 3)``: round((n * 0.5 + 0.5) * 65535).

    Kubric's normal encoding. Raises ``ValueError`` for components outside
    [-1, 1] (beyond float rounding) or non-finite values instead of clipping.
    """
    n = np.asarray(normals, dtype=np.float32)
    if n.ndim != 3 or n.shape[-1] != 3:
        raise ValueError(f"normals must be (H, W, 3), got {n.shape}")
    if not np.all(np.isfinite(n)):
        raise ValueError("normals contain NaN or inf")
    if np.any(np.abs(n) > 1.0 + 1e-5):
        raise ValueError(f"normal components must lie in [-1, 1], max |n| = {float(np.abs(n).max())}")
    scaled = np.rint((np.clip(n, -1.0, 1.0) * 0.5 + 0.5) * 65535.0)
    return scaled.astype(np.uint16)


def normals_from_u16_png(encoded: np.ndarray) -> np.ndarray:
    """Inverse of ``normals_to_u16_png``: uint16 ``(H, W, 3)`` → float32 in [-1, 1] (not renormalised)."""
    e = np.asarray(encoded)
    if e.dtype != np.uint16:
        raise ValueError(f"expected uint16 normals, got {e.dtype}")
    return (e.astype(np.float32) / 65535.0 * 2.0 - 1.0).astype(np.float32)
