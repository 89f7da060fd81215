"""Normal decoding: hand-checked vectors per encoding, frame conversion, uint16 PNG round trip."""

from __future__ import annotations

import re

import numpy as np
import pytest

from rdc_extract.decode.channels import leading_channels
from rdc_extract.decode.normals import (
    ENCODINGS,
    decode_normals,
    decode_vectors,
    encode_vectors,
    normalize,
    normals_from_u16_png,
    normals_to_u16_png,
    octahedral_to_vector,
    spheremap_to_vector,
    to_camera_rotation,
    vector_to_octahedral,
    vector_to_spheremap,
    xy_to_vector,
)

S = np.sqrt(0.5)  # cos 45°


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


def test_octahedral_encoder_known_points():
    n = np.array([[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, -1], [0, S, S], [S, 0, -S]], dtype=np.float32)
    # (S, 0, -S): |x|+|y|+|z| = 2S, so p = (0.5, 0) and the fold gives ((1 - 0) * 1, (1 - 0.5) * 1)
    np.testing.assert_allclose(vector_to_octahedral(n), [[0, 0], [1, 0], [0, 1], [1, 1], [0, 0.5], [1, 0.5]],
                               atol=1e-7)


def test_spheremap_known_values():
    # Aras P., "Compact Normal Storage", method #4: e = n.xy / sqrt(8 n.z + 8) + 0.5
    n = np.array([[0, 0, 1], [1, 0, 0], [0, -1, 0], [0, S, S]], dtype=np.float32)
    r45 = 2 * np.sin(np.radians(22.5)) / 4  # Lambert equal-area radius 2 sin(θ/2), scaled by 1/4
    expect = [[0.5, 0.5], [0.5 + 1 / np.sqrt(8), 0.5], [0.5, 0.5 - 1 / np.sqrt(8)], [0.5, 0.5 + r45]]
    np.testing.assert_allclose(vector_to_spheremap(n), expect, atol=1e-6)
    np.testing.assert_allclose(spheremap_to_vector(np.array(expect, dtype=np.float32)), n, atol=1e-6)
    # the rim of the disc |4e - 2| = 2 is -z
    np.testing.assert_allclose(spheremap_to_vector(np.array([1.0, 0.5], dtype=np.float32)), [0, 0, -1], atol=1e-7)


def test_spheremap_codes_outside_the_disc_are_not_unit_length():
    v = spheremap_to_vector(np.array([[1.0, 1.0], [0.0, 0.0]], dtype=np.float32))
    assert np.all(np.linalg.norm(v, axis=-1) > 1.5)


def test_xy_reconstructs_z_towards_the_viewer():
    v = xy_to_vector(np.array([[0, 0], [1, 0], [0.6, 0], [0, -S], [1, 1]], dtype=np.float32))
    np.testing.assert_allclose(v, [[0, 0, 1], [1, 0, 0], [0.6, 0, 0.8], [0, -S, S], [1, 1, 0]], atol=1e-6)
    unorm = decode_vectors(img([0.8, 0.5], [0.5, 0.5]), "xy_unorm")
    np.testing.assert_allclose(unorm[0], [[0.6, 0, 0.8], [0, 0, 1]], atol=1e-6)
    # in the default GL view frame, reconstructed z faces the camera: OpenCV -z
    np.testing.assert_allclose(decode_normals(img([0.0, 0.0]), "xy")[0, 0], [0, 0, -1], atol=1e-7)


def _random_unit(rng, count, upper_half=False):
    n = rng.normal(size=(count, 1, 3))
    if upper_half:
        n[..., 2] = np.abs(n[..., 2])
    return (n / np.linalg.norm(n, axis=-1, keepdims=True)).astype(np.float32)


def _max_angle_deg(a, b):
    cosine = np.sum(a * b, axis=-1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1)
    return float(np.degrees(np.arccos(np.clip(cosine, -1, 1))).max())


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_every_encoding_round_trips_random_unit_vectors(encoding):
    n = _random_unit(np.random.default_rng(3), 4000, upper_half=encoding.startswith("xy"))
    assert _max_angle_deg(decode_vectors(encode_vectors(n, encoding), encoding), n) < 0.1  # float32; spheremap is least precise near -z
    if encoding.endswith("unorm") or encoding in ("unorm_xyz", "spheremap"):
        stored = encode_vectors(n, encoding)
        assert stored.min() >= 0 and stored.max() <= 1
        # In a 10-bit UNorm target the error stays under a degree, away from where each
        # encoding is ill-conditioned: spheremap near -z (one point), xy near z = 0.
        well_posed = {"spheremap": n[..., 2] > -0.9, "xy_unorm": n[..., 2] > 0.25}.get(encoding, n[..., 2] > -2)
        quantised = np.rint(stored[well_posed] * 1023) / 1023
        assert _max_angle_deg(decode_vectors(quantised[:, None], encoding)[:, 0], n[well_posed]) < 1.0


def test_octahedral_round_trip_random():
    rng = np.random.default_rng(1)
    n = rng.normal(size=(8, 16, 3))
    n /= np.linalg.norm(n, axis=-1, keepdims=True)
    out = decode_normals(encode_vectors(n, "octahedral"), "octahedral", view_frame="opencv")
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


