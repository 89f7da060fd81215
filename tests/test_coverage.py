"""Screen coverage of a draw (frame/coverage.py, rd/coverage.py) and the final-image rule that needs it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rdc_extract.frame.coverage import covered_fraction
from rdc_extract.profiles.registry import identify_with
from rdc_extract.profiles.schema import load_profile
from rdc_extract.rd.frame_reader import read_frame
from rdc_extract.rd.session import open_capture
from tests.replay_available import needs_renderdoc

ROOT = Path(__file__).resolve().parents[1]
FULLSCREEN_TRIANGLE = np.array([[-1, -1, 0, 1], [3, -1, 0, 1], [-1, 3, 0, 1]], dtype=float)


def _quad(x0: float, y0: float, x1: float, y1: float, w: float = 1.0) -> np.ndarray:
    return np.array([[x0, y0, 0, 1], [x1, y0, 0, 1], [x0, y1, 0, 1], [x1, y1, 0, 1]], dtype=float) * w


def test_a_fullscreen_triangle_covers_the_target():
    assert covered_fraction(FULLSCREEN_TRIANGLE, (0, 0, 640, 360), (640, 360)) == 1.0


def test_a_quad_covers_its_own_area_whatever_its_w():
    assert covered_fraction(_quad(-1, -1, 0, 0, w=2.0), (0, 0, 640, 360), (640, 360)) == pytest.approx(0.25)


def test_viewport_and_scissor_cut_the_area():
    assert covered_fraction(FULLSCREEN_TRIANGLE, (0, 0, 320, 360), (640, 360)) == pytest.approx(0.5)
    assert covered_fraction(FULLSCREEN_TRIANGLE, (0, 0, 640, 360), (640, 360), (0, 0, 64, 36)) == pytest.approx(0.01)


def test_d3d_counts_window_rows_from_the_top():
    top_half = _quad(-1, 0, 1, 1)  # NDC y up
    top_scissor = (0, 0, 640, 180)
    assert covered_fraction(top_half, (0, 0, 640, 360), (640, 360), top_scissor,
                            ndc_y_up_is_window_y_down=True) == pytest.approx(0.5)
    assert covered_fraction(top_half, (0, 0, 640, 360), (640, 360), top_scissor) == pytest.approx(0.0)


def test_a_flipped_viewport_covers_the_same_area():
    assert covered_fraction(FULLSCREEN_TRIANGLE, (0, 360, 640, -360), (640, 360)) == 1.0


def test_vertices_behind_the_eye_say_nothing():
    behind = FULLSCREEN_TRIANGLE.copy()
    behind[0, 3] = -1.0
    assert covered_fraction(behind, (0, 0, 640, 360), (640, 360)) is None


SAMPLE = sorted((ROOT / "samples" / "captures").glob("*.rdc"))[:1]


@needs_renderdoc
@pytest.mark.skipif(not SAMPLE, reason="no sample-game captures: run samples/make_captures.sh")
def test_replayed_coverage_stops_the_fullscreen_run_at_the_hud(tmp_path):
    """Regression: the sample game draws its post-processing with 3 vertices and its HUD quads with 4. With a
    vertex limit of 4 (GTA V's profile) and no markers to go by, counting vertices took the HUD into the final
    image; the replayed coverage (1.0 for the post-processing triangle, < 5 % for a HUD quad) does not."""
    text = (ROOT / "pipelines" / "city_game.toml").read_text().replace(
        'strategies = ["hud_marker", "fullscreen_run"]', 'strategies = ["fullscreen_run"]').replace(
        "fullscreen_max_vertices = 3", "fullscreen_max_vertices = 4")
    (tmp_path / "classes").mkdir()
    for mapping in (ROOT / "pipelines" / "classes").glob("city_game*.toml"):
        (tmp_path / "classes" / mapping.name).write_text(mapping.read_text())
    (tmp_path / "p.toml").write_text(text)
    profile = load_profile(tmp_path / "p.toml")
    with open_capture(SAMPLE[0]) as session:
        frame = read_frame(session)
        back = frame.back_buffer.resource_id
        into = [a for a in frame.draws if a.colour_outputs and a.colour_outputs[0] == back]
        post, hud = into[0], into[1]
        assert (post.marker_path, hud.marker_path) == (("PostFX",), ("HUD",))
        assert frame.coverage(post.event_id) == pytest.approx(1.0)
        assert frame.coverage(hud.event_id) < 0.05
        found = identify_with(frame, profile)
    assert (found.final_image_event, found.first_hud_event) == (post.event_id, hud.event_id)
