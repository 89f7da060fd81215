"""Stencil values → class ids and a player mask; class ids → colour images.

Games write object categories into stencil bits (GTA V: low 3 bits = class,
0x80 = belongs to the player, per GTAVisionExport). Which bits mean what is
game data (a profile), passed in here as masks.
"""

from __future__ import annotations

import numpy as np


def stencil_to_classes(
    stencil: np.ndarray,
    *,
    class_mask: int = 0x07,
    player_bit: int | None = 0x80,
) -> tuple[np.ndarray, np.ndarray]:
    """Split a uint8 stencil image ``(H, W)`` into class ids and a player mask.

    Returns ``(class_ids, player_mask)``: ``class_ids`` uint8 ``(H, W)`` =
    ``stencil & class_mask`` (the raw masked value; map it to a dataset's ids
    with ``remap_classes``), ``player_mask`` bool ``(H, W)`` = ``stencil & player_bit != 0``
    (all False when ``player_bit`` is None).
    """
    s = np.asarray(stencil)
    if s.dtype != np.uint8:
        raise ValueError(f"stencil must be uint8, got {s.dtype}")
    if not 0 < class_mask <= 0xFF:
        raise ValueError(f"class_mask must be a non-zero 8-bit mask, got {class_mask:#x}")
    class_ids = s & np.uint8(class_mask)
    if player_bit is None:
        return class_ids, np.zeros(s.shape, dtype=bool)
    if not 0 < player_bit <= 0xFF:
        raise ValueError(f"player_bit must be a non-zero 8-bit mask, got {player_bit:#x}")
    return class_ids, (s & np.uint8(player_bit)) != 0


def remap_classes(class_ids: np.ndarray, lookup: np.ndarray) -> np.ndarray:
    """Map raw ids through a lookup table: ``lookup[class_ids]``, same dtype as ``lookup``.

    ``lookup`` is 1D with one entry per possible raw id (e.g. 256 for uint8, or
    ``class_mask + 1``); ids beyond it raise ``ValueError``.
    """
    ids = np.asarray(class_ids)
    table = np.asarray(lookup)
    if table.ndim != 1:
        raise ValueError(f"lookup must be 1D, got shape {table.shape}")
    if ids.size and int(ids.max()) >= len(table):
        raise ValueError(f"class id {int(ids.max())} has no entry in a lookup of length {len(table)}")
    return table[ids]


def colourise(class_ids: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Class ids ``(H, W)`` → uint8 RGB ``(H, W, 3)`` with ``palette[id]`` (palette ``(N, 3)`` uint8).

    Ids ``>= N`` raise ``ValueError`` rather than wrapping or clipping.
    """
    pal = np.asarray(palette)
    if pal.ndim != 2 or pal.shape[1] != 3 or pal.dtype != np.uint8:
        raise ValueError(f"palette must be (N, 3) uint8, got {pal.shape} {pal.dtype}")
    ids = np.asarray(class_ids)
    if not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"class ids must be integers, got {ids.dtype}")
    if ids.size and (int(ids.min()) < 0 or int(ids.max()) >= len(pal)):
        raise ValueError(f"class ids span {int(ids.min())}..{int(ids.max())}, palette has {len(pal)} colours")
    return pal[ids]
