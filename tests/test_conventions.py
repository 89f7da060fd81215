"""Conventions from plain data: near/far and handedness of a projection, the camera search, the checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rdc_extract.decode.depth import (DepthState, handedness_of_projection, near_far_from_projection,
                                      projection_from_near_far)
from rdc_extract.errors import ExtractionFailed
from rdc_extract.extract.camera import Camera, find_camera
from rdc_extract.extract.conventions import CAPTURED, PROFILE, PROJECTION, resolve_conventions
from rdc_extract.profiles.schema import CameraRules, DepthRules, Profile

FLIP_Z = np.diag([1.0, 1.0, -1.0, 1.0])


def _view(angle: float = 0.3) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    view = np.eye(4)
    view[:3, :3] = [[c, -s, 0], [s, c, 0], [0, 0, 1]]
    view[:3, 3] = [1.0, -2.0, 3.0]
    return view


def _profile(**depth) -> Profile:
    handedness = depth.pop("handedness", None)
    return Profile(name="p", path=Path("p.toml"), depth=DepthRules(**depth), camera=CameraRules(handedness=handedness))


@pytest.mark.parametrize("clip_range", ["zero_to_one", "minus_one_to_one"])
@pytest.mark.parametrize("reversed_z", [False, True])
@pytest.mark.parametrize("far", [250.0, np.inf])
def test_near_far_come_back_from_the_projection(clip_range, reversed_z, far):
    proj = projection_from_near_far(0.5, far, reversed_z=reversed_z, clip_range=clip_range)
    near_m, far_m = near_far_from_projection(proj, clip_range=clip_range)
    assert near_m == pytest.approx(0.5) and far_m == pytest.approx(far)
    assert near_far_from_projection(proj @ FLIP_Z, clip_range=clip_range) == pytest.approx((near_m, far_m))


def test_handedness_is_the_sign_of_the_w_row():
    proj = projection_from_near_far(0.1, 100.0)
    assert handedness_of_projection(proj) == "right" and handedness_of_projection(proj @ FLIP_Z) == "left"


def test_the_search_finds_the_camera_block_not_an_object_matrix():
    proj, view = projection_from_near_far(0.1, 100.0), _view()
    blocks = {
        "ObjectConstants": {"world": _view(1.0), "tint": np.ones((1, 4))},
        "Camera": {"a": _view(2.0), "b": view, "vp": proj @ view, "p": proj, "pos": np.zeros((1, 4))},
    }
    camera = find_camera(blocks)
    assert np.array_equal(camera.view, view) and np.array_equal(camera.proj, proj)
    assert camera.found_in == "constant block 'Camera' members 'b', 'p' (confirmed by a view-projection member)"
    named = find_camera({"Camera": {"model": _view(2.0), "viewMatrix": view, "p": proj}})
    assert np.array_equal(named.view, view) and "found by search" in named.found_in


def test_the_search_finds_nothing_without_a_perspective_and_a_rigid_matrix_together():
    proj = projection_from_near_far(0.1, 100.0)
    assert find_camera({}) is None
    assert find_camera({"A": {"p": proj}, "B": {"v": _view()}}) is None
    assert find_camera({"A": {"p": np.diag([1.0, 1.0, -0.01, 1.0]), "v": _view()}}) is None  # orthographic
    assert find_camera({"A": {"p": proj, "v": np.diag([2.0, 2.0, 2.0, 1.0])}}) is None  # scaled, not rigid


def test_a_left_handed_world_is_converted_so_world_to_camera_is_a_proper_rotation():
    right = Camera(_view(), projection_from_near_far(0.1, 100.0), None, None)
    assert right.world_conversion is None
    assert np.linalg.det(right.world_to_camera[:3, :3]) == pytest.approx(1.0)
    # The same camera in a left-handed world (z negated) with a left-handed view (looks down +z).
    left = Camera(FLIP_Z @ _view() @ FLIP_Z, right.proj @ FLIP_Z, None, None)
    assert left.handedness == "left" and np.array_equal(left.world_conversion, FLIP_Z)
    assert np.allclose(left.world_to_camera, right.world_to_camera)
    # A left-handed view of a right-handed world (the flip inside the view matrix) needs no conversion.
    mixed = Camera(FLIP_Z @ _view(), right.proj @ FLIP_Z, None, None)
    assert mixed.world_conversion is None and np.allclose(mixed.world_to_camera, right.world_to_camera)


def test_captured_values_win_and_every_contradiction_is_named():
    camera = Camera(_view(), projection_from_near_far(0.1, 100.0, reversed_z=True, clip_range="minus_one_to_one"),
                    None, None)
    state = DepthState("Greater", "minus_one_to_one")
    profile = _profile(reversed=False, clip_range="zero_to_one", near_m=0.1, far_m=100.0, handedness="left")
    conventions = resolve_conventions(state, camera, profile, "cap.rdc")
    assert (conventions.clip_range, conventions.reversed, conventions.handedness) == ("minus_one_to_one", True, "right")
    assert conventions.sources == {"clip_range": CAPTURED, "depth_range": CAPTURED, "reversed": PROJECTION,
                                   "depth_function": CAPTURED, "near_m": PROJECTION, "far_m": PROJECTION,
                                   "handedness": PROJECTION, "ndc_y_up": CAPTURED + " (viewport)"}
    assert conventions.warnings == [
        "profile 'p' [depth] clip_range = 'zero_to_one' contradicts the captured pipeline state "
        "('minus_one_to_one'); used the captured pipeline state's value",
        "profile 'p' [depth] reversed = false contradicts the projection matrix (true); "
        "used the projection matrix's value",
        "profile 'p' [camera] handedness = 'left' contradicts the projection matrix ('right'); "
        "used the projection matrix's value",
    ]


def test_without_a_camera_the_depth_test_gives_the_direction_and_the_profile_near_far():
    conventions = resolve_conventions(DepthState("GreaterEqual", "zero_to_one"), None,
                                      _profile(reversed=False, near_m=0.2, far_m=50.0), "cap.rdc")
    assert conventions.reversed and conventions.sources["reversed"] == "captured pipeline state (depth test)"
    assert (conventions.near_m, conventions.far_m) == (0.2, 50.0) and conventions.sources["near_m"] == PROFILE
    assert "[depth] reversed = false contradicts" in conventions.warnings[0]
    unknown = resolve_conventions(DepthState("Equal", "zero_to_one"), None, _profile(reversed=True), "cap.rdc")
    assert unknown.reversed and unknown.sources["reversed"] == PROFILE and unknown.warnings == []


def test_a_projection_the_depth_test_contradicts_fails_the_extraction():
    camera = Camera(_view(), projection_from_near_far(0.1, 100.0), None, None, found_in="constant block 'X'")
    with pytest.raises(ExtractionFailed, match="makes depth conventional, but the captured depth test is Greater"):
        resolve_conventions(DepthState("Greater", "zero_to_one"), camera, _profile(), "cap.rdc")


def test_meta_entries_are_json_with_an_infinite_far_plane_flagged():
    camera = Camera(_view(), projection_from_near_far(0.1, np.inf, reversed_z=True), None, None)
    record = resolve_conventions(DepthState("Greater", "zero_to_one"), camera, _profile(), "c").to_json()
    assert record["far_m"] == {"value": None, "source": PROJECTION} and record["far_infinite"]
