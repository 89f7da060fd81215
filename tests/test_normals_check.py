"""Normals from depth, and the check/choice of a normal encoding against them, on synthetic planar scenes."""

from __future__ import annotations

import numpy as np
import pytest

from rdc_extract.decode.normals import ENCODINGS, VIEW_ONLY_ENCODINGS, encode_vectors
from rdc_extract.decode.normals_check import Candidate, candidates, choose_encoding, grid, normals_from_depth

HEIGHT, WIDTH = 120, 160
K = np.array([[100.0, 0.0, 79.5], [0.0, 100.0, 59.5], [0.0, 0.0, 1.0]])
GL_TO_OPENCV = np.diag([1.0, -1.0, -1.0])


def unit(*v):
    v = np.asarray(v, dtype=np.float64)
    return v / np.linalg.norm(v)


def rays():
    v, u = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float64)
    return np.stack([(u - K[0, 2]) / K[0, 0], (v - K[1, 2]) / K[1, 1], np.ones_like(u)], axis=-1)


def planar_scene(planes, far=12.0):
    """Depth (z, +inf beyond `far`: sky) and OpenCV-frame normals of the nearest of `planes`.

    A plane is (normal, point), or (normal, point, window) to show it only in that image window.
    """
    r = rays()
    depth = np.full((HEIGHT, WIDTH), np.inf)
    normals = np.full((HEIGHT, WIDTH, 3), np.nan)
    for normal, point, *window in planes:
        n = unit(*normal)
        with np.errstate(divide="ignore"):
            t = np.dot(n, point) / (r @ n)
        shown = np.zeros((HEIGHT, WIDTH), bool)
        shown[window[0] if window else np.s_[:, :]] = True
        nearer = shown & (t > 0) & (t < depth) & (t < far)
        depth[nearer] = t[nearer]
        normals[nearer] = n
    return depth.astype(np.float32), normals


# Generic orientations (no normal along an axis), all facing the camera, and a sky.
SCENE = [((0.1, -1.0, -0.15), (0, 1.5, 0)), ((1.0, 0.1, -0.3), (-4, 0, 0)),
         ((0.3, 0.2, -1.0), (0, 0, 10)), ((-0.5, -0.2, -0.8), (0.5, 0, 6), np.s_[50:90, 90:130])]
# world → OpenGL view rotation: yaw 40°, then pitch -15°
_YAW, _PITCH = np.radians(40.0), np.radians(-15.0)
WORLD_TO_VIEW = (np.array([[1, 0, 0], [0, np.cos(_PITCH), -np.sin(_PITCH)], [0, np.sin(_PITCH), np.cos(_PITCH)]])
                 @ np.array([[np.cos(_YAW), 0, np.sin(_YAW)], [0, 1, 0], [-np.sin(_YAW), 0, np.cos(_YAW)]]))


def stored(normals_cv, encoding, space):
    """What a game stores: normals in GL view space (or world), encoded; sky pixels 0."""
    n_gl = normals_cv @ GL_TO_OPENCV.T
    n = n_gl @ WORLD_TO_VIEW if space == "world" else n_gl   # world = R^T view
    sky = ~np.isfinite(n[..., 0])
    out = encode_vectors(np.where(sky[..., None], [0.0, 0.0, 1.0], n), encoding)
    out[sky] = 0
    return out


def test_normals_of_a_tilted_plane_at_every_pixel():
    n = unit(0.3, -0.4, -0.8)
    depth, _ = planar_scene([(n, (0, 0, 5))], far=1e9)
    assert np.isfinite(depth).all()
    derived = normals_from_depth(depth, K)
    assert derived.shape == (HEIGHT, WIDTH, 3) and derived.dtype == np.float32
    np.testing.assert_allclose(derived.reshape(-1, 3), np.broadcast_to(n, (HEIGHT * WIDTH, 3)), atol=2e-4)


def test_a_floor_below_the_camera_points_up_and_a_wall_ahead_faces_it():
    depth, _ = planar_scene([((0, -1, 0), (0, 1.5, 0))])
    derived = normals_from_depth(depth, K)
    np.testing.assert_allclose(derived[-1, 80], [0, -1, 0], atol=1e-4)  # OpenCV y is down
    wall, _ = planar_scene([((0, 0, -1), (0, 0, 10))])
    np.testing.assert_allclose(normals_from_depth(wall, K)[60, 80], [0, 0, -1], atol=1e-6)


