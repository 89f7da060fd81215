"""Profile-free camera discovery on synthetic matrices with known answers (pure)."""

from __future__ import annotations

import numpy as np
import pytest

from rdc_extract.decode.depth import intrinsics_from_projection, near_far_from_projection, projection_from_near_far
from rdc_extract.extract.camera import find_view_projection, stored_matrices
from rdc_extract.extract.decompose import split_view_projection
from rdc_extract.extract.plan import camera_draws

ASPECT = 16 / 9


def _rotation(yaw: float, pitch: float) -> np.ndarray:
    cy, sy, cp, sp = np.cos(yaw), np.sin(yaw), np.cos(pitch), np.sin(pitch)
    about_y = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    about_x = np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
    return about_x @ about_y


def _view(yaw: float = 0.4, pitch: float = -0.3, t: tuple[float, float, float] = (1.0, -2.0, -7.0)) -> np.ndarray:
    view = np.eye(4)
    view[:3, :3], view[:3, 3] = _rotation(yaw, pitch), t
    return view


def _projection(*, clip: str = "minus_one_to_one", reversed_z: bool = False, far: float = 300.0,
                left_handed: bool = False, y_down: bool = False) -> np.ndarray:
    proj = projection_from_near_far(0.5, far, reversed_z=reversed_z, clip_range=clip)
    proj[0, 0], proj[1, 1] = 1.2 / ASPECT, 1.2 * (-1 if y_down else 1)
    if left_handed:
        proj[:, 2] *= -1
    return proj


CASES = {
    "gl": dict(clip="minus_one_to_one"),
    "d3d_left_handed": dict(clip="zero_to_one", left_handed=True),
    "vulkan_y_down": dict(clip="zero_to_one", y_down=True),
    "reversed_z": dict(clip="zero_to_one", reversed_z=True),
    "reversed_infinite": dict(clip="zero_to_one", reversed_z=True, far=np.inf),
}


@pytest.mark.parametrize("case", CASES)
def test_split_recovers_projection_view_intrinsics_and_near_far(case):
    conventions = CASES[case]
    proj, view = _projection(**conventions), _view()
    y_up = not conventions.get("y_down", False)
    split = split_view_projection(proj @ view, ndc_y_up=y_up)
    assert split is not None and split.scale == pytest.approx(1.0)
    np.testing.assert_allclose(split.proj, proj, atol=1e-9)
    np.testing.assert_allclose(split.view, view, atol=1e-9)
    clip = conventions["clip"]
    assert near_far_from_projection(split.proj, clip_range=clip) == pytest.approx((0.5, conventions.get("far", 300.0)))
    K = intrinsics_from_projection(split.proj, 640, 360, ndc_y_up=y_up)
    np.testing.assert_allclose(K, [[216, 0, 319.5], [0, 216, 179.5], [0, 0, 1]], atol=1e-9)


def test_a_scaled_model_matrix_gives_the_model_view_with_its_scale():
    model = np.diag([0.25, 0.25, 0.25, 1.0])
    model[:3, 3] = (3.0, 0.0, 1.0)
    split = split_view_projection(_projection() @ _view() @ model)
    assert split.scale == pytest.approx(0.25)
    np.testing.assert_allclose(split.proj, _projection(), atol=1e-9)
    np.testing.assert_allclose(split.view, _view() @ model, atol=1e-9)


@pytest.mark.parametrize("matrix", [np.diag([0.01, 0.02, -0.001, 1.0]),  # orthographic (UI)
                                    _view(), np.zeros((4, 4)), np.full((4, 4), np.nan)])
def test_no_perspective_camera_is_no_split(matrix):
    assert split_view_projection(matrix) is None


def test_matrices_are_found_transposed_in_vec4_arrays_and_in_packed_words():
    mvp = _projection() @ _view()
    words = np.concatenate([[7.0, 8.0, 9.0], mvp.T.ravel(), [1.0]]).astype(np.float32)  # column-major at word 3
    packed = {f"_child0[{i}]": np.array([[w]]) for i, w in enumerate(words.view(np.uint32).astype(np.int64))}
    rows = {f"rows[{i}]": mvp[i][None, :] for i in range(4)}  # a row-vector game's vec4[4]
    found = {name: m for values in (packed, rows, {"m": mvp.T}) for name, m in stored_matrices(values)}
    assert any(np.allclose(m, mvp, rtol=1e-6) for name, m in found.items() if name.startswith("_child0 words 3-18"))
    assert np.allclose(found["rows words 0-15 (transposed)"], mvp)
    assert np.allclose(found["m (transposed)"], mvp)


def _draw(mvp: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
    return {"$Globals": {"ModelViewProjectionMatrix": mvp}}


def test_the_view_most_draws_agree_on_wins_and_a_scaled_sky_loses():
    proj, view = _projection(), _view()
    sky = view.copy()
    sky[:3, 3] = 0
    sky[:3, :3] *= 200.0
    moved = np.eye(4)
    moved[:3, 3] = (5.0, 0.0, 0.0)
    draws = {10: _draw(proj @ sky), 20: _draw(proj @ view @ moved), 30: _draw(proj @ view), 40: _draw(proj @ view)}
    camera = find_view_projection(draws, aspect=ASPECT)
    np.testing.assert_allclose(camera.view, view, atol=1e-9)
    np.testing.assert_allclose(camera.proj, proj, atol=1e-9)
    assert "shared by 2 of 4 draws" in camera.found_in and "by 4" in camera.found_in
    np.testing.assert_allclose(camera.world_to_camera[:3, :3] @ camera.world_to_camera[:3, :3].T, np.eye(3), atol=1e-9)


def test_a_left_handed_world_is_converted_to_a_rigid_world_to_camera():
    camera = find_view_projection({1: _draw(_projection(clip="zero_to_one", left_handed=True) @ _view())},
                                  aspect=ASPECT)
    assert camera.handedness == "left"
    rotation = camera.world_to_camera[:3, :3]
    assert np.linalg.det(rotation) == pytest.approx(1.0)


def test_non_square_pixels_or_only_ui_matrices_give_no_camera():
    stretched = _projection()
    stretched[0, 0] *= 2
    assert find_view_projection({1: _draw(stretched @ _view())}, aspect=ASPECT) is None
    assert find_view_projection({1: _draw(np.diag([0.01, 0.02, -0.001, 1.0]))}, aspect=ASPECT) is None
    assert find_view_projection({1: _draw(_projection())}, aspect=ASPECT) is None  # a bare projection: no view


def test_camera_draws_come_from_the_first_half_of_the_scene():
    assert camera_draws(list(range(100, 200, 2))) == (106, 126, 150)
    assert camera_draws([]) == ()


def test_a_view_found_only_scaled_puts_its_scale_in_world_conversion():
    scaled = _view()
    scaled[:3, :3] *= 2.0
    camera = find_view_projection({1: _draw(_projection() @ scaled)}, aspect=ASPECT)
    np.testing.assert_allclose(camera.world_conversion, np.diag([2.0, 2.0, 2.0, 1.0]), atol=1e-9)
    pose = camera.world_to_camera
    np.testing.assert_allclose(pose[:3, :3] @ pose[:3, :3].T, np.eye(3), atol=1e-9)
    point = np.array([0.3, -1.0, 2.0, 1.0])
    np.testing.assert_allclose(pose @ camera.world_conversion @ point,
                               np.diag([1.0, -1.0, -1.0, 1.0]) @ scaled @ point, atol=1e-9)
