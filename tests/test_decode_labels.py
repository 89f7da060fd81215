"""Stencil bits → class ids / player mask; palette colourising."""

from __future__ import annotations

import numpy as np
import pytest

from rdc_extract.decode.labels import colourise, remap_classes, stencil_to_classes


def test_gtav_style_stencil_split():
    # values from the GTA V notes: 0x01 ped, 0x02 vehicle, 0x07 sky, 0x82 player vehicle, 0x89 player
    stencil = np.array([[0x01, 0x02, 0x07], [0x82, 0x89, 0x00]], dtype=np.uint8)
    ids, player = stencil_to_classes(stencil, class_mask=0x07, player_bit=0x80)
    np.testing.assert_array_equal(ids, [[1, 2, 7], [2, 1, 0]])
    np.testing.assert_array_equal(player, [[False, False, False], [True, True, False]])
    ids4, _ = stencil_to_classes(stencil, class_mask=0x0F, player_bit=None)
    np.testing.assert_array_equal(ids4, [[1, 2, 7], [2, 9, 0]])


def test_colourise_and_remap():
    palette = np.array([[0, 0, 0], [255, 0, 0], [0, 255, 0]], dtype=np.uint8)
    out = colourise(np.array([[0, 2], [1, 1]]), palette)
    assert out.shape == (2, 2, 3) and out.dtype == np.uint8
    np.testing.assert_array_equal(out[0, 1], [0, 255, 0])
    lookup = np.array([255, 24, 26, 255, 255, 255, 255, 10], dtype=np.uint8)  # e.g. raw → Cityscapes ids
    np.testing.assert_array_equal(remap_classes(np.array([1, 2, 7], dtype=np.uint8), lookup), [24, 26, 10])


def test_errors_instead_of_silent_wrapping():
    palette = np.zeros((3, 3), dtype=np.uint8)
    with pytest.raises(ValueError):
        colourise(np.array([[3]]), palette)
    with pytest.raises(ValueError):
        colourise(np.array([[0]]), palette.astype(np.int32))
    with pytest.raises(ValueError):
        stencil_to_classes(np.array([[1]], dtype=np.int32))
    with pytest.raises(ValueError):
        remap_classes(np.array([9]), np.zeros(8))
