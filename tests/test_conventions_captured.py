"""Conventions read from real captures: the renderer variants (no markers, no profile) and the sample game.

The variants draw the same frame with other engines' conventions (samples/README.md):
`deferred2` and `forward` use GL's -1..1 clip range and conventional depth,
`deferred2` a left-handed world and view. The camera is found by searching the
bound constant blocks; depth and reprojection are checked against the game's ground truth.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rdc_extract.decode.formats import TextureDesc
from rdc_extract.decode.textures import decode_depth_stencil
from rdc_extract.extract.camera import find_camera
from rdc_extract.extract.compute import depth_m
from rdc_extract.extract.conventions import CAPTURED, PROJECTION, resolve_conventions
from rdc_extract.extract.pipeline import extract_capture
from rdc_extract.profiles.schema import Profile
from rdc_extract.rd.frame_reader import read_frame
from rdc_extract.rd.readback import read_at_events
from rdc_extract.rd.session import open_capture
from samples.variant_answers import the_capture

REPO = Path(__file__).resolve().parents[1]
VARIANTS = REPO / "samples" / "variants"
SAMPLE = sorted((REPO / "samples" / "captures").glob("*.rdc"))[0]
NO_PROFILE = Profile(name="none", path=Path("none.toml"))


@pytest.fixture(scope="module")
def variant():
    """renderer -> (conventions, camera, depth in metres, ground truth), read once each."""
    done: dict = {}

    def get(renderer: str):
        if renderer not in done:
            expected = json.loads((VARIANTS / f"{renderer}.expected.json").read_text())
            depth = expected["scene_depth"]
            capture = the_capture(VARIANTS / renderer)
            with open_capture(capture) as session:
                texture = read_frame(session).textures[depth["resource_id"]]
                event = depth["complete_after_event"]
                reads = read_at_events(session, [(event, [depth["resource_id"]])], event)
            camera = find_camera(reads.blocks)
            conventions = resolve_conventions(reads.depth_state, camera, NO_PROFILE, str(capture))
            window, _ = decode_depth_stencil(reads.data[depth["resource_id"]],
                                             TextureDesc(texture.width, texture.height, texture.format, "OpenGL"))
            with np.load(capture.with_suffix(".gt.npz")) as truth:
                done[renderer] = conventions, camera, depth_m(window, camera, conventions, str(capture)), dict(truth)
        return done[renderer]

    return get


@pytest.mark.parametrize("renderer, clip_range, reversed_z, function, handedness", [
    ("deferred", "zero_to_one", True, "Greater", "right"),
    ("deferred2", "minus_one_to_one", False, "Less", "left"),
    ("forward", "minus_one_to_one", False, "Less", "right"),
])
def test_conventions_are_read_from_the_capture(variant, renderer, clip_range, reversed_z, function, handedness):
    conventions, camera, _, truth = variant(renderer)
    assert (conventions.clip_range, conventions.reversed, conventions.depth_function, conventions.handedness) == (
        clip_range, reversed_z, function, handedness)
    assert conventions.sources["clip_range"] == CAPTURED and conventions.sources["reversed"] == PROJECTION
    assert conventions.near_m == pytest.approx(float(truth["near"]), rel=1e-4)
    assert conventions.far_m == pytest.approx(float(truth["far"]), rel=1e-3)
    assert conventions.warnings == []
    assert np.allclose(camera.proj, truth["proj"], rtol=1e-5, atol=1e-6)
    assert np.allclose(camera.view, truth["view"], rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("renderer", ["deferred", "deferred2", "forward"])
def test_variant_depth_in_metres_matches_the_ground_truth(variant, renderer):
    _, _, depth, truth = variant(renderer)
    finite = np.isfinite(truth["depth_m"])
    assert np.array_equal(np.isfinite(depth), finite)
    relative = np.abs(depth[finite] - truth["depth_m"][finite]) / truth["depth_m"][finite]
    assert relative.max() < 0.01


@pytest.mark.parametrize("renderer", ["deferred2", "forward"])
def test_points_rebuilt_from_depth_land_where_the_games_camera_sees_them(variant, renderer):
    """K and world_to_camera (a proper rotation, the left-handed world converted) back-project each pixel
    to a world point that the game's own view and projection put back on that pixel at that depth."""
    _, camera, depth, truth = variant(renderer)
    world_to_camera = camera.world_to_camera
    assert np.linalg.det(world_to_camera[:3, :3]) == pytest.approx(1.0, abs=1e-4)
    assert (camera.world_conversion is not None) == (renderer == "deferred2")
    height, width = depth.shape
    K = camera.intrinsics(width, height)
    v, u = np.nonzero(np.isfinite(depth))
    v, u = v[::97], u[::97]
    z = depth[v, u].astype(np.float64)
    in_camera = np.linalg.inv(K) @ np.stack([u * z, v * z, z])
    world = np.linalg.inv(world_to_camera) @ np.vstack([in_camera, np.ones_like(z)])
    game_world = world if camera.world_conversion is None else np.linalg.inv(camera.world_conversion) @ world
    clip = truth["proj"] @ truth["view"] @ game_world
    ndc = clip[:3] / clip[3]
    assert np.all(clip[3] > 0), "points behind the game's camera"
    assert np.allclose((ndc[0] + 1) * width / 2 - 0.5, u, atol=0.05)
    assert np.allclose((1 - ndc[1]) * height / 2 - 0.5, v, atol=0.05)
    in_view = truth["view"] @ game_world
    assert np.allclose(np.abs(in_view[2]), z, rtol=1e-4)


