"""`[camera]` matrices derived from others (an inverse, a product without its first factor) and row-vector
layouts: parsed from the profile, computed in the right order for both layouts."""

from __future__ import annotations

import numpy as np
import pytest

from rdc_extract.errors import ProfileError
from rdc_extract.extract.camera import camera_from_block
from rdc_extract.profiles.schema import CameraRules, MatrixSource, load_profile

VIEW = np.array([[0.0, 1, 0, 2], [0, 0, 1, -3], [1, 0, 0, 5], [0, 0, 0, 1]])
PROJ = np.array([[1.5, 0, 0, 0], [0, 2.0, 0, 0], [0, 0, 0.001, 0.1], [0, 0, -1, 0]])
WORLD = np.array([[0.0, -1, 0, 10], [1, 0, 0, 20], [0, 0, 1, 30], [0, 0, 0, 1]])


def _profile(tmp_path, camera: str):
    path = tmp_path / "p.toml"
    path.write_text(f"[profile]\nname = 'p'\n[camera]\nblock = 'b'\n{camera}\n")
    return load_profile(path)


def test_view_and_projection_forms_parse(tmp_path):
    rules = _profile(tmp_path, "matrix_layout = 'row_vectors'\nview = { inverse = 'vi' }\n"
                               "projection = { product = 'wvp', first = 'wv' }").camera
    assert rules.view == MatrixSource("vi", inverse=True)
    assert rules.projection == MatrixSource("wvp", first="wv")
    assert rules.matrix_layout == "row_vectors"
    assert (str(rules.view), str(rules.projection)) == ("inverse(vi)", "wvp · inverse(wv)")
    plain = _profile(tmp_path, "view = 'v'").camera
    assert plain.view == MatrixSource("v") and plain.matrix_layout == "column_vectors"


@pytest.mark.parametrize(("camera", "message"), [
    ("view = { inverse = 'vi', product = 'x' }", "[camera].view: expected a member name, { inverse"),
    ("projection = { product = 'wvp' }", "[camera].projection: expected a member name"),
    ("view = { inverse = 3 }", "[camera].view: expected"),
    ("matrix_layout = 'row_major'", "[camera].matrix_layout: expected one of column_vectors, row_vectors"),
])
def test_bad_forms_name_the_key(tmp_path, camera, message):
    with pytest.raises(ProfileError, match=None) as caught:
        _profile(tmp_path, camera)
    assert message in str(caught.value)


@pytest.mark.parametrize("layout", ["column_vectors", "row_vectors"])
def test_derived_view_and_projection_in_either_layout(layout):
    members = {"vi": np.linalg.inv(VIEW), "wv": VIEW @ WORLD, "wvp": PROJ @ VIEW @ WORLD}
    if layout == "row_vectors":  # as HLSL row_major matrices used as mul(v, M) show them
        members = {name: m.T for name, m in members.items()}
    rules = CameraRules(block="b", view=MatrixSource("vi", inverse=True),
                        projection=MatrixSource("wvp", first="wv"), matrix_layout=layout)
    camera = camera_from_block(members, rules)
    np.testing.assert_allclose(camera.view, VIEW, atol=1e-12)
    np.testing.assert_allclose(camera.proj, PROJ, atol=1e-12)
    assert "inverse(vi)" in camera.found_in and "wvp · inverse(wv)" in camera.found_in


def test_view_from_world_view_and_world():
    rules = CameraRules(block="b", view=MatrixSource("wv", first="w"), projection=MatrixSource("p"))
    camera = camera_from_block({"wv": VIEW @ WORLD, "w": WORLD, "p": PROJ}, rules)
    np.testing.assert_allclose(camera.view, VIEW, atol=1e-12)


def test_a_singular_matrix_to_invert_is_a_clear_error():
    rules = CameraRules(block="b", view=MatrixSource("vi", inverse=True))
    with pytest.raises(ValueError, match="a matrix to invert in block 'b' is singular"):
        camera_from_block({"vi": np.zeros((4, 4)), "proj": PROJ}, rules)
