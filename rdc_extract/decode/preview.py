"""Thumbnails of render targets for people (`inspect --preview`): every target made visible as 8-bit.

Not for datasets: depth is stretched over the range the frame uses, stencil
values are spread over the grey levels, HDR colour is scaled to its 99th
percentile. Pure: bytes and a `TextureDesc` in, uint8 images out.
"""

from __future__ import annotations

import numpy as np

from rdc_extract.decode.formats import TextureDesc
from rdc_extract.decode.textures import decode_color, decode_depth_stencil, decode_integer

THUMBNAIL_SIDE = 256
_DEPTH_STENCIL_LAYOUTS = ("D16S8", "D24S8", "D32S8", "S8")


def thumbnail(image: np.ndarray, side: int = THUMBNAIL_SIDE) -> np.ndarray:
    """Every n-th pixel so the longer side is at most `side` (a preview needs no filtering)."""
    step = max(1, -(-max(image.shape[:2]) // side))
    return np.ascontiguousarray(image[::step, ::step])


def depth_visible(depth: np.ndarray) -> np.ndarray:
    """Depth stretched over the 1st–99th percentile of the values that are not a clear value (0, 1)."""
    valid = np.isfinite(depth) & (depth != 0) & (depth != 1)
    out = np.zeros(depth.shape, dtype=np.uint8)
    if valid.any():
        low, high = np.percentile(depth[valid], [1, 99])
        span = high - low if high > low else 1.0
        out[valid] = np.round(np.clip((depth[valid] - low) / span, 0, 1) * 254 + 1).astype(np.uint8)
    return out


def values_spread(values: np.ndarray) -> np.ndarray:
    """Each distinct value its own grey, evenly spaced from black (the smallest) to white (the largest)."""
    distinct, ranks = np.unique(values, return_inverse=True)
    levels = np.round(np.linspace(0, 255, len(distinct))).astype(np.uint8) if len(distinct) > 1 else \
        np.array([128], dtype=np.uint8)
    return levels[ranks.reshape(values.shape)]


def _as_rgb(channels: np.ndarray) -> np.ndarray:
    if channels.shape[-1] >= 3:
        return channels[..., :3]
    if channels.shape[-1] == 1:
        return channels[..., 0]
    return np.concatenate([channels, np.zeros(channels.shape[:-1] + (1,), channels.dtype)], axis=-1)


def colour_visible(colour: np.ndarray, floating: bool) -> np.ndarray:
    """Stored values 0..1 as 0..255; float targets scaled down by their 99th percentile when it exceeds 1."""
    colour = np.nan_to_num(_as_rgb(colour).astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    if floating:
        colour = np.abs(colour)
        top = float(np.percentile(colour, 99)) if colour.size else 1.0
        colour = colour / max(top, 1.0)
    return np.round(np.clip(colour, 0, 1) * 255).astype(np.uint8)


def previews(raw: bytes, desc: TextureDesc) -> dict[str, np.ndarray]:
    """{"": colour} for a colour target, {"depth": …, "stencil": …} for a depth(-stencil) one, as thumbnails.

    Raises UnsupportedFormat / TextureDataMismatch like the decoders.
    """
    fmt = desc.format
    if fmt.component_type == "Depth" or fmt.layout in _DEPTH_STENCIL_LAYOUTS:
        depth, stencil = decode_depth_stencil(raw, desc)
        images = {"depth": depth_visible(depth)}
        if stencil is not None:
            images["stencil"] = values_spread(stencil)
    elif fmt.component_type in ("UInt", "SInt"):
        images = {"": values_spread(_as_rgb(decode_integer(raw, desc)))}
    else:
        images = {"": colour_visible(decode_color(raw, desc), fmt.component_type == "Float")}
    return {name: thumbnail(image) for name, image in images.items()}
