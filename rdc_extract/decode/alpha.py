"""Alpha channels of G-buffer targets that carry nothing, dropped before the target is written as an image.

Games often leave a colour target's alpha unwritten (cleared to 0) or fill it
with one value. Written as RGBA, an alpha of ≈ 0 makes the image show blank in
every viewer, and a constant one only costs space. An alpha that varies is kept:
it may hold coverage, a material flag or dithering.
"""

from __future__ import annotations

import numpy as np

from rdc_extract.decode.channels import leading_channels

#: Highest 8-bit alpha still read as "≈ 0" (under 1 %).
NEAR_ZERO_U8 = 2


def alpha_is_meaningless(alpha: np.ndarray) -> bool:
    """True when an 8-bit alpha plane is ≈ 0 everywhere or one constant value."""
    a = np.asarray(alpha)
    if a.size == 0:
        return True
    low, high = int(a.min()), int(a.max())
    return high <= NEAR_ZERO_U8 or low == high


def drop_meaningless_alpha(image: np.ndarray) -> np.ndarray:
    """An 8-bit RGBA ``(H, W, 4)`` image without its alpha when ``alpha_is_meaningless``; anything else as is."""
    if image.dtype == np.uint8 and image.ndim == 3 and image.shape[-1] == 4 and alpha_is_meaningless(image[..., 3]):
        return leading_channels(image, 3)
    return image
