"""Window-space depth → metric depth, intrinsics, and the KITTI uint16 encoding.

Conventions used throughout:

- *window depth* ``d``: the value stored in the depth buffer, as returned by
  ``decode_depth_stencil`` (float, normally 0..1).
- *clip range*: how NDC z maps to ``d``. ``"zero_to_one"`` (D3D, Vulkan, OpenGL
  with ``glClipControl(..., GL_ZERO_TO_ONE)``): ``d = z_ndc``. ``"minus_one_to_one"``
  (OpenGL default): ``d = (z_ndc + 1) / 2``. A ``glDepthRange`` other than (0, 1)
  is not modelled.
- *projection matrix* ``proj``: 4x4, column-vector convention, ``clip = proj @ [x, y, z, 1]``
  in view space. A GLSL ``mat4`` read from a uniform block as 16 floats is
  column-major: ``np.array(floats).reshape(4, 4).T`` gives ``proj``. Both
  right-handed (OpenGL: camera looks down -z, ``proj[3, 2] = -1``) and left-handed
  (D3D-style: looks down +z, ``proj[3, 2] = +1``) perspective matrices are accepted;
  conventional and reversed Z follow from the matrix itself.
- *z distance* ``z_m``: distance along the camera's forward axis (the OpenCV
  camera frame's z), in the units of the view matrix (metres for the games we
  target). *Range* is the Euclidean distance from the camera centre.
- Invalid pixels (far plane / cleared / sky, behind the camera, NaN) are ``+inf``
  in float outputs and 0 in the KITTI uint16 encoding.

GTA V's depth buffer may be logarithmic according to one 2015 write-up and
linear according to others; no formula is implemented for it here (see
``docs/decoding.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

ClipRange = Literal["zero_to_one", "minus_one_to_one"]

KITTI_SCALE = 256.0  #: KITTI depth PNG: uint16 value = metres × 256, 0 = invalid.


@dataclass(frozen=True)
class DepthState:
    """The depth facts of the pipeline state at the scene's draws, as the capture recorded them.

    ``depth_function``: the depth test, RenderDoc's ``CompareFunction`` name
    ("Less", "GreaterEqual", ...), None when the test is off. ``clip_range``:
    None when the API's state does not say. ``depth_range``: the viewport's
    depth range (``glDepthRange``), (0, 1) unless the game changed it.
    ``ndc_y_up``: NDC +y is the image's top row (OpenGL, D3D; Vulkan only with a
    negative-height viewport, as Zink sets for GL games). ``clip_range_asked``:
    the clip range is one the game (or its driver layer) asked for
    (``glClipControl``, ``VK_EXT_depth_clip_control``), not the API's default.
    """

    depth_function: str | None
    clip_range: ClipRange | None
    depth_range: tuple[float, float] = (0.0, 1.0)
    ndc_y_up: bool = True
    clip_range_asked: bool = False


def _ndc_z_in_place(d: np.ndarray, clip_range: ClipRange) -> None:
    """Window depth (float64) → NDC z."""
    if clip_range == "minus_one_to_one":
        d *= 2.0
        d -= 1.0
    elif clip_range != "zero_to_one":
        raise ValueError(f"clip_range must be 'zero_to_one' or 'minus_one_to_one', got {clip_range!r}")


_ROUNDING = 1e-9  # relative: a projection derived from other matrices (`[camera]` products) is not exact
_SHEAR_ROUNDING = 1e-6  # relative to the y focal term: float32 matrices far from the world's origin (GTA V)


def _check_perspective(proj: np.ndarray) -> np.ndarray:
    p = np.asarray(proj, dtype=np.float64)
    if p.shape != (4, 4):
        raise ValueError(f"projection matrix must be 4x4, got shape {p.shape}")
    w = abs(p[3, 2])
    if w < 1e-12 or abs(p[3, 3]) > _ROUNDING * w or np.any(np.abs(p[3, :2]) > _ROUNDING * w):
        raise ValueError(
            "only perspective projections with w_clip = ±z_view are supported "
            f"(bottom row should be [0, 0, ±1, 0], got {p[3].tolist()})"
        )
    if np.any(np.abs(p[2, :2]) > _ROUNDING * max(abs(p[2, 2]), abs(p[2, 3]))):
        raise ValueError(f"projection row 2 should not depend on x, y; got {p[2].tolist()}")
    return p / abs(p[3, 2])


def window_depth_from_z_distance(
    z_m: np.ndarray | float, proj: np.ndarray, *, clip_range: ClipRange = "zero_to_one"
) -> np.ndarray:
    """Inverse of ``z_distance_m_from_projection``: forward distance → window depth (float64).

    Used to build test inputs and to find the far-plane value of a matrix.
    """
    p = _check_perspective(proj)
    w = p[3, 2]
    z_view = w * np.asarray(z_m, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ndc = (p[2, 2] * z_view + p[2, 3]) / (w * z_view)
    return ndc if clip_range == "zero_to_one" else (ndc + 1.0) / 2.0


def is_reversed_z(proj: np.ndarray, *, clip_range: ClipRange = "zero_to_one") -> bool:
    """True when window depth decreases with distance (reversed Z)."""
    near, far = window_depth_from_z_distance(np.array([1.0, 2.0]), proj, clip_range=clip_range)
    return bool(far < near)


def z_distance_m_from_projection(
    window_depth: np.ndarray,
    proj: np.ndarray,
    *,
    clip_range: ClipRange = "zero_to_one",
    far_plane_invalid: bool = True,
    depth_range: tuple[float, float] = (0.0, 1.0),
) -> np.ndarray:
    """Window depth → forward z distance, float32, same shape, ``+inf`` where invalid.

    Solves ``z_ndc = (P22 z + P23) / (P32 z)`` for view-space ``z``. Pixels at the
    far clear value (``d >= 1`` conventional, ``d <= 0`` reversed) are the far
    plane, cleared or sky and become ``+inf`` when ``far_plane_invalid``; so do
    points behind the camera and NaNs. ``depth_range``: the viewport's depth
    range the scene was drawn with (``glDepthRange``, ``minDepth..maxDepth``),
    which maps the clip range onto part of the buffer (warzone2100 draws its
    scene into 0.1..1).
    """
    p = _check_perspective(proj)
    w = p[3, 2]
    low, high = depth_range
    # one frame of float64, every step below in place: z_fwd = w * z_view, z_view = P23 / (w * ndc - P22)
    z_fwd = np.array(window_depth, dtype=np.float64)
    if (low, high) != (0.0, 1.0):
        z_fwd -= low
        z_fwd /= high - low
    far = None
    if far_plane_invalid:
        far = (z_fwd <= 0.0) if is_reversed_z(p, clip_range=clip_range) else (z_fwd >= 1.0)
    _ndc_z_in_place(z_fwd, clip_range)
    z_fwd *= w
    z_fwd -= p[2, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        np.divide(p[2, 3], z_fwd, out=z_fwd)
        z_fwd *= w
        invalid = ~np.isfinite(z_fwd) | (z_fwd <= 0)
    if far is not None:
        invalid |= far
    z_fwd[invalid] = np.inf
    return z_fwd.astype(np.float32)


def near_far_from_projection(proj: np.ndarray, *, clip_range: ClipRange = "zero_to_one") -> tuple[float, float]:
    """Forward distances of the near and far planes a perspective matrix encodes (far may be ``inf``).

    The planes are where NDC z reaches the ends of the clip range: which end is
    near follows from the matrix (reversed Z or not).
    """
    p = _check_perspective(proj)
    w = p[3, 2]
    lo = -1.0 if clip_range == "minus_one_to_one" else 0.0
    near_ndc, far_ndc = (1.0, lo) if is_reversed_z(p, clip_range=clip_range) else (lo, 1.0)

    def distance(ndc: float) -> float:
        denominator = w * ndc - p[2, 2]
        if abs(denominator) <= 1e-7 * max(abs(p[2, 2]), 1.0):
            return float("inf")
        return float(w * p[2, 3] / denominator)

    return distance(near_ndc), distance(far_ndc)


def handedness_of_projection(proj: np.ndarray) -> Literal["right", "left"]:
    """"right" when view space looks down -z (``proj[3, 2] < 0``, OpenGL), "left" when down +z (D3D-style)."""
    return "right" if _check_perspective(proj)[3, 2] < 0 else "left"


def projection_from_near_far(
    near_m: float,
    far_m: float,
    *,
    reversed_z: bool = False,
    clip_range: ClipRange = "zero_to_one",
) -> np.ndarray:
    """Depth rows of a right-handed (OpenGL-style) perspective matrix, 4x4 float64.

    Only rows 2 and 3 matter for depth; rows 0 and 1 are identity (fov of 90°).
    ``far_m`` may be ``inf`` (infinite far plane). Maps z distance ``near_m`` to
    window depth 0 (1 if reversed) and ``far_m`` to 1 (0 if reversed).
    """
    if not 0 < near_m < far_m:
        raise ValueError(f"need 0 < near < far, got near={near_m}, far={far_m}")
    n, f = float(near_m), float(far_m)
    # ndc(z_dist) = a + b / z_dist with ndc(n) = lo, ndc(f) = hi, written for z_view = -z_dist.
    lo, hi = (1.0, 0.0) if reversed_z else (0.0, 1.0)
    if clip_range == "minus_one_to_one":
        lo, hi = 2 * lo - 1, 2 * hi - 1
    elif clip_range != "zero_to_one":
        raise ValueError(f"unknown clip_range {clip_range!r}")
    if np.isinf(f):
        a, b = hi, (lo - hi) * n
    else:
        b = (lo - hi) * n * f / (f - n)
        a = lo - b / n
    p = np.eye(4)
    p[2, 2], p[2, 3] = -a, b
    p[3, 2], p[3, 3] = -1.0, 0.0
    return p


def z_distance_m_from_near_far(
    window_depth: np.ndarray,
    near_m: float,
    far_m: float,
    *,
    reversed_z: bool = False,
    clip_range: ClipRange = "zero_to_one",
    far_plane_invalid: bool = True,
    depth_range: tuple[float, float] = (0.0, 1.0),
) -> np.ndarray:
    """Window depth → forward z distance for a standard perspective with known near/far.

    Same output rules as ``z_distance_m_from_projection``. ``far_m = inf`` gives
    an infinite far plane.
    """
    proj = projection_from_near_far(near_m, far_m, reversed_z=reversed_z, clip_range=clip_range)
    return z_distance_m_from_projection(
        window_depth, proj, clip_range=clip_range, far_plane_invalid=far_plane_invalid, depth_range=depth_range
    )


def intrinsics_from_projection(
    proj: np.ndarray, width: int, height: int, *, ndc_y_up: bool = True
) -> np.ndarray:
    """Pinhole intrinsics ``K`` (3x3 float64) in the OpenCV convention, from a projection matrix.

    OpenCV camera frame: x right, y down, z forward; pixel ``(u, v)`` = (column,
    row) with row 0 at the top and integer coordinates at pixel *centres*
    (so the image spans -0.5 .. width - 0.5).

    ``ndc_y_up``: True when NDC +y is the top row of the decoded (top-down) image:
    OpenGL (after the row flip ``decode_*`` applies) and D3D. Vulkan's NDC +y
    points down, so pass False there unless the game flips the viewport.
    """
    p = _check_perspective(proj)
    if abs(p[1, 0]) > _SHEAR_ROUNDING * abs(p[1, 1]):
        raise ValueError("projection has an x→y shear that a pinhole K cannot represent")
    w = p[3, 2]
    sy = 1.0 if ndc_y_up else -1.0
    k = np.zeros((3, 3))
    k[0, 0] = width / 2.0 * p[0, 0]
    k[0, 1] = -width / 2.0 * p[0, 1]
    k[0, 2] = width / 2.0 * (1.0 + w * p[0, 2]) - 0.5
    k[1, 1] = height / 2.0 * sy * p[1, 1]
    k[1, 2] = height / 2.0 * (1.0 - sy * w * p[1, 2]) - 0.5
    k[2, 2] = 1.0
    return k


def range_m_from_z_distance(z_m: np.ndarray, K: np.ndarray) -> np.ndarray:
    """Forward z distance ``(H, W)`` → Euclidean range from the camera centre, float32.

    ``range = z * |K^-1 [u, v, 1]|`` at each pixel centre (OpenCV pixel
    convention, see ``intrinsics_from_projection``). ``+inf`` stays ``+inf``.
    """
    z = np.asarray(z_m, dtype=np.float64)
    h, w = z.shape
    k_inv = np.linalg.inv(np.asarray(K, dtype=np.float64))
    u = np.arange(w, dtype=np.float64)
    v = np.arange(h, dtype=np.float64)
    x = k_inv[0, 0] * u[None, :] + k_inv[0, 1] * v[:, None] + k_inv[0, 2]
    y = k_inv[1, 1] * v[:, None] + k_inv[1, 2]
    ray_norm = np.sqrt(x * x + y * y + 1.0)
    return (z * ray_norm).astype(np.float32)


def depth_to_kitti_u16(depth_m: np.ndarray, *, too_far: Literal["clip", "invalid"] = "clip") -> np.ndarray:
    """Metric depth (float, metres) → KITTI uint16: ``round(depth_m × 256)``, 0 = invalid.

    Rules: non-finite or ``<= 0`` depths → 0 (invalid). Positive depths that
    would round to 0 (< 1/512 m) → 1, so a valid pixel never reads as invalid.
    Depths beyond 65535/256 ≈ 255.996 m: ``too_far="clip"`` stores 65535 (the
    largest representable distance, so "at least 256 m"); ``too_far="invalid"``
    stores 0.
    """
    d = np.asarray(depth_m)
    # float32 depth (what extraction writes) stays float32: × 256 and rounding are exact there, as in float64,
    # and what overflows to inf there (over 1e36 m) is too far either way.
    d = d if d.dtype == np.float32 else np.asarray(d, dtype=np.float64)
    if too_far not in ("clip", "invalid"):
        raise ValueError(f"too_far must be 'clip' or 'invalid', got {too_far!r}")
    valid = np.isfinite(d) & (d > 0)
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = d * KITTI_SCALE   # the one frame-sized float array: every step below is in place
        np.rint(scaled, out=scaled)
    np.copyto(scaled, 0.0, where=~valid)
    np.copyto(scaled, 1.0, where=valid & (scaled < 1))
    np.copyto(scaled, 65535.0 if too_far == "clip" else 0.0, where=scaled > 65535)
    return scaled.astype(np.uint16)


def kitti_u16_to_depth(encoded: np.ndarray) -> np.ndarray:
    """KITTI uint16 → metres, float32; 0 → ``+inf`` (invalid), as the float outputs here."""
    e = np.asarray(encoded)
    if e.dtype != np.uint16:
        raise ValueError(f"expected uint16 KITTI depth, got {e.dtype}")
    return np.where(e == 0, np.inf, e / KITTI_SCALE).astype(np.float32)
