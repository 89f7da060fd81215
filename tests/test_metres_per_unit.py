"""[depth] metres_per_unit: a game whose world unit is not the metre (minetest: 10 units to a node of 1 m)."""

from __future__ import annotations

import json

import numpy as np
import tifffile

from rdc_extract.decode.depth import z_distance_m_from_projection
from rdc_extract.extract.camera import Camera
from rdc_extract.extract.pipeline import extract_capture
from tests.corpus import decompressed


def _camera() -> Camera:
    near, far = 1.0, 20000.0
    proj = np.array([[1.2, 0, 0, 0], [0, 2.1, 0, 0],
                     [0, 0, -(far + near) / (far - near), -2 * far * near / (far - near)], [0, 0, -1, 0]])
    angle = np.radians(30)
    view = np.eye(4)
    view[:3, :3] = [[np.cos(angle), 0, np.sin(angle)], [0, 1, 0], [-np.sin(angle), 0, np.cos(angle)]]
    view[:3, 3] = [40.0, -15.0, 250.0]
    return Camera(view=view, proj=proj, near_m=near, far_m=far)


def test_a_camera_in_metres_keeps_the_image_and_scales_distances():
    game, metric = _camera(), _camera().in_metres(0.1)
    assert np.allclose(metric.intrinsics(480, 270), game.intrinsics(480, 270))
    clip_game, clip_metric = game.proj @ game.view, metric.proj @ metric.view
    assert np.allclose(clip_metric, 0.1 * clip_game)  # the same clip space up to a homogeneous factor
    assert (metric.near_m, metric.far_m) == (0.1, 2000.0)
    pose = metric.world_to_camera
    assert np.allclose(pose[:3, :3] @ pose[:3, :3].T, np.eye(3))
    assert np.allclose(pose[:3, 3], 0.1 * game.world_to_camera[:3, 3])
    window = np.array([[0.2, 0.9, 0.999]], dtype=np.float32)
    z_game = z_distance_m_from_projection(window, game.proj, clip_range="minus_one_to_one")
    z_metric = z_distance_m_from_projection(window, metric.proj, clip_range="minus_one_to_one")
    assert np.allclose(z_metric, 0.1 * z_game, rtol=1e-5)


def test_a_profile_stating_the_unit_scales_depth_near_far_and_pose_of_a_real_capture(tmp_path):
    capture = decompressed("minetest", tmp_path)
    profile = tmp_path / "minetest.toml"
    profile.write_text('[profile]\nname = "minetest"\ngeneric = true\n\n[depth]\nmetres_per_unit = 0.1\n')
    units = extract_capture(capture, tmp_path / "units", profile="generic", outputs=["depth"])
    metres = extract_capture(capture, tmp_path / "metres", profile=str(profile), outputs=["depth"])
    assert units["depth"]["metres_per_unit"]["source"].startswith("assumed")
    assert metres["depth"]["metres_per_unit"] == {"value": 0.1, "source": "profile"}
    z_units, z_metres = (tifffile.imread(tmp_path / name / "depth.tiff") for name in ("units", "metres"))
    finite = np.isfinite(z_units)
    assert np.array_equal(finite, np.isfinite(z_metres))
    assert np.allclose(z_metres[finite], 0.1 * z_units[finite], rtol=1e-4)
    assert np.isclose(metres["camera"]["near_m"], 0.1 * units["camera"]["near_m"], rtol=1e-5)
    assert np.allclose(metres["camera"]["K"], units["camera"]["K"])
    pose_units, pose_metres = np.array(units["camera"]["world_to_camera"]), np.array(metres["camera"]["world_to_camera"])
    assert np.allclose(pose_metres[:3, :3], pose_units[:3, :3], atol=1e-6)
    assert np.allclose(pose_metres[:3, 3], 0.1 * pose_units[:3, 3], rtol=1e-5, atol=1e-6)
    assert json.loads(json.dumps(metres["warnings"])) == units["warnings"]
