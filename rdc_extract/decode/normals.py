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

from rdc_extract.decode.channels import dot_pixels, fill_pixels, leading_channels

Encoding = Literal["unorm_xyz", "float_xyz", "octahedral", "octahedral_unorm", "spheremap", "xy", "xy_unorm"]
ViewFrame = Literal["gl", "d3d", "opencv"]

ENCODINGS: tuple[str, ...] = ("unorm_xyz", "float_xyz", "octahedral", "octahedral_unorm", "spheremap", "xy", "xy_unorm")
#: Encodings whose valid codes decode to unit vectors (octahedral ones decode to unnormalised vectors).
UNIT_LENGTH_ENCODINGS: tuple[str, ...] = ("unorm_xyz", "float_xyz", "spheremap", "xy", "xy_unorm")
#: Encodings that store only the hemisphere facing the viewer, so they exist only in view space.
VIEW_ONLY_ENCODINGS: tuple[str, ...] = ("xy", "xy_unorm")
_CHANNELS = {"unorm_xyz": 3, "float_xyz": 3, "octahedral": 2, "octahedral_unorm": 2, "spheremap": 2, "xy": 2, "xy_unorm": 2}

_VIEW_TO_OPENCV: dict[str, np.ndarray] = {
    "gl": np.diag([1.0, -1.0, -1.0]),
    "d3d": np.diag([1.0, -1.0, 1.0]),
    "opencv": np.eye(3),
}

_MIN_LENGTH = 1e-6


def channels_needed(encoding: str) -> int:
    """How many stored channels (R, G[, B]) an encoding reads."""
    if encoding not in _CHANNELS:
        raise ValueError(f"unknown normal encoding {encoding!r}; expected one of {ENCODINGS}")
    return _CHANNELS[encoding]


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


def vector_to_octahedral(vectors: np.ndarray) -> np.ndarray:
    """Inverse of ``octahedral_to_vector`` for nonzero vectors ``(..., 3)`` → ``(..., 2)`` in [-1, 1]."""
    n = np.asarray(vectors, dtype=np.float64)
    p = n[..., :2] / np.sum(np.abs(n), axis=-1, keepdims=True)
    sign = np.where(p >= 0, 1.0, -1.0)
    folded = (1.0 - np.abs(p[..., ::-1])) * sign
    return np.where(n[..., 2:3] < 0, folded, p).astype(np.float32)


def spheremap_to_vector(encoded_xy: np.ndarray) -> np.ndarray:
    """Spheremap-transformed 2D values in [0, 1] ``(..., 2)`` → 3D vectors ``(..., 3)``.

    Method #4 "Spheremap Transform" of Aras Pranckevičius, "Compact Normal
    Storage for small G-Buffers" (aras-p.info/texts/CompactNormalStorage.html),
    a Lambert azimuthal equal-area projection (the same as CryEngine 3's
    "A bit more deferred"): f = |4e - 2|², n.xy = (4e - 2)·sqrt(1 - f/4),
    n.z = 1 - f/2. (0.5, 0.5) is +z; the circle |4e - 2| = 2 is -z. Codes
    outside that circle (f > 4) are not valid and decode to non-unit vectors.
    """
    e = np.asarray(encoded_xy, dtype=np.float32)
    fenc = e * 4.0 - 2.0
    f = np.sum(fenc * fenc, axis=-1, keepdims=True)
    g = np.sqrt(np.maximum(1.0 - f / 4.0, 0.0))
    return np.concatenate([fenc * g, 1.0 - f / 2.0], axis=-1).astype(np.float32)


def vector_to_spheremap(vectors: np.ndarray) -> np.ndarray:
    """Inverse of ``spheremap_to_vector`` for unit vectors other than -z: e = n.xy / sqrt(8 n.z + 8) + 0.5."""
    n = np.asarray(vectors, dtype=np.float64)
    p = np.sqrt(8.0 * n[..., 2:3] + 8.0)
    return (n[..., :2] / p + 0.5).astype(np.float32)


