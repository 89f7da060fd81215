"""Thumbnails for `inspect --preview` (pure): depth stretched, stencil spread, HDR scaled."""

from __future__ import annotations

import numpy as np

from rdc_extract.decode.preview import colour_visible, depth_visible, thumbnail, values_spread


def test_depth_is_stretched_over_the_values_in_use_and_clear_values_are_black():
    depth = np.array([[0.0, 1.0, 0.5, 0.5002], [0.5001, 0.5, 0.5002, 0.0]], dtype=np.float32)
    image = depth_visible(depth)
    assert image[0, 0] == image[0, 1] == 0
    assert image[0, 2] == 1 and image[0, 3] == 255


def test_stencil_values_each_get_their_own_grey_from_black_to_white():
    image = values_spread(np.array([[0, 1, 128], [1, 0, 0]], dtype=np.uint8))
    assert image.tolist() == [[0, 128, 255], [128, 0, 0]]
    assert values_spread(np.zeros((2, 2), np.uint8)).tolist() == [[128, 128], [128, 128]]


def test_hdr_colour_is_scaled_to_its_99th_percentile_and_nan_is_black():
    colour = np.full((10, 10, 4), 4.0, dtype=np.float32)
    colour[0, 0] = np.nan
    image = colour_visible(colour, floating=True)
    assert image.shape == (10, 10, 3) and image[5, 5].tolist() == [255, 255, 255] and image[0, 0].tolist() == [0, 0, 0]


def test_thumbnail_keeps_the_longer_side_within_the_limit():
    assert thumbnail(np.zeros((360, 640)), 256).shape == (120, 214)
    assert thumbnail(np.zeros((10, 20)), 256).shape == (10, 20)
