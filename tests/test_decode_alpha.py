"""Meaningless alpha channels are dropped from 8-bit targets; meaningful ones and other images are kept."""

from __future__ import annotations

import numpy as np
import pytest

from rdc_extract.decode.alpha import alpha_is_meaningless, drop_meaningless_alpha


def rgba(alpha):
    image = np.random.default_rng(0).integers(0, 256, size=(4, 5, 4), dtype=np.uint8)
    image[..., 3] = alpha
    return image


@pytest.mark.parametrize("alpha", [0, 2, 255, 128, np.where(np.arange(5) % 2, 1, 0)],
                         ids=["zero", "nearly-zero", "opaque", "constant", "zero-or-one"])
def test_alpha_that_is_about_zero_or_constant_is_dropped(alpha):
    image = rgba(alpha)
    out = drop_meaningless_alpha(image)
    assert out.shape == (4, 5, 3) and out.flags.c_contiguous
    assert np.array_equal(out, image[..., :3])


@pytest.mark.parametrize("alpha", [np.where(np.arange(5) < 2, 0, 255), np.arange(5) * 60],
                         ids=["coverage", "gradient"])
def test_alpha_that_varies_is_kept(alpha):
    image = rgba(alpha)
    assert drop_meaningless_alpha(image) is image


def test_other_images_are_left_alone():
    for image in (np.zeros((4, 5, 4), np.float16), np.zeros((4, 5, 3), np.uint8), np.zeros((4, 5, 2), np.uint8),
                  np.zeros((4, 5), np.uint8)):
        assert drop_meaningless_alpha(image) is image
    assert alpha_is_meaningless(np.zeros((0, 0), np.uint8))
