"""Extraction without a profile on the real-games corpus: the camera found in the capture, metric depth from it.

One extraction per capture (module-scoped), checked against what the games
are known to show (samples/corpus/README.md).
"""

from __future__ import annotations

import numpy as np
import pytest
import tifffile

from rdc_extract.decode.depth import near_far_from_projection
from rdc_extract.errors import ExtractionFailed
from rdc_extract.extract.clipspace import fit_clip_remap, y_sign_of_shader
from rdc_extract.extract.conventions import CAPTURED
from rdc_extract.extract.pipeline import extract_capture
from rdc_extract.rd.readback import VERTEX_LIMIT, read_at_events
from rdc_extract.rd.session import open_capture
from tests.corpus import decompressed

# Where the camera is, and the forward distance (game units) at one pixel (row, column fractions), by eye;
# whether the clip range is checked against the vertex shader's output (the API's default clip range: plain GL)
# or taken as captured (Zink asks Vulkan for GL's -1..1).
EXPECTED = {
    "neverball": {"found": "uniform_0@32", "pixel": (0.5, 0.5), "depth": (1.5, 3.0),          # the ball, ~2 m
                  "clip_checked": False},
    "minetest": {"found": "uniform_0@32", "pixel": (0.99, 0.5), "depth": (12.0, 30.0),        # the ground at the feet
                 "clip_checked": False},
    "warzone2100": {"found": "ModelViewProjectionMatrix", "pixel": (0.5, 0.5), "depth": (2600.0, 4000.0),  # the base
                    "clip_checked": True},
}


@pytest.fixture(scope="module", params=sorted(EXPECTED))
def extracted(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    capture = decompressed(request.param, folder)
    meta = extract_capture(capture, folder / "frame", profile="generic", outputs=["depth"])
    return request.param, meta, tifffile.imread(folder / "frame" / "depth.tiff")


def test_the_camera_is_found_without_a_profile_in_a_split_view_projection(extracted):
    game, meta, _ = extracted
    assert meta["profile"]["name"] == "generic"
    source = meta["camera"]["source"]
    assert source.startswith("view-projection split") and EXPECTED[game]["found"] in source


def test_depth_is_positive_finite_where_geometry_is_and_between_near_and_far(extracted):
    game, meta, depth = extracted
    conventions = meta["depth"]["conventions"]
    near, far = conventions["near_m"]["value"], conventions["far_m"]["value"]
    finite = np.isfinite(depth)
    assert finite.mean() > 0.5
    assert np.all(depth[finite] > near) and np.all(depth[finite] < far)
    assert not np.any(depth[~finite] < np.inf)


def test_near_far_and_k_come_from_the_projection_found(extracted):
    game, meta, _ = extracted
    camera, conventions = meta["camera"], meta["depth"]["conventions"]
    proj = np.array(camera["proj"])
    near, far = near_far_from_projection(proj, clip_range=conventions["clip_range"]["value"])
    assert (conventions["near_m"]["value"], conventions["far_m"]["value"]) == pytest.approx((near, far))
    width, height = meta["image"]["width"], meta["image"]["height"]
    K = np.array(camera["K"])
    assert K[0, 0] == pytest.approx(width / 2 * proj[0, 0]) and K[1, 1] == pytest.approx(K[0, 0], rel=1e-3)
    assert abs(K[0, 2] - (width - 1) / 2) < 0.05 * width and abs(K[1, 2] - (height - 1) / 2) < 0.15 * height


def test_world_to_camera_is_a_proper_rigid_transform(extracted):
    _, meta, _ = extracted
    pose = np.array(meta["camera"]["world_to_camera"])
    np.testing.assert_allclose(pose[3], [0, 0, 0, 1])
    np.testing.assert_allclose(pose[:3, :3] @ pose[:3, :3].T, np.eye(3), atol=1e-5)
    assert np.linalg.det(pose[:3, :3]) == pytest.approx(1.0, abs=1e-5)


def test_depth_at_a_known_pixel_is_what_the_game_shows(extracted):
    game, _, depth = extracted
    (row, column), (low, high) = EXPECTED[game]["pixel"], EXPECTED[game]["depth"]
    value = depth[int(row * (depth.shape[0] - 1)), int(column * (depth.shape[1] - 1))]
    assert low < value < high


def test_a_default_clip_range_is_checked_against_the_vertex_output_at_the_cameras_draw(extracted):
    game, meta, _ = extracted
    clip_range = meta["depth"]["conventions"]["clip_range"]
    assert clip_range["value"] == "minus_one_to_one"
    checked = f"vertex shader output at event {meta['camera']['source_event']}"
    assert clip_range["source"] == (checked if EXPECTED[game]["clip_checked"] else CAPTURED)
    ndc_y_up = meta["depth"]["conventions"]["ndc_y_up"]
    assert ndc_y_up["value"] is True
    kept = f"{checked}: the shader kept the matrix's y (checked on the draw's vertex positions)"
    assert ndc_y_up["source"] == (kept if EXPECTED[game]["clip_checked"] else CAPTURED + " (viewport)")


def test_the_vertex_output_read_at_the_cameras_draw_tells_a_shader_remap(tmp_path):
    """neverball's own output follows its projection and keeps its y, as its vertex positions show; the same
    vertices as warzone2100's Vulkan shaders would write them (GL matrices, `y *= -1; z = (z + w) / 2`) show a
    -1..1 matrix on a 0..1 API and a negated y."""
    capture = decompressed("neverball", tmp_path)
    meta = extract_capture(capture, tmp_path / "frame", outputs=["depth"])
    event, proj = meta["camera"]["source_event"], np.array(meta["camera"]["proj"])
    matrix = proj @ np.array(meta["camera"]["view"])
    with open_capture(capture) as session:
        reads = read_at_events(session, [], camera_draws=[event], wants_clip_positions=lambda *_: True)
    positions, inputs = reads.clip_positions[event], reads.vertex_inputs[event]
    assert 3 <= len(positions) <= VERTEX_LIMIT
    assert fit_clip_remap(proj, positions, "minus_one_to_one").remap.name == "none"
    assert y_sign_of_shader(matrix, inputs, positions) == 1
    fixed = positions * [1.0, -1.0, 0.5, 1.0] + np.outer(positions[:, 3], [0.0, 0.0, 0.5, 0.0])
    assert fit_clip_remap(proj, fixed, "zero_to_one").remap.decoded_as == "minus_one_to_one"
    assert y_sign_of_shader(matrix, inputs, fixed) == -1


def test_a_frame_without_a_perspective_camera_fails_with_a_clear_error(vk_capture, tmp_path):
    with pytest.raises(ExtractionFailed, match="no metric depth: no perspective camera found"):
        extract_capture(vk_capture, tmp_path / "frame", outputs=["depth"])


def test_the_warzone2100_profile_written_in_the_walkthrough_is_picked_and_confirmed(tmp_path):
    """docs/profiles.md, "A game nobody profiled": auto-detection picks pipelines/warzone2100.toml by its
    [match] rules, and every convention it states agrees with the capture (no warning)."""
    capture = decompressed("warzone2100", tmp_path)
    meta = extract_capture(capture, tmp_path / "frame", outputs=["rgb", "depth"])
    assert meta["profile"]["name"] == "warzone2100"
    assert meta["profile"]["why"] == "matched API OpenGL, marker '3D scene - terrain', depth D24S8"
    assert meta["warnings"] == []
    assert meta["camera"]["handedness"] == "left" and meta["final_image"]["event"] == 1106
