"""Normal decoding: hand-checked vectors per encoding, frame conversion, uint16 PNG round trip."""

from __future__ import annotations

import numpy as np
import pytest

from rdc_extract.decode.normals import (
    decode_normals,
    normals_from_u16_png,
    normals_to_u16_png,
    octahedral_to_vector,
)


def img(*pixels):
    return np.array([pixels], dtype=np.float32)  # (1, N, C)


def test_unorm_xyz_and_gl_to_opencv():
    # GL view space: +y up, +z towards the viewer. Facing the camera = (0, 0, 1) in GL = (0, 0, -1) in OpenCV.
    enc = img([0.5, 0.5, 1.0, 1.0], [0.5, 1.0, 0.5, 0.0], [1.0, 0.5, 0.5, 0.0])
    n = decode_normals(enc, "unorm_xyz", view_frame="gl")
    np.testing.assert_allclose(n[0], [[0, 0, -1], [0, -1, 0], [1, 0, 0]], atol=1e-7)
    assert n.dtype == np.float32 and n.shape == (1, 3, 3)


def test_rgb10a2_like_quantised_values_are_renormalised():
    enc = img([1023 / 1023, 512 / 1023, 512 / 1023])
    n = decode_normals(enc, "unorm_xyz", view_frame="opencv")
    assert np.linalg.norm(n[0, 0]) == pytest.approx(1.0, abs=1e-6)
    assert n[0, 0, 0] == pytest.approx(1.0, abs=1e-5)


def test_float_xyz_d3d_frame():
    n = decode_normals(img([0.0, 2.0, 0.0], [0.0, 0.0, -1.0]), "float_xyz", view_frame="d3d")
    np.testing.assert_allclose(n[0], [[0, -1, 0], [0, 0, -1]], atol=1e-7)


def test_octahedral_known_points():
    # Cigolle et al. 2014: (0,0)->+z, (1,0)->+x, (0,1)->+y, corners -> -z
    v = octahedral_to_vector(np.array([[0, 0], [1, 0], [0, 1], [1, 1], [-1, -1], [0.5, 0]], dtype=np.float32))
    expect = [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, -1], [0, 0, -1], [0.5, 0, 0.5]]
    np.testing.assert_allclose(v, expect, atol=1e-7)
    n = decode_normals(img([0.5, 0.5], [1.0, 0.5]), "octahedral_unorm", view_frame="opencv")
    np.testing.assert_allclose(n[0], [[0, 0, 1], [1, 0, 0]], atol=1e-7)


def _oct_encode(n):
    """Reference encoder from the same paper, used only to build inputs."""
    p = n[..., :2] / np.sum(np.abs(n), axis=-1, keepdims=True)
    neg = n[..., 2] < 0
    folded = (1 - np.abs(p[..., ::-1])) * np.where(p >= 0, 1.0, -1.0)
    return np.where(neg[..., None], folded, p)


def test_octahedral_round_trip_random():
    rng = np.random.default_rng(1)
    n = rng.normal(size=(8, 16, 3))
    n /= np.linalg.norm(n, axis=-1, keepdims=True)
    out = decode_normals(_oct_encode(n).astype(np.float32), "octahedral", view_frame="opencv")
    np.testing.assert_allclose(out, n, atol=1e-5)


def test_world_to_view_rotation():
    # camera yawed 90°: world +x is the camera's GL -z (straight ahead)
    world_to_view = np.array([[0, 0, 1], [0, 1, 0], [-1, 0, 0]], dtype=float)  # det = +1
    n = decode_normals(img([1.0, 0.0, 0.0]), "float_xyz", view_frame="gl", world_to_view=world_to_view)
    np.testing.assert_allclose(n[0, 0], [0, 0, 1], atol=1e-7)  # points away from the camera, OpenCV +z


def test_zero_vectors_stay_zero_and_bad_args():
    n = decode_normals(img([0.0, 0.0, 0.0]), "float_xyz")
    np.testing.assert_array_equal(n[0, 0], [0, 0, 0])
    with pytest.raises(ValueError):
        decode_normals(img([0.0, 0.0, 1.0]), "spherical")
    with pytest.raises(ValueError):
        decode_normals(img([0.0, 0.0]), "unorm_xyz")
    with pytest.raises(ValueError):
        decode_normals(img([0.0, 0.0, 1.0]), "float_xyz", view_frame="y-up")


def test_u16_png_encoding_and_round_trip():
    n = np.array([[[1.0, 0.0, -1.0]]], dtype=np.float32)
    enc = normals_to_u16_png(n)
    np.testing.assert_array_equal(enc, [[[65535, 32768, 0]]])  # round(0.5 * 65535) = 32768
    rng = np.random.default_rng(2)
    m = rng.normal(size=(4, 5, 3))
    m = (m / np.linalg.norm(m, axis=-1, keepdims=True)).astype(np.float32)
    np.testing.assert_allclose(normals_from_u16_png(normals_to_u16_png(m)), m, atol=1.0 / 65535 + 1e-7)
    with pytest.raises(ValueError):
        normals_to_u16_png(np.array([[[1.5, 0, 0]]], dtype=np.float32))
    with pytest.raises(ValueError):
        normals_to_u16_png(np.array([[[np.nan, 0, 0]]], dtype=np.float32))
