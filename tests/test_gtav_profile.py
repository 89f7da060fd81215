"""The GTA V profile on a plain-data model of its documented frame (tests/gtav_frame.py): no replay.

Identification with typeless G-buffer and depth formats, the camera derived from `rage_matrices` (a known
camera in, the same K and pose out), and the final image found by screen coverage, not vertex counts.
"""

from __future__ import annotations

import numpy as np
import pytest

from rdc_extract.decode.depth import intrinsics_from_projection, near_far_from_projection
from rdc_extract.extract.camera import camera_from_blocks
from rdc_extract.extract.conventions import resolve_conventions
from rdc_extract.profiles.registry import detect_profile, identify_with, pipelines_dir
from rdc_extract.profiles.schema import load_profile
from tests.gtav_frame import BACK, DEPTH, GBUFFER, SIZE, gtav_frame, look_at, perspective_rh_reversed, rage_matrices

FOV_Y, NEAR, FAR = 50.0, 0.15, 10000.0


@pytest.fixture(scope="module")
def gtav():
    return load_profile(pipelines_dir() / "gtav.toml")


@pytest.fixture(scope="module")
def known_camera():
    eye, target = np.array([-75.0, -818.0, 326.0]), np.array([-20.0, -760.0, 310.0])  # Los Santos, z up
    view = look_at(eye, target)
    proj = perspective_rh_reversed(FOV_Y, SIZE[0] / SIZE[1], NEAR, FAR)
    return view, proj


def _world(angle: float, position: tuple[float, float, float]) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    world = np.eye(4)
    world[:3, :3] = [[c, -s, 0], [s, c, 0], [0, 0, 1]]
    world[:3, 3] = position
    return world


def test_identifies_the_typeless_gbuffer_depth_and_final_image_before_the_hud(gtav):
    frame, events = gtav_frame()
    found = identify_with(frame, gtav)
    assert found.gbuffer_last_event == events["gbuffer_last"]
    assert found.depth_target == DEPTH
    assert found.target_roles == {"albedo": GBUFFER[0], "normals": GBUFFER[1], "specular": GBUFFER[2],
                                  "irradiance": GBUFFER[3]}
    assert found.final_image_target == BACK
    assert (found.final_image_event, found.first_hud_event) == (events["final"], events["hud"])


def test_auto_detection_picks_gtav_on_its_typeless_formats(gtav):
    frame, _ = gtav_frame()
    detection = detect_profile(frame)
    assert detection.profile.name == "gtav"
    assert "G-buffer formats R8G8B8A8_TYPELESS" in detection.why and "depth D32S8_TYPELESS" in detection.why


def test_a_hud_quad_that_covers_the_screen_would_extend_the_run_but_a_small_one_does_not(gtav):
    """Regression: counting vertices alone took the first HUD quad (4 vertices, like lens distortion) as part of
    the full-screen run, so the dataset image had the HUD in it."""
    frame, events = gtav_frame()
    assert identify_with(frame, gtav).final_image_event == events["final"]
    covering, events = gtav_frame(hud_coverage=(1.0, 0.01))
    assert identify_with(covering, gtav).final_image_event == events["hud"]


@pytest.mark.parametrize("world", [np.eye(4), _world(0.7, (-30.0, -770.0, 305.0))])
def test_camera_from_rage_matrices_gives_back_the_known_camera(gtav, known_camera, world):
    view, proj = known_camera
    camera = camera_from_blocks({"rage_matrices": rage_matrices(world, view, proj)}, gtav.camera)
    assert camera is not None
    np.testing.assert_allclose(camera.view, view, atol=1e-3)
    np.testing.assert_allclose(camera.proj, proj, rtol=1e-4, atol=1e-4)  # float32 matrices ~800 m from the origin
    np.testing.assert_allclose(camera.intrinsics(*SIZE), intrinsics_from_projection(proj, *SIZE), rtol=1e-4, atol=1e-3)
    expected_pose = np.diag([1.0, -1.0, -1.0, 1.0]) @ view  # OpenCV camera: x right, y down, z forward
    np.testing.assert_allclose(camera.world_to_camera, expected_pose, atol=1e-3)
    assert camera.handedness == "right"
    near, far = near_far_from_projection(camera.proj, clip_range="zero_to_one")
    assert near == pytest.approx(NEAR, rel=1e-3) and far == pytest.approx(FAR, rel=2e-2)


def test_conventions_from_the_derived_projection_agree_with_the_profile(gtav, known_camera):
    view, proj = known_camera
    camera = camera_from_blocks({"rage_matrices": rage_matrices(_world(2.0, (5.0, 6.0, 7.0)), view, proj)},
                                gtav.camera)
    conventions = resolve_conventions(None, camera, gtav, "gtav.rdc")
    assert conventions.reversed and conventions.clip_range == "zero_to_one"
    assert conventions.near_m == pytest.approx(NEAR, rel=1e-3) and not conventions.warnings