def test_strided_grid_samples_the_same_pixels():
    depth, _ = planar_scene(SCENE)
    rows, cols = grid(depth.shape, 7)
    full = normals_from_depth(depth, K)
    np.testing.assert_array_equal(normals_from_depth(depth, K, stride=7), full[np.ix_(rows, cols)])


def test_sky_and_isolated_depth_spikes_are_nan_but_one_sided_edges_are_kept():
    n = unit(0.0, 0.0, -1.0)
    depth, _ = planar_scene([(n, (0, 0, 5))], far=1e9)
    depth[:, :40] = np.inf       # sky on the left
    depth[60, 100] = 2.0         # a one-pixel spike
    depth[:, 120:] = 9.0         # a step to a farther wall
    derived = normals_from_depth(depth, K)
    assert np.isnan(derived[:, :40]).all()
    assert np.isnan(derived[60, 100]).all()
    for column in (40, 119, 120):  # next to the sky, and on both sides of the step: the smooth side is used
        np.testing.assert_allclose(derived[30, column], n, atol=1e-5)
    with pytest.raises(ValueError, match="depth must be"):
        normals_from_depth(depth[..., None], K)


def test_candidates_respect_channels_space_and_view_only_encodings():
    two = candidates(2, world=True)
    assert Candidate("unorm_xyz", "view") not in two and Candidate("octahedral", "world") in two
    assert Candidate("xy", "world") not in two and Candidate("xy", "view") in two
    assert {c.space for c in candidates(4, world=False)} == {"view"}
    assert {c.space for c in candidates(4, world=True, space="world")} == {"world"}


CASES = [(e, s) for s in ("view", "world") for e in ENCODINGS if not (s == "world" and e in VIEW_ONLY_ENCODINGS)]


@pytest.mark.parametrize(("encoding", "space"), CASES, ids=[f"{e}-{s}" for e, s in CASES])
def test_detection_finds_the_encoding_and_space_a_game_stores(encoding, space):
    depth, normals = planar_scene(SCENE)
    channels = 3 if encoding.endswith("xyz") else 2
    target = np.zeros((HEIGHT, WIDTH, 4), np.float32)
    target[..., :channels] = stored(normals, encoding, space)
    choice = choose_encoding(target, depth, K, world_to_view=WORLD_TO_VIEW)
    assert choice.candidate == Candidate(encoding, space) and choice.source == "detected"
    assert choice.verified and choice.agreement.median_angle_deg < 0.1 and choice.agreement.within_30deg > 0.95


def test_a_profile_encoding_that_depth_confirms_is_kept_without_warnings():
    depth, normals = planar_scene(SCENE)
    target = stored(normals, "unorm_xyz", "world")
    choice = choose_encoding(target, depth, K, world_to_view=WORLD_TO_VIEW, stated=Candidate("unorm_xyz", "world"))
    assert choice.verified and choice.source == "profile" and choice.warnings == [] and choice.better is None


def test_spheremap_normals_read_as_octahedral_unorm_are_flagged_not_accepted():
    """The issue's case: a game stored spheremap normals; octahedral_unorm passed and was ~17° off, silently."""
    depth, normals = planar_scene(SCENE)
    target = stored(normals, "spheremap", "view")
    choice = choose_encoding(target, depth, K, world_to_view=WORLD_TO_VIEW,
                             stated=Candidate("octahedral_unorm", "view"))
    assert choice.candidate == Candidate("octahedral_unorm", "view") and choice.source == "profile"
    assert not choice.verified
    assert choice.better == Candidate("spheremap", "view")
    assert "octahedral_unorm/view disagrees with depth" in choice.warnings[0]
    assert "spheremap/view agrees with depth" in choice.warnings[1]


def test_a_profile_encoding_slightly_but_clearly_worse_than_another_is_flagged():
    """Wrong by a few degrees on most pixels passes the 30° test, so it is compared with the others."""
    depth, normals = planar_scene(SCENE)
    target = stored(normals, "octahedral", "view")
    choice = choose_encoding(target, depth, K, world_to_view=WORLD_TO_VIEW, stated=Candidate("xy", "view"))
    assert choice.agreement.within_30deg > 0.5, "this case is meant to pass the absolute test"
    assert not choice.verified and choice.better == Candidate("octahedral", "view")


