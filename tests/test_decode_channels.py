"""The plane-by-plane helpers give exactly what the numpy expressions they replace give."""

from __future__ import annotations

import numpy as np
import pytest

from rdc_extract.decode.channels import dot_pixels, fill_pixels, finite_pixels, leading_channels

RNG = np.random.default_rng(7)


def with_specials(shape):
    image = RNG.normal(size=shape).astype(np.float32)
    image[0, 0, 0] = np.nan
    image[1, 2] = np.inf
    image[2, 1, -1] = -np.inf
    return image


@pytest.mark.parametrize("dtype", [np.uint8, np.float16, np.float32])
@pytest.mark.parametrize("channels, count", [(4, 3), (4, 2), (3, 3), (2, 3), (4, 1)])
def test_leading_channels_is_the_slice_made_contiguous(dtype, channels, count):
    image = RNG.integers(0, 255, size=(5, 7, channels)).astype(dtype)
    out = leading_channels(image, count)
    assert out.flags.c_contiguous and out.dtype == image.dtype
    np.testing.assert_array_equal(out, image[..., :count])


def test_leading_channels_copies_only_what_is_not_already_contiguous():
    image = np.zeros((3, 4, 3), np.uint8)
    assert leading_channels(image, 3) is image
    flipped = np.zeros((3, 4, 3), np.uint8)[::-1]
    assert leading_channels(flipped, 3) is not flipped and leading_channels(flipped, 3).flags.c_contiguous


@pytest.mark.parametrize("shape", [(6, 5, 3), (6, 5, 1), (40, 3), (6, 5, 0)])
def test_finite_pixels_is_all_channels_finite(shape):
    image = RNG.normal(size=shape).astype(np.float32)
    if image.size:
        image.reshape(-1)[::7] = np.nan
        image.reshape(-1)[3::11] = np.inf
    np.testing.assert_array_equal(finite_pixels(image), np.all(np.isfinite(image), axis=-1))


@pytest.mark.parametrize("value", [0.0, np.nan])
def test_fill_pixels_is_a_masked_assignment_of_whole_pixels(value):
    image = with_specials((6, 5, 3))
    where = RNG.random((6, 5)) < 0.4
    expected = image.copy()
    expected[where] = value
    fill_pixels(image, where, value)
    assert image.tobytes() == expected.tobytes()


def test_fill_pixels_of_integers():
    image = RNG.integers(0, 65535, size=(6, 5, 3)).astype(np.uint16)
    where = RNG.random((6, 5)) < 0.4
    expected = image.copy()
    expected[where] = 0
    fill_pixels(image, where, 0)
    np.testing.assert_array_equal(image, expected)


@pytest.mark.parametrize("shape", [(40, 50, 3), (300, 3), (3,), (30, 2)])
@pytest.mark.parametrize("dtypes", [(np.float32, np.float32), (np.float64, np.float64), (np.float32, np.float64),
                                    (np.float16, np.float16)])
def test_dot_pixels_is_einsum_over_the_last_axis(shape, dtypes):
    a = RNG.normal(size=shape).astype(dtypes[0])
    b = RNG.normal(size=shape).astype(dtypes[1])
    flat_a, flat_b = a.reshape(-1, shape[-1]), b.reshape(-1, shape[-1])
    with np.errstate(over="ignore", under="ignore"):  # float16 overflows to inf
        flat_a[::5] *= 1e-20
        flat_b[1::7] *= 1e30
    flat_a[2::11, 0] = np.nan
    flat_b[3::13, -1] = np.inf
    flat_a[4::17] = 0.0
    expected = np.einsum("...i,...i->...", a, b)
    out = dot_pixels(a, b)
    assert out.dtype == expected.dtype and out.shape == expected.shape
    finite = np.isfinite(expected)
    assert np.array_equal(np.isfinite(out), finite) and np.allclose(out[finite], expected[finite], rtol=1e-5, atol=0)
    if dtypes == (np.float32, np.float32):   # the products added in channel order, exactly
        with np.errstate(over="ignore", invalid="ignore"):
            in_order = a[..., 0] * b[..., 0]
            for channel in range(1, shape[-1]):
                in_order = in_order + a[..., channel] * b[..., channel]
        assert np.array_equal(out, in_order, equal_nan=True)
