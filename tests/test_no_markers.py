"""A game frame without debug markers or resource names, as most shipped games are:
capture → inspect (auto-detection) → extract must work from structure alone."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import tifffile

from rdc_extract.capture.launcher import CaptureRunConfig, run_capture
from rdc_extract.dataset.files import read_png
from rdc_extract.extract.pipeline import extract_capture
from rdc_extract.inspect import inspect_capture

REPO = Path(__file__).resolve().parents[1]
MOD = REPO / "mod_scripts" / "city_game" / "autocapture.py"
GAME = [sys.executable, "-m", "samples.city_game", "--width", "320", "--height", "180", "--frames", "100000",
        "--no-markers", "--mod", str(MOD)]

pytestmark = pytest.mark.skipif(shutil.which("renderdoccmd") is None, reason="renderdoccmd not installed")


@pytest.fixture(scope="module")
def capture(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("nomarkers")
    result = run_capture(CaptureRunConfig(command=GAME, out_dir=out, count=1, every=5, warmup=20,
                                          ground_truth=True, stall_timeout_s=120, workdir=REPO))
    assert len(result.captures) == 1
    return result.captures[0]


def test_structure_alone_identifies_the_frame(capture):
    inspection = inspect_capture(capture)
    assert not inspection.frame.has_markers
    assert inspection.failure is None
    assert inspection.detection.profile.name == "city_game"
    found = inspection.detection.identification
    assert "full-screen" in found.final_image_rule
    gbuffer = inspection.frame.passes[found.gbuffer_pass]
    assert len(gbuffer.colour_targets) == 4 and gbuffer.depth_target == found.depth_target
    assert found.gbuffer_last_event < found.final_image_event < found.first_hud_event


def test_extraction_without_markers_matches_ground_truth(capture, tmp_path):
    extract_capture(capture, tmp_path)
    with np.load(capture.with_suffix(".gt.npz")) as truth:
        depth_truth, stencil_truth = truth["depth_m"], truth["stencil"]
    depth = tifffile.imread(tmp_path / "depth.tiff")
    finite = np.isfinite(depth_truth)
    assert np.array_equal(np.isfinite(depth), finite)
    assert np.max(np.abs(depth[finite] - depth_truth[finite]) / depth_truth[finite]) < 0.01
    assert np.array_equal(read_png(tmp_path / "stencil.png"), stencil_truth)
