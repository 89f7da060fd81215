"""The stencil class table: what each G-buffer draw writes into the 8-bit stencil.

Modelled on GTA V (GTAVisionExport masks its stencil with 0x7): the low four
bits hold the object class and bit 0x80 marks whatever belongs to the player,
so the player's own car is ``VEHICLE | PLAYER_FLAG`` = 0x82. Class 0 is never
written: pixels that keep the cleared stencil are sky / nothing drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

CLASS_BITS = 0x0F
PLAYER_FLAG = 0x80


@dataclass(frozen=True)
class StencilClass:
    name: str
    id: int
    color: tuple[int, int, int]  # sRGB colour for label previews (Cityscapes-like)


CLASSES: tuple[StencilClass, ...] = (
    StencilClass("unlabelled", 0, (0, 0, 0)),
    StencilClass("pedestrian", 1, (220, 20, 60)),
    StencilClass("vehicle", 2, (0, 0, 142)),
    StencilClass("vegetation", 3, (107, 142, 35)),
    StencilClass("road", 4, (128, 64, 128)),
    StencilClass("sidewalk", 5, (244, 35, 232)),
    StencilClass("building", 6, (70, 70, 70)),
    StencilClass("pole", 7, (153, 153, 153)),
    StencilClass("traffic_sign", 8, (220, 220, 0)),
    StencilClass("traffic_light", 9, (250, 170, 30)),
    StencilClass("terrain", 10, (152, 251, 152)),
    StencilClass("lane_marking", 11, (255, 255, 255)),
)

BY_NAME: dict[str, int] = {c.name: c.id for c in CLASSES}
BY_ID: dict[int, StencilClass] = {c.id: c for c in CLASSES}

PEDESTRIAN = BY_NAME["pedestrian"]
VEHICLE = BY_NAME["vehicle"]
VEGETATION = BY_NAME["vegetation"]
ROAD = BY_NAME["road"]
SIDEWALK = BY_NAME["sidewalk"]
BUILDING = BY_NAME["building"]
POLE = BY_NAME["pole"]
TRAFFIC_SIGN = BY_NAME["traffic_sign"]
TRAFFIC_LIGHT = BY_NAME["traffic_light"]
TERRAIN = BY_NAME["terrain"]
LANE_MARKING = BY_NAME["lane_marking"]
PLAYER_VEHICLE = VEHICLE | PLAYER_FLAG


def class_of(stencil: int) -> int:
    """The class id held in a stencil value (drops the player flag)."""
    return stencil & CLASS_BITS