def test_meta_near_far_are_the_captured_projections(tmp_path):
    meta = extract_capture(SAMPLE, tmp_path / "frame", outputs=["depth"])
    with np.load(SAMPLE.with_suffix(".gt.npz")) as truth:
        near, far = float(truth["near"]), float(truth["far"])
    conventions = meta["depth"]["conventions"]
    assert meta["camera"]["near_m"] == pytest.approx(near, rel=1e-6)
    assert meta["camera"]["far_m"] == pytest.approx(far, rel=1e-5)
    assert conventions["near_m"] == {"value": meta["camera"]["near_m"], "source": PROJECTION}
    assert conventions["clip_range"] == {"value": "zero_to_one", "source": CAPTURED}
    assert conventions["reversed"] == {"value": True, "source": PROJECTION}
    assert conventions["handedness"] == {"value": "right", "source": PROJECTION}
    assert meta["camera"]["world_conversion"] is None


def test_a_profile_stating_wrong_conventions_is_told_and_the_captured_ones_are_used(tmp_path):
    text = (REPO / "pipelines" / "city_game.toml").read_text()
    text = text.replace('classes = "classes/', f'classes = "{REPO}/pipelines/classes/')
    text = text.replace("reversed = true", "reversed = false").replace('clip_range = "zero_to_one"',
                                                                        'clip_range = "minus_one_to_one"')
    text = text.replace("far_m = 1000.0", "far_m = 500.0").replace('far = "near_far.y"', 'far = "near_far.y"\nhandedness = "left"')
    profile = tmp_path / "wrong.toml"
    profile.write_text(text)
    meta = extract_capture(SAMPLE, tmp_path / "frame", profile=str(profile), outputs=["depth"])
    warnings = "\n".join(meta["warnings"])
    assert ("[depth] clip_range = 'minus_one_to_one' contradicts the captured pipeline state ('zero_to_one')"
            in warnings)
    assert "[depth] reversed = false contradicts the projection matrix (true)" in warnings
    assert "[depth] far_m = 500.0 contradicts the projection matrix (" in warnings
    assert "[camera] handedness = 'left' contradicts the projection matrix ('right')" in warnings
    assert meta["depth"]["conventions"]["clip_range"]["source"] == CAPTURED
    with np.load(SAMPLE.with_suffix(".gt.npz")) as truth:
        assert meta["camera"]["far_m"] == pytest.approx(float(truth["far"]), rel=1e-5)