def with_specials(vectors):
    """Unit, zero, tiny, huge, NaN and infinite vectors among random ones."""
    v = vectors.reshape(-1, 3)
    v[::5] = 0
    v[1::7, 1] = np.nan
    v[2::11, 2] = np.inf
    v[3::13] = 1e-8
    v[4::17, 0] = -np.inf
    v[5::19] *= 1e30
    return vectors


@pytest.mark.parametrize("shape", [(40, 50, 3), (300, 3), (3,)])
def test_normalize_is_v_over_its_length_or_zero_bit_for_bit(shape):
    v = with_specials(np.random.default_rng(4).normal(size=shape).astype(np.float32))
    length = np.sqrt(np.einsum("...i,...i->...", v, v))[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.where(length > 1e-6, v / length, 0.0).astype(np.float32)
    out = normalize(v)
    assert out.dtype == np.float32 and out.shape == v.shape and out.tobytes() == expected.tobytes()


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_extra_stored_channels_do_not_change_the_decode(encoding):
    stored = np.random.default_rng(5).uniform(-1, 1, size=(6, 7, 4)).astype(np.float32)
    used = np.ascontiguousarray(stored[..., :3] if encoding in ("unorm_xyz", "float_xyz") else stored[..., :2])
    assert decode_vectors(stored, encoding).tobytes() == decode_vectors(used, encoding).tobytes()


def test_u16_png_encoding_is_computed_in_float32():
    n = normalize(np.random.default_rng(6).normal(size=(30, 40, 3)).astype(np.float32))
    expected = np.rint((np.clip(n, -1.0, 1.0) * 0.5 + 0.5) * 65535.0).astype(np.uint16)
    np.testing.assert_array_equal(normals_to_u16_png(n), expected)


@pytest.mark.parametrize(("encoding", "signed_decode"), [("unorm_xyz", lambda v: v), ("octahedral_unorm", octahedral_to_vector),
                                                         ("xy_unorm", xy_to_vector)])
def test_unorm_encodings_decode_as_the_stored_values_times_two_minus_one_did(encoding, signed_decode):
    stored = np.random.default_rng(8).uniform(0, 1, size=(9, 11, 4)).astype(np.float32)
    stored[0, 0] = [0.0, 1.0, 0.5, 1.0]
    count = 3 if encoding == "unorm_xyz" else 2
    expected = signed_decode(leading_channels(stored, count) * 2.0 - 1.0)
    out = decode_vectors(stored, encoding)
    assert out.dtype == np.float32 and out.tobytes() == expected.tobytes()
    assert stored[0, 0].tolist() == [0.0, 1.0, 0.5, 1.0], "the input is left as it was"


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_decode_normals_is_normalize_of_the_rotated_vectors(encoding):
    """decode_normals normalises the rotated vectors in place: the same values as `normalize` of them."""
    stored = np.random.default_rng(9).uniform(-1, 1, size=(12, 10, 4)).astype(np.float32)
    stored[0, :3] = 0.5  # unorm (0.5, 0.5, 0.5) is the zero vector
    world_to_view = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 0.0]])
    expected = normalize(decode_vectors(stored, encoding) @ to_camera_rotation("gl", world_to_view).T.astype(np.float32))
    assert decode_normals(stored, encoding, world_to_view=world_to_view).tobytes() == expected.tobytes()


@pytest.mark.parametrize(("bad", "message"), [(np.nan, "NaN or inf"), (np.inf, "NaN or inf"), (-np.inf, "NaN or inf"),
                                              (1.5, "max |n| = 1.5"), (-2.0, "max |n| = 2.0")])
def test_u16_png_encoding_refuses_what_it_refused(bad, message):
    n = np.zeros((3, 4, 3), np.float32)
    n[1, 2, 1] = bad
    with pytest.raises(ValueError, match=re.escape(message)):
        normals_to_u16_png(n)


def test_u16_png_encoding_accepts_float_rounding_beyond_one_as_before():
    limit = np.float32(1.0 + 1e-5)
    n = np.array([[[limit, -limit, 0.0]]], dtype=np.float32)
    np.testing.assert_array_equal(normals_to_u16_png(n), [[[65535, 0, 32768]]])
    with pytest.raises(ValueError):
        normals_to_u16_png(np.array([[[np.nextafter(limit, np.float32(2)), 0.0, 0.0]]], dtype=np.float32))
    assert normals_to_u16_png(np.zeros((0, 4, 3), np.float32)).shape == (0, 4, 3)


def test_u16_png_encoding_in_place_gives_the_same_values_and_scales_only_a_float32_input():
    n = normalize(np.random.default_rng(13).normal(size=(30, 40, 3)).astype(np.float32))
    expected = normals_to_u16_png(n)
    scratch = n.copy()
    assert normals_to_u16_png(scratch, overwrite=True).tobytes() == expected.tobytes()
    assert not np.array_equal(scratch, n), "scaled in place"
    wide = n.astype(np.float64)
    assert normals_to_u16_png(wide, overwrite=True).tobytes() == expected.tobytes()
    assert np.array_equal(wide, n.astype(np.float64)), "a float64 input is converted, not overwritten"