def xy_to_vector(xy: np.ndarray) -> np.ndarray:
    """Stored x, y in [-1, 1] ``(..., 2)`` → (x, y, +sqrt(1 - x² - y²)); z is 0 where x² + y² > 1.

    z ≥ 0 faces the viewer in an OpenGL-style view space (``view_frame="gl"``).
    """
    e = np.asarray(xy, dtype=np.float32)
    z = np.sqrt(np.maximum(1.0 - np.sum(e * e, axis=-1, keepdims=True), 0.0))
    return np.concatenate([e, z], axis=-1).astype(np.float32)


def decode_vectors(encoded: np.ndarray, encoding: Encoding) -> np.ndarray:
    """Stored values ``(H, W, C)`` → float32 ``(H, W, 3)`` vectors in the frame they were stored in, not normalised."""
    e = np.asarray(encoded, dtype=np.float32)
    count = channels_needed(encoding)
    if e.ndim != 3 or e.shape[-1] < count:
        raise ValueError(f"encoding {encoding!r} needs (H, W, >= {count}) input, got shape {e.shape}")
    if encoding == "unorm_xyz":
        return _unorm_to_signed(e, count)
    if encoding == "octahedral_unorm":
        return octahedral_to_vector(_unorm_to_signed(e, count))
    if encoding == "xy_unorm":
        return xy_to_vector(_unorm_to_signed(e, count))
    stored = leading_channels(e, count)
    if encoding == "float_xyz":
        return stored.copy()
    if encoding == "octahedral":
        return octahedral_to_vector(stored)
    if encoding == "spheremap":
        return spheremap_to_vector(stored)
    return xy_to_vector(stored)


def _unorm_to_signed(e: np.ndarray, count: int) -> np.ndarray:
    """``leading_channels(e, count) * 2.0 - 1.0`` (float32 steps, the same values) into one new array instead of
    three: a frame-sized temporary costs its page faults as well (docs/performance.md)."""
    out = np.empty(e.shape[:-1] + (count,), dtype=np.float32)
    for channel in range(count):  # plane by plane: decode/channels.py says why
        np.multiply(e[..., channel], np.float32(2.0), out=out[..., channel])
    out -= np.float32(1.0)
    return out


def encode_vectors(vectors: np.ndarray, encoding: Encoding) -> np.ndarray:
    """Unit vectors ``(..., 3)`` → the values a game stores, float32 ``(..., 2 or 3)``; inverse of ``decode_vectors``."""
    n = np.asarray(vectors, dtype=np.float32)
    channels_needed(encoding)
    if encoding == "unorm_xyz":
        return n * 0.5 + 0.5
    if encoding == "float_xyz":
        return n.copy()
    if encoding == "octahedral":
        return vector_to_octahedral(n)
    if encoding == "octahedral_unorm":
        return vector_to_octahedral(n) * 0.5 + 0.5
    if encoding == "spheremap":
        return vector_to_spheremap(n)
    if encoding == "xy":
        return n[..., :2].copy()
    return n[..., :2] * 0.5 + 0.5


