"""Frame images made visible for people (pure): label overlays, normals as colour, ids as stable colours."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

OVERLAY_ALPHA = 0.55
MAX_LEGEND_ENTRIES = 24
NOTHING = np.array([0, 0, 0], dtype=np.uint8)


def overlay(rgb: np.ndarray, colours: np.ndarray, labelled: np.ndarray, alpha: float = OVERLAY_ALPHA) -> np.ndarray:
    """`colours` blended over `rgb` where `labelled`; the picture alone elsewhere."""
    blended = (1 - alpha) * rgb[..., :3].astype(np.float32) + alpha * colours[..., :3].astype(np.float32)
    return np.where(labelled[..., None], np.round(blended).astype(np.uint8), rgb[..., :3])


def normals_colour(normals: np.ndarray) -> np.ndarray:
    """Unit normals (x, y, z) as RGB (n + 1) / 2, the usual normal-map colours; black where NaN (none)."""
    valid = np.isfinite(normals).all(axis=-1)
    colour = np.round((np.nan_to_num(normals, nan=0.0) + 1) * 127.5).clip(0, 255).astype(np.uint8)
    return np.where(valid[..., None], colour, NOTHING)


def id_colours(ids: np.ndarray) -> np.ndarray:
    """Each id its own colour, the same in every frame and run (a hash of the id, not a random generator);
    id 0 (none) is black. Works for uint8/uint16/uint32 id maps."""
    mixed = ids.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)      # Fibonacci hashing spreads nearby ids
    mixed ^= mixed >> np.uint64(29)
    channels = np.stack([(mixed >> np.uint64(shift)) & np.uint64(0xFF) for shift in (8, 24, 40)], axis=-1)
    colours = (64 + channels.astype(np.uint16) * 191 // 255).astype(np.uint8)   # never as dark as "none"
    return np.where((ids == 0)[..., None], NOTHING, colours)


@dataclass(frozen=True)
class LegendEntry:
    label: int
    name: str
    colour: tuple[int, int, int]
    pixels: int


def legend_entries(ids: np.ndarray, colours: np.ndarray, name_of: Callable[[int], str], *,
                   leave_out: int | None = None, limit: int = MAX_LEGEND_ENTRIES) -> tuple[list[LegendEntry], int]:
    """The classes present in a label-id image but `leave_out` (unlabelled: not overlaid), largest first, each
    with the colour its pixels have in the colour visualisation; and how many more there are beyond `limit`."""
    flat_ids, flat_colours = ids.ravel(), colours.reshape(-1, colours.shape[-1])
    present, first, counts = np.unique(flat_ids, return_index=True, return_counts=True)
    entries = [LegendEntry(int(label), name_of(int(label)),
                           tuple(int(c) for c in flat_colours[index][:3]), int(count))
               for label, index, count in zip(present, first, counts) if label != leave_out]
    entries.sort(key=lambda entry: (-entry.pixels, entry.label))
    return entries[:limit], max(0, len(entries) - limit)
