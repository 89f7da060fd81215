"""The clip range a projection's depth reached the depth buffer in, told from vertex-shader output (pure).

Synthetic vertices: view-space points projected by GL-style (-1..1), D3D/Vulkan-style (0..1) and reversed-Z
matrices, then remapped as shaders do (`(z + w) / 2`, `2z - w`, `w - z`), rounded to float32 like RenderDoc's
post-VS data, with and without noise.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rdc_extract.decode.depth import DepthState, projection_from_near_far
from rdc_extract.errors import ProfileMismatch
from rdc_extract.extract.camera import Camera
from rdc_extract.extract.clipspace import VertexOutput, fit_clip_remap, vertex_output_at, y_sign_of_shader
from rdc_extract.extract.conventions import CAPTURED, resolve_conventions
from rdc_extract.profiles.schema import DepthRules, Profile

NO_PROFILE = Profile(name="none", path=Path("none.toml"))
GL = projection_from_near_far(0.5, 300.0, clip_range="minus_one_to_one")
ZERO_TO_ONE = projection_from_near_far(0.5, 300.0)
REVERSED = projection_from_near_far(0.5, 300.0, reversed_z=True)
REMAPS = {"none": (1.0, 0.0), "(z+w)/2": (0.5, 0.5), "2z-w": (2.0, -1.0), "w-z": (-1.0, 1.0)}


def _vertices(proj: np.ndarray, remap: str = "none", *, count: int = 200, noise: float = 0.0,
              distances: tuple[float, float] = (0.6, 250.0), seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    z = rng.uniform(*distances, count)
    view = np.stack([rng.uniform(-1, 1, count) * z, rng.uniform(-1, 1, count) * z, -z, np.ones(count)], axis=1)
    clip = view @ proj.T
    alpha, beta = REMAPS[remap]
    clip[:, 2] = alpha * clip[:, 2] + beta * clip[:, 3]
    clip[:, 2] += noise * rng.standard_normal(count) * clip[:, 3]
    return clip.astype(np.float32)


@pytest.mark.parametrize("proj, remap, api, decoded_as", [
    (GL, "none", "minus_one_to_one", "minus_one_to_one"),                  # OpenGL
    (ZERO_TO_ONE, "none", "zero_to_one", "zero_to_one"),                   # D3D, Vulkan
    (REVERSED, "none", "zero_to_one", "zero_to_one"),                      # reversed Z built into the matrix
    (GL, "(z+w)/2", "zero_to_one", "minus_one_to_one"),                    # GL matrices on Vulkan (warzone2100)
    (ZERO_TO_ONE, "2z-w", "minus_one_to_one", "zero_to_one"),              # D3D matrices on GL (SPIRV-Cross fixup)
    (ZERO_TO_ONE, "w-z", "zero_to_one", None),                             # reversed by the shader: not modelled
])
def test_the_remap_the_shader_applied_is_the_one_that_fits(proj, remap, api, decoded_as):
    fit = fit_clip_remap(proj, _vertices(proj, remap), api)
    assert fit is not None and fit.remap is not None
    assert fit.remap.decoded_as == decoded_as


def test_small_noise_still_fits_and_the_fitted_line_is_reported():
    fit = fit_clip_remap(GL, _vertices(GL, "(z+w)/2", noise=1e-6), "zero_to_one")
    assert fit.remap.decoded_as == "minus_one_to_one" and fit.vertices == 200
    a, b = fit.predicted[fit.remap.name]
    assert fit.slope == pytest.approx(a, rel=1e-4) and fit.offset == pytest.approx(b, rel=1e-2)
    assert "over 200 vertices" in fit.describe()


def test_depth_that_is_not_the_projections_fits_nothing():
    other = projection_from_near_far(5.0, 300.0, clip_range="minus_one_to_one")
    assert fit_clip_remap(GL, _vertices(other), "minus_one_to_one").fitting == ()
    assert fit_clip_remap(GL, _vertices(GL, noise=1e-2), "minus_one_to_one").fitting == ()


def test_vertices_that_cannot_tell_decide_nothing():
    same_w = _vertices(GL)
    same_w[:, 3] = 7.0
    assert fit_clip_remap(GL, same_w, "minus_one_to_one") is None
    assert fit_clip_remap(GL, _vertices(GL)[:1], "minus_one_to_one") is None
    infinite = projection_from_near_far(0.5, np.inf, clip_range="minus_one_to_one")
    far_away = fit_clip_remap(infinite, _vertices(infinite, "(z+w)/2", distances=(1e5, 2e5)), "zero_to_one")
    assert len(far_away.fitting) == 2 and far_away.remap is None  # the lines part by near/w ~ 5e-6


def test_non_finite_and_zero_w_vertices_are_left_out():
    vertices = _vertices(GL, "(z+w)/2")
    vertices[:5] = np.nan
    vertices[5:10, 3] = 0.0
    fit = fit_clip_remap(GL, vertices, "zero_to_one")
    assert fit.vertices == 190 and fit.remap.decoded_as == "minus_one_to_one"


def test_the_evidence_is_only_at_the_cameras_draw():
    positions = {12: _vertices(GL)}
    assert vertex_output_at(12, GL, GL, positions, {}, "minus_one_to_one").where == "vertex shader output at event 12"
    assert vertex_output_at(13, GL, GL, positions, {}, "minus_one_to_one") is None
    assert vertex_output_at(None, GL, GL, positions, {}, "minus_one_to_one") is None


MODEL_VIEW = np.array([[0.8, 0.0, -0.6, 3.0], [0.0, 1.0, 0.0, -2.0], [0.6, 0.0, 0.8, -40.0], [0.0, 0.0, 0.0, 1.0]])


def _drawn(y_sign: int, remap: str = "none") -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """A draw's matrix, its vertex attributes (a position and a normal) and what its shader wrote."""
    rng = np.random.default_rng(1)
    model = rng.uniform(-10, 10, (100, 3))
    matrix = GL @ MODEL_VIEW
    clip = np.column_stack([model, np.ones(len(model))]) @ matrix.T
    alpha, beta = REMAPS[remap]
    clip[:, 1] *= y_sign
    clip[:, 2] = alpha * clip[:, 2] + beta * clip[:, 3]
    normals = rng.standard_normal((100, 3))
    return matrix, {"normal": normals, "position": model.astype(np.float32)}, clip.astype(np.float32)


