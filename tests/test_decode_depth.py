"""Depth linearisation against hand-computed points, intrinsics, KITTI encoding."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rdc_extract.decode.depth import (
    depth_to_kitti_u16,
    intrinsics_from_projection,
    is_reversed_z,
    kitti_u16_to_depth,
    projection_from_near_far,
    range_m_from_z_distance,
    window_depth_from_z_distance,
    z_distance_m_from_near_far,
    z_distance_m_from_projection,
)

NEAR, FAR = 0.1, 1000.0


def gl_perspective(fovy_deg, aspect, n, f):
    """gluPerspective, written out from its man page (clip range -1..1)."""
    t = 1.0 / math.tan(math.radians(fovy_deg) / 2)
    return np.array([
        [t / aspect, 0, 0, 0],
        [0, t, 0, 0],
        [0, 0, (f + n) / (n - f), 2 * f * n / (n - f)],
        [0, 0, -1, 0],
    ])


def reversed_zero_to_one(n, f):
    """Reversed-Z, clip 0..1, right-handed: ndc = n (f - zd) / (zd (f - n)), so depth(n) = 1, depth(f) = 0."""
    a = n / (f - n)
    b = f * n / (f - n)
    return np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, a, b], [0, 0, -1, 0]], dtype=float)


def project_point(proj, z_dist, clip_range):
    clip = proj @ np.array([0.3, -0.2, -z_dist, 1.0])
    ndc = clip[2] / clip[3]
    return ndc if clip_range == "zero_to_one" else (ndc + 1) / 2


def test_reversed_z_point_at_10m_round_trips_through_float32():
    proj = reversed_zero_to_one(NEAR, FAR)
    d = np.float32(project_point(proj, 10.0, "zero_to_one"))
    assert d == pytest.approx(0.1 * (1000 - 10) / (10 * 999.9), rel=1e-6)  # hand formula
    z = z_distance_m_from_projection(np.array([[d]]), proj)
    assert z.dtype == np.float32
    assert z[0, 0] == pytest.approx(10.0, rel=1e-4)
    assert is_reversed_z(proj)


def test_gl_default_clip_range_conventional():
    proj = gl_perspective(60, 16 / 9, NEAR, FAR)
    dists = np.array([0.5, 3.0, 10.0, 250.0])
    d = np.array([project_point(proj, z, "minus_one_to_one") for z in dists])
    z = z_distance_m_from_projection(d, proj, clip_range="minus_one_to_one")
    np.testing.assert_allclose(z, dists, rtol=1e-5)
    assert not is_reversed_z(proj, clip_range="minus_one_to_one")


def test_left_handed_matrix_is_accepted():
    # D3D-style LH matrix (looks down +z), transposed to column-vector form: ndc = f/(f-n) - f n /((f-n) z)
    n, f = 0.5, 200.0
    proj = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, f / (f - n), -f * n / (f - n)], [0, 0, 1, 0]])
    z_true = 42.0
    clip = proj @ np.array([0, 0, z_true, 1.0])
    z = z_distance_m_from_projection(np.array([clip[2] / clip[3]]), proj)
    assert z[0] == pytest.approx(z_true, rel=1e-6)


def test_a_viewport_depth_range_is_undone_before_the_projection():
    proj = projection_from_near_far(0.5, 400.0, clip_range="minus_one_to_one")
    z = np.array([1.0, 10.0, 300.0])
    window = window_depth_from_z_distance(z, proj, clip_range="minus_one_to_one")
    drawn = 0.1 + 0.9 * window  # glDepthRange(0.1, 1.0), as warzone2100 draws its scene
    back = z_distance_m_from_projection(drawn, proj, clip_range="minus_one_to_one", depth_range=(0.1, 1.0))
    np.testing.assert_allclose(back, z, rtol=1e-5)
    assert np.isinf(z_distance_m_from_projection(np.array([1.0]), proj, depth_range=(0.1, 1.0))[0])


def test_far_plane_and_cleared_pixels_are_inf():
    conventional = gl_perspective(60, 1.0, NEAR, FAR)
    z = z_distance_m_from_projection(np.array([1.0, 0.5]), conventional, clip_range="minus_one_to_one")
    assert z[0] == np.inf and np.isfinite(z[1])
    reversed_ = reversed_zero_to_one(NEAR, FAR)
    z = z_distance_m_from_projection(np.array([0.0, 0.5, np.nan]), reversed_)
    assert z[0] == np.inf and np.isfinite(z[1]) and z[2] == np.inf


def test_near_far_helper_matches_explicit_matrices():
    proj = projection_from_near_far(NEAR, FAR, reversed_z=True)
    np.testing.assert_allclose(proj[2:], reversed_zero_to_one(NEAR, FAR)[2:], rtol=1e-12)
    gl = projection_from_near_far(NEAR, FAR, clip_range="minus_one_to_one")
    np.testing.assert_allclose(gl[2:], gl_perspective(60, 1, NEAR, FAR)[2:], rtol=1e-12)
    for reversed_z in (False, True):
        for clip_range in ("zero_to_one", "minus_one_to_one"):
            p = projection_from_near_far(2.0, 500.0, reversed_z=reversed_z, clip_range=clip_range)
            d = window_depth_from_z_distance(np.array([2.0, 500.0]), p, clip_range=clip_range)
            np.testing.assert_allclose(d, [1, 0] if reversed_z else [0, 1], atol=1e-12)
            z = z_distance_m_from_near_far(
                window_depth_from_z_distance(np.array([7.5]), p, clip_range=clip_range),
                2.0, 500.0, reversed_z=reversed_z, clip_range=clip_range,
            )
            assert z[0] == pytest.approx(7.5, rel=1e-6)


def test_infinite_reversed():
    # reversed-Z infinite far: depth = near / z, 0 (the clear value) is no geometry
    d = np.array([0.1 / 10.0, 0.0, 1.0], dtype=np.float32)
    z = z_distance_m_from_projection(d, projection_from_near_far(0.1, math.inf, reversed_z=True))
    assert z[0] == pytest.approx(10.0, rel=1e-6) and z[1] == np.inf and z[2] == pytest.approx(0.1, rel=1e-6)


def test_intrinsics_from_gl_projection():
    w, h = 640, 360
    proj = gl_perspective(60, w / h, NEAR, FAR)
    k = intrinsics_from_projection(proj, w, h)
    fy = h / 2 / math.tan(math.radians(30))
    np.testing.assert_allclose(k, [[fy, 0, (w - 1) / 2], [0, fy, (h - 1) / 2], [0, 0, 1]], rtol=1e-12)
    # a point right of centre and below it (OpenCV y down = GL y negative) lands right/below
    x_cv, y_cv, z_cv = 1.0, 0.5, 10.0
    clip = proj @ np.array([x_cv, -y_cv, -z_cv, 1.0])
    ndc = clip[:3] / clip[3]
    u_gl = (ndc[0] + 1) / 2 * w - 0.5
    v_gl = (1 - ndc[1]) / 2 * h - 0.5  # row 0 at the top after the GL row flip
    uvw = k @ np.array([x_cv, y_cv, z_cv])
    np.testing.assert_allclose(uvw[:2] / uvw[2], [u_gl, v_gl], rtol=1e-12)
    vk = intrinsics_from_projection(proj * np.array([[1], [-1], [1], [1]]), w, h, ndc_y_up=False)
    np.testing.assert_allclose(vk, k, rtol=1e-12)


def test_range_from_z():
    k = np.array([[100.0, 0, 1.0], [0, 100.0, 1.0], [0, 0, 1]])
    z = np.full((3, 3), 10.0, dtype=np.float32)
    z[0, 0] = np.inf
    r = range_m_from_z_distance(z, k)
    assert r[1, 1] == pytest.approx(10.0)  # principal point
    assert r[1, 2] == pytest.approx(10.0 * math.sqrt(1 + 0.01 ** 2))
    assert r[2, 2] == pytest.approx(10.0 * math.sqrt(1 + 2 * 0.01 ** 2))
    assert r[0, 0] == np.inf


def test_kitti_encoding_rules():
    depth = np.array([1.0, 0.5 / 256, 0.001, 255.99, 300.0, np.inf, np.nan, 0.0, -3.0])
    enc = depth_to_kitti_u16(depth)
    assert enc.dtype == np.uint16
    np.testing.assert_array_equal(enc, [256, 1, 1, 65533, 65535, 0, 0, 0, 0])
    np.testing.assert_array_equal(depth_to_kitti_u16(np.array([300.0]), too_far="invalid"), [0])
    back = kitti_u16_to_depth(enc)
    assert back[0] == 1.0 and back[5] == np.inf
    grid = np.linspace(0.01, 250, 1000)
    np.testing.assert_allclose(kitti_u16_to_depth(depth_to_kitti_u16(grid)), grid, atol=0.5 / 256 + 1e-9)


@pytest.mark.parametrize("too_far", ["clip", "invalid"])
def test_kitti_encoding_of_float32_depth_is_that_of_the_same_values_in_float64(too_far):
    edges = [0.0, -1.0, np.nan, np.inf, -np.inf, 1 / 512, np.nextafter(1 / 512, 0), 1 / 1024, 1e-45,
             255.99, 65535 / 256, 65535.5 / 256, 256.0, 1.3e36, 3e38]
    depth = np.concatenate([np.random.default_rng(8).uniform(0, 300, 5000), edges]).astype(np.float32)
    encoded = depth_to_kitti_u16(depth, too_far=too_far)
    np.testing.assert_array_equal(encoded, depth_to_kitti_u16(depth.astype(np.float64), too_far=too_far))


def test_bad_inputs():
    with pytest.raises(ValueError):
        z_distance_m_from_projection(np.array([0.5]), np.eye(4))  # orthographic / identity
    with pytest.raises(ValueError):
        z_distance_m_from_projection(np.array([0.5]), reversed_zero_to_one(NEAR, FAR), clip_range="0..1")
    with pytest.raises(ValueError):
        projection_from_near_far(10.0, 1.0)


def z_distance_before(window_depth, proj, clip_range, depth_range):
    """z_distance_m_from_projection as written before it worked in place (frame-sized temporaries)."""
    p = np.asarray(proj, dtype=np.float64)
    p = p / abs(p[3, 2])
    w = p[3, 2]
    low, high = depth_range
    if (low, high) != (0.0, 1.0):
        window_depth = (np.asarray(window_depth, dtype=np.float64) - low) / (high - low)
    d = np.asarray(window_depth, dtype=np.float64)
    ndc = d if clip_range == "zero_to_one" else 2.0 * d - 1.0
    z_fwd = np.asarray(w * ndc)
    z_fwd -= p[2, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        np.divide(p[2, 3], z_fwd, out=z_fwd)
        z_fwd *= w
        invalid = ~np.isfinite(z_fwd) | (z_fwd <= 0)
    d = np.asarray(window_depth)
    invalid |= (d <= 0.0) if is_reversed_z(p, clip_range=clip_range) else (d >= 1.0)
    z_fwd[invalid] = np.inf
    return z_fwd.astype(np.float32)


@pytest.mark.parametrize("clip_range", ["zero_to_one", "minus_one_to_one"])
@pytest.mark.parametrize("reversed_z", [False, True])
@pytest.mark.parametrize("depth_range", [(0.0, 1.0), (0.1, 1.0)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_z_distance_in_place_gives_the_bytes_of_the_expression_before(clip_range, reversed_z, depth_range, dtype):
    proj = projection_from_near_far(0.3, 800.0, reversed_z=reversed_z, clip_range=clip_range)
    window = np.random.default_rng(3).uniform(-0.1, 1.1, size=(20, 30)).astype(dtype)
    window[0, :6] = [0.0, 1.0, np.nan, np.inf, -np.inf, 0.1]
    before = window.copy()
    out = z_distance_m_from_projection(window, proj, clip_range=clip_range, depth_range=depth_range)
    assert out.dtype == np.float32
    assert out.tobytes() == z_distance_before(window, proj, clip_range, depth_range).tobytes()
    assert window.tobytes() == before.tobytes(), "the input is left as it was"


def kitti_before(depth_m, too_far):
    """depth_to_kitti_u16 as written before it worked in place."""
    d = np.asarray(depth_m)
    d = d if d.dtype == np.float32 else np.asarray(d, dtype=np.float64)
    valid = np.isfinite(d) & (d > 0)
    with np.errstate(over="ignore"):
        scaled = np.where(valid, np.rint(d * 256.0), 0.0)
    scaled = np.where(valid & (scaled < 1), 1.0, scaled)
    over = scaled > 65535
    scaled = np.where(over, 65535.0 if too_far == "clip" else 0.0, scaled)
    return scaled.astype(np.uint16)


@pytest.mark.parametrize("too_far", ["clip", "invalid"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kitti_encoding_in_place_gives_the_values_of_the_expression_before(too_far, dtype):
    edges = [0.0, -0.0, -1.0, np.nan, np.inf, -np.inf, 1 / 512, np.nextafter(1 / 512, 0), 1 / 1024, 1e-45,
             255.99, 65535 / 256, 65535.5 / 256, 256.0, 1.3e36, 3e38]
    depth = np.concatenate([np.random.default_rng(12).uniform(-1, 300, 4000), edges]).astype(dtype).reshape(4, -1)
    before = depth.copy()
    assert depth_to_kitti_u16(depth, too_far=too_far).tobytes() == kitti_before(depth, too_far).tobytes()
    assert depth.tobytes() == before.tobytes()
