"""The shipped sample captures' ground truth is the frame the game renders again for the same seed
(samples/regenerate_ground_truth.py): how the per-pixel object ids were added without recapturing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("moderngl")

from samples.regenerate_ground_truth import differences, render_again  # noqa: E402

SAMPLES = sorted((Path(__file__).resolve().parents[1] / "samples" / "captures").glob("*.rdc"))


@pytest.mark.skipif(not SAMPLES, reason="no sample-game captures: run samples/make_captures.sh")
def test_the_game_plays_a_sample_capture_again_to_the_same_ground_truth(tmp_path):
    shipped = SAMPLES[0].with_suffix(".gt.npz")
    new = render_again(SAMPLES[0].with_suffix(".json"), str(tmp_path / "frame"), 640, 360)
    assert differences(shipped, new) == []
    with np.load(shipped) as old, np.load(new) as now:
        assert old.files == now.files
        assert all(np.array_equal(old[name], now[name]) for name in old.files)


def test_a_single_differing_value_or_an_array_the_new_render_lacks_is_not_the_same_frame(tmp_path):
    arrays = {"depth_m": np.ones((2, 3), np.float32), "stencil": np.zeros((2, 3), np.uint8), "view": np.eye(4),
              "proj": np.eye(4), "near": np.float64(0.1), "far": np.float64(1000.0)}
    np.savez(tmp_path / "new.npz", **arrays, instance=np.zeros((2, 3), np.uint32))
    np.savez(tmp_path / "same.npz", **arrays)
    assert differences(tmp_path / "same.npz", tmp_path / "new.npz") == []
    arrays["stencil"] = arrays["stencil"].copy()
    arrays["stencil"][1, 2] = 1
    np.savez(tmp_path / "other.npz", **arrays, normal_view=np.zeros((2, 3, 3), np.float32))
    assert differences(tmp_path / "other.npz", tmp_path / "new.npz") == ["stencil", "normal_view"]