def test_back_facing_non_unit_and_noise_decodes_are_not_verified():
    depth, normals = planar_scene(SCENE)
    flipped = choose_encoding(stored(-normals, "float_xyz", "view"), depth, K, world_to_view=None,
                              stated=Candidate("float_xyz", "view"))
    assert not flipped.verified and any("face away" in p for p in flipped.problems)
    scaled = choose_encoding(stored(normals, "float_xyz", "view") * 3, depth, K, world_to_view=None,
                             stated=Candidate("float_xyz", "view"))
    assert not scaled.verified and any("unit length" in p for p in scaled.problems)
    noise = np.random.default_rng(0).random((HEIGHT, WIDTH, 4)).astype(np.float32)
    guess = choose_encoding(noise, depth, K, world_to_view=WORLD_TO_VIEW)
    assert guess.source == "detected" and not guess.verified
    assert guess.warnings[0].startswith("normals: best guess")


def test_no_usable_depth_verifies_nothing():
    _, normals = planar_scene(SCENE)
    sky = np.full((HEIGHT, WIDTH), np.inf, np.float32)
    choice = choose_encoding(stored(normals, "unorm_xyz", "view"), sky, K, world_to_view=None,
                             stated=Candidate("unorm_xyz", "view"))
    assert not choice.verified and "pixels with usable depth" in choice.problems[0]


def test_a_candidate_measures_the_same_when_the_other_space_decoded_the_sample_first():
    """Both spaces of an encoding share one decode of the sample: that must not change what is measured."""
    depth, normals = planar_scene(SCENE)
    target = stored(normals, "unorm_xyz", "view")
    world_first = choose_encoding(target, depth, K, world_to_view=WORLD_TO_VIEW, stated=Candidate("unorm_xyz", "world"))
    assert world_first.better == Candidate("unorm_xyz", "view")
    view_alone = choose_encoding(target, depth, K, world_to_view=WORLD_TO_VIEW, stated=Candidate("unorm_xyz", "view"))
    assert view_alone.agreement == world_first.better_agreement


def reference_normals_from_depth(z, k):
    """normals_from_depth at every pixel as whole (H, W, 3) arrays: the algorithm as its docstring states it."""
    height, width = z.shape
    k_inv = np.linalg.inv(k)
    v, u = np.mgrid[0:height, 0:width].astype(np.float64)

    def point(dr, dc):
        r, c = v + dr, u + dc
        inside = (r >= 0) & (r < height) & (c >= 0) & (c < width)
        depth = z[np.clip(r, 0, height - 1).astype(int), np.clip(c, 0, width - 1).astype(int)].astype(np.float64)
        with np.errstate(invalid="ignore"):
            depth = np.where(inside & np.isfinite(depth) & (depth > 0), depth, np.nan)
        x = k_inv[0, 0] * c + k_inv[0, 1] * r + k_inv[0, 2]
        y = k_inv[1, 0] * c + k_inv[1, 1] * r + k_inv[1, 2]
        return np.stack([x, y, np.ones_like(x)], axis=-1) * depth[..., None], depth

    centre, z_c = point(0, 0)

    def tangent(dr, dc):
        (after, z_a), (before, z_b) = point(dr, dc), point(-dr, -dc)
        step_after = np.nan_to_num(np.abs(z_a - z_c), nan=np.inf)
        step_before = np.nan_to_num(np.abs(z_c - z_b), nan=np.inf)
        t = np.where((step_after <= step_before)[..., None], after - centre, centre - before)
        return t, np.minimum(step_after, step_before)

    (along_u, step_u), (along_v, step_v) = tangent(0, 1), tangent(1, 0)
    with np.errstate(invalid="ignore"):
        smooth = np.maximum(step_u, step_v) <= 0.1 * z_c
    n = np.where(smooth[..., None], np.cross(along_v, along_u), 0.0).astype(np.float32)
    length = np.sqrt(np.einsum("...i,...i->...", n, n))[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(length > 1e-6, n / length, 0.0).astype(np.float32)
    out[~smooth | ~np.any(out != 0, axis=-1)] = np.nan
    return out


def test_depth_normals_are_those_of_the_whole_array_algorithm_bit_for_bit():
    """normals_from_depth works plane by plane for speed; it must give the very bits of the plain algorithm."""
    depth, _ = planar_scene(SCENE)
    depth[60, 100] = 2.0
    depth[:, 150:] = 30.0
    assert normals_from_depth(depth, K).tobytes() == reference_normals_from_depth(depth, K).tobytes()
