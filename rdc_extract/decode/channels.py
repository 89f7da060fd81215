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
