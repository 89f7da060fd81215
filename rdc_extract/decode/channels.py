"""Per-pixel work on ``(H, W, C)`` images done one channel plane at a time, for the same values at less CPU.

numpy iterates an image whose channels are a strided slice (RGB of RGBA) or
broadcast against an ``(H, W)`` mask one pixel at a time, C elements per
inner loop; over a channel plane it runs whole rows. For a 640x360 frame
that is 3-5x less CPU (docs/performance.md: what the write half costs).
"""

from __future__ import annotations

import numpy as np


def leading_channels(image: np.ndarray, count: int) -> np.ndarray:
    """``image[..., :count]`` as a C-contiguous array: ``image`` itself when it already is one, else a copy."""
    count = min(count, image.shape[-1])
    if count == image.shape[-1] and image.flags.c_contiguous:
        return image
    out = np.empty(image.shape[:-1] + (count,), dtype=image.dtype)
    for channel in range(count):
        out[..., channel] = image[..., channel]
    return out


def finite_pixels(image: np.ndarray) -> np.ndarray:
    """``np.all(np.isfinite(image), axis=-1)``: the pixels whose every channel is finite."""
    finite = np.ones(image.shape[:-1], dtype=bool)
    for channel in range(image.shape[-1]):
        finite &= np.isfinite(image[..., channel])
    return finite


def fill_pixels(image: np.ndarray, where: np.ndarray, value: float) -> None:
    """``image[where] = value`` in place, for an ``(H, W)`` mask ``where``: every channel of those pixels."""
    for channel in range(image.shape[-1]):
        image[..., channel][where] = value


def dot_pixels(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.einsum("...i,...i->...", a, b)`` for arrays of the same shape.

    float32 is done plane by plane, the products added in channel order: the
    values numpy 2.4's einsum gives (only a sum of negative zeros may come out
    as -0 here, +0 there), without its per-pixel loop. Its float64 loop rounds
    otherwise, so other types go to einsum.
    """
    if a.dtype != np.float32 or b.dtype != np.float32:
        return np.einsum("...i,...i->...", a, b)
    with np.errstate(over="ignore", invalid="ignore"):  # einsum does not warn either
        total = np.multiply(a[..., 0], b[..., 0])
        term = np.empty_like(total)
        for channel in range(1, a.shape[-1]):
            np.multiply(a[..., channel], b[..., channel], out=term)
            total += term
    return total