def to_camera_rotation(view_frame: ViewFrame = "gl", world_to_view: np.ndarray | None = None) -> np.ndarray:
    """3x3 rotation from the storage frame (view space ``view_frame``, or world) to the OpenCV camera frame."""
    if view_frame not in _VIEW_TO_OPENCV:
        raise ValueError(f"unknown view_frame {view_frame!r}; expected one of {tuple(_VIEW_TO_OPENCV)}")
    rotation = _VIEW_TO_OPENCV[view_frame]
    if world_to_view is not None:
        r = np.asarray(world_to_view, dtype=np.float64)
        if r.shape != (3, 3):
            raise ValueError(f"world_to_view must be 3x3, got {r.shape}")
        rotation = rotation @ r
    return rotation


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
    - ``"spheremap"``: Lambert azimuthal equal-area in R, G, 0..1 (``spheremap_to_vector``).
    - ``"xy"``: n.x, n.y in R, G; n.z = +sqrt(1 - x² - y²), towards the viewer (view space only).
    - ``"xy_unorm"``: the same stored as 0..1.

    ``world_to_view``: 3x3 rotation (upper-left of the view matrix, column-vector
    convention) when the normals are stored in world space; ``None`` when they
    are already in view space. ``view_frame`` names that view space's axes.
    Vectors shorter than 1e-6 before normalisation (empty G-buffer pixels) come
    out as (0, 0, 0); note a cleared UNorm target (0, 0, 0) decodes to a valid
    looking (-1, -1, -1)/√3, so mask sky with depth.
    """
    vectors = decode_vectors(encoded, encoding)
    rotation = to_camera_rotation(view_frame, world_to_view)
    rotated = vectors @ rotation.T.astype(np.float32)
    return _scale_to_unit(rotated, out=rotated)


def normalize(vectors: np.ndarray) -> np.ndarray:
    """Scale ``(..., 3)`` vectors to unit length, float32; near-zero vectors → 0."""
    v = np.asarray(vectors, dtype=np.float32)
    return _scale_to_unit(v, out=np.empty(v.shape, dtype=np.float32))


def _scale_to_unit(v: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``normalize(v)`` written to ``out``, which may be ``v`` itself (each element is read before it is written)."""
    length = np.asarray(dot_pixels(v, v))  # an array also for one vector
    np.sqrt(length, out=length)
    long_enough = length > _MIN_LENGTH
    with np.errstate(divide="ignore", invalid="ignore"):
        for axis in range(v.shape[-1]):  # plane by plane: decode/channels.py says why
            np.divide(v[..., axis], length, out=out[..., axis], where=long_enough)
    fill_pixels(out, ~long_enough, 0.0)
    return out


def normals_to_u16_png(normals: np.ndarray, *, overwrite: bool = False) -> np.ndarray:
    """Unit normals float ``(H, W, 3)`` in [-1, 1] → uint16 ``(H, W, 3)``: round((n * 0.5 + 0.5) * 65535).

    Kubric's normal encoding. Raises ``ValueError`` for components outside
    [-1, 1] (beyond float rounding) or non-finite values instead of clipping.
    ``overwrite``: a float32 ``normals`` is scaled in place (a caller's scratch
    copy) instead of in a new frame-sized array.
    """
    n = np.asarray(normals, dtype=np.float32)
    if n.ndim != 3 or n.shape[-1] != 3:
        raise ValueError(f"normals must be (H, W, 3), got {n.shape}")
    if n.size:
        # min and max (NaN propagates through both) instead of isfinite and abs over the frame: no temporaries
        low, high = n.min(), n.max()
        if not (np.isfinite(low) and np.isfinite(high)):
            raise ValueError("normals contain NaN or inf")
        largest = max(-low, high)
        if largest > np.float32(1.0 + 1e-5):
            raise ValueError(f"normal components must lie in [-1, 1], max |n| = {float(largest)}")
    scaled = np.clip(n, -1.0, 1.0, out=n if overwrite and n is normals else None)
    scaled *= 0.5
    scaled += 0.5
    scaled *= 65535.0
    return np.rint(scaled, out=scaled).astype(np.uint16)


def normals_from_u16_png(encoded: np.ndarray) -> np.ndarray:
    """Inverse of ``normals_to_u16_png``: uint16 ``(H, W, 3)`` → float32 in [-1, 1] (not renormalised)."""
    e = np.asarray(encoded)
    if e.dtype != np.uint16:
        raise ValueError(f"expected uint16 normals, got {e.dtype}")
    return (e.astype(np.float32) / 65535.0 * 2.0 - 1.0).astype(np.float32)