@pytest.mark.parametrize("y_sign", [1, -1])
def test_the_shaders_y_is_checked_on_the_draws_own_positions(y_sign):
    matrix, inputs, written = _drawn(y_sign, "(z+w)/2")
    assert y_sign_of_shader(matrix, inputs, written) == y_sign
    vertex = vertex_output_at(12, matrix, GL, {12: written}, {12: inputs}, "zero_to_one")
    assert vertex.y_sign == y_sign and vertex.fit.remap.decoded_as == "minus_one_to_one"
    up, why = vertex.matrix_ndc_y_up(output_y_up=False)  # a Vulkan viewport: the written +y is down
    assert up == (y_sign < 0) and "checked on the draw's vertex positions" in why


def test_without_a_position_attribute_the_y_is_not_checked():
    matrix, inputs, written = _drawn(-1)
    assert y_sign_of_shader(matrix, {"normal": inputs["normal"]}, written) is None
    skinned = {"position": inputs["position"] + 0.5}
    assert y_sign_of_shader(matrix, skinned, written) is None
    assert y_sign_of_shader(matrix, {}, written) is None


def _camera(proj: np.ndarray) -> Camera:
    return Camera(view=np.eye(4), proj=proj, near_m=None, far_m=None, found_in="view-projection split at event 12",
                  event=12, ndc_y_up=False)


def _resolved(proj, remap, api, state=None, profile=NO_PROFILE):
    state = state or DepthState("Less", api, ndc_y_up=False)
    vertex = VertexOutput(12, fit_clip_remap(proj, _vertices(proj, remap), api))
    return resolve_conventions(state, _camera(proj), profile, "cap.rdc", vertex)


def test_gl_matrices_remapped_on_vulkan_decode_as_minus_one_to_one_with_gl_y():
    conventions = _resolved(GL, "(z+w)/2", "zero_to_one")
    assert conventions.clip_range == "minus_one_to_one"
    assert conventions.sources["clip_range"] == "vertex shader output at event 12"
    assert (conventions.near_m, conventions.far_m) == pytest.approx((0.5, 300.0))
    assert conventions.ndc_y_up and conventions.sources["ndc_y_up"].startswith("inferred")
    record = conventions.to_json()
    assert record["clip_range"] == {"value": "minus_one_to_one", "source": "vertex shader output at event 12"}


def test_without_the_vertex_output_the_captured_state_is_used_as_before():
    state = DepthState("Less", "zero_to_one", ndc_y_up=False)
    conventions = resolve_conventions(state, _camera(GL), NO_PROFILE, "cap.rdc")
    assert conventions.clip_range == "zero_to_one" and conventions.sources["clip_range"] == CAPTURED
    assert not conventions.ndc_y_up and conventions.sources["ndc_y_up"].startswith(CAPTURED)
    undecided = VertexOutput(12, None)
    assert resolve_conventions(state, _camera(GL), NO_PROFILE, "cap.rdc", undecided).clip_range == "zero_to_one"


def test_output_that_agrees_with_the_captured_state_names_the_vertex_output():
    conventions = _resolved(ZERO_TO_ONE, "none", "zero_to_one")
    assert conventions.clip_range == "zero_to_one"
    assert conventions.sources["clip_range"] == "vertex shader output at event 12" and not conventions.ndc_y_up


def test_a_profile_that_states_another_clip_range_is_warned_about():
    profile = Profile(name="p", path=Path("p.toml"), depth=DepthRules(clip_range="zero_to_one"))
    conventions = _resolved(GL, "(z+w)/2", "zero_to_one", profile=profile)
    assert conventions.clip_range == "minus_one_to_one"
    assert any("clip_range" in w and "vertex shader output at event 12" in w for w in conventions.warnings)


def test_vertex_output_that_contradicts_the_projection_fails():
    other = projection_from_near_far(5.0, 300.0, clip_range="minus_one_to_one")
    vertex = VertexOutput(12, fit_clip_remap(GL, _vertices(other), "minus_one_to_one"))
    with pytest.raises(ProfileMismatch, match="does not follow the projection matrix"):
        resolve_conventions(DepthState("Less", "minus_one_to_one"), _camera(GL), NO_PROFILE, "cap.rdc", vertex)


def test_depth_reversed_by_the_shader_fails_clearly():
    with pytest.raises(ProfileMismatch, match="reverses the projection's depth"):
        _resolved(ZERO_TO_ONE, "w-z", "zero_to_one", state=DepthState("Greater", "zero_to_one"))
