"""Seeded city generation: a grid of blocks with roads, sidewalks, buildings, parks and street furniture.

Coordinates are metres, world Z up; intersections sit at ``(i * pitch, j * pitch)``.
Static geometry is emitted as mesh batches, one per (class, 2x2-block chunk),
which is how engines batch static scenery and what gives the G-buffer pass a
realistic draw count (~100-200) without a Python loop per prop.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from . import classes as C
from .meshes import blob, box, concat, cylinder, flat_rect, quad

ASPHALT = (0.05, 0.05, 0.055)
CONCRETE = (0.38, 0.37, 0.35)
GRASS = (0.12, 0.25, 0.06)
MARKING_WHITE = (0.8, 0.8, 0.78)
MARKING_YELLOW = (0.75, 0.55, 0.05)
ROAD_MAT = (0.85, 0.0, 1.0, 0.0)
SIDEWALK_MAT = (0.8, 0.0, 0.6, 0.0)
CHUNK_BLOCKS = 2
#: Object ids of static objects start here (cars and people have theirs below it: docs/sample_game.md).
FIRST_STATIC_OBJECT = 100_000


@dataclass(frozen=True)
class CityLayout:
    """Sizes of the road grid; everything else in the game derives positions from it."""

    blocks: int = 8
    pitch: float = 64.0
    road_half_width: float = 5.0
    lane_offset: float = 2.5
    sidewalk_width: float = 4.0
    curb_height: float = 0.15

    @property
    def size(self) -> float:
        return self.blocks * self.pitch

    def node(self, i: int, j: int) -> np.ndarray:
        return np.array([i * self.pitch, j * self.pitch])


@dataclass
class StaticBatch:
    stencil: int
    chunk: tuple[int, int]
    vertices: np.ndarray  # (N, 13) float32, see meshes.py
    bounds_min: np.ndarray
    bounds_max: np.ndarray
    objects: np.ndarray  # (K, 3) int64: first vertex, vertex count, object id of each object in the batch


@dataclass
class World:
    layout: CityLayout
    batches: list[StaticBatch]
    lamp_positions: np.ndarray  # (K, 3) metres: light sources of the street lamps
    parks: set[tuple[int, int]] = field(default_factory=set)


def _chunk_of(layout: CityLayout, x: float, y: float) -> tuple[int, int]:
    span = layout.pitch * CHUNK_BLOCKS
    last = (layout.blocks - 1) // CHUNK_BLOCKS
    return (min(max(int(x // span), 0), last), min(max(int(y // span), 0), last))


class _Builder:
    """Collects mesh parts per (class, chunk) and turns them into batches, remembering which object each part
    belongs to (the ground truth tells objects apart inside a batch)."""

    def __init__(self, layout: CityLayout) -> None:
        self.layout = layout
        self.parts: dict[tuple[int, tuple[int, int]], list[tuple[np.ndarray, int]]] = defaultdict(list)
        self.objects = 0

    def add(self, stencil: int, x: float, y: float, mesh: np.ndarray, part_of: int | None = None) -> int:
        """Add a new object's mesh, or one more part of object `part_of`; returns the object's id."""
        if part_of is None:
            part_of = FIRST_STATIC_OBJECT + self.objects
            self.objects += 1
        self.parts[(stencil, _chunk_of(self.layout, x, y))].append((mesh, part_of))
        return part_of

    def batches(self) -> list[StaticBatch]:
        out = []
        for (stencil, chunk), parts in sorted(self.parts.items()):
            vertices = concat([mesh for mesh, _ in parts])
            out.append(StaticBatch(stencil, chunk, vertices, vertices[:, :3].min(0), vertices[:, :3].max(0),
                                   _object_ranges(parts)))
        return out


def _object_ranges(parts: list[tuple[np.ndarray, int]]) -> np.ndarray:
    """(first vertex, vertex count, object id) per run of consecutive parts of one object, in `concat` order."""
    ranges: list[list[int]] = []
    first = 0
    for mesh, object_id in parts:
        if not len(mesh):
            continue
        if ranges and ranges[-1][2] == object_id and ranges[-1][0] + ranges[-1][1] == first:
            ranges[-1][1] += len(mesh)
        else:
            ranges.append([first, len(mesh), object_id])
        first += len(mesh)
    return np.array(ranges, dtype=np.int64).reshape(-1, 3)


def _roads(b: _Builder) -> None:
    lay = b.layout
    hw, n, p = lay.road_half_width, lay.blocks, lay.pitch
    for i in range(n + 1):
        for j in range(n + 1):
            x, y = i * p, j * p
            b.add(C.ROAD, x, y, flat_rect(x - hw, y - hw, x + hw, y + hw, 0.0, ASPHALT, ROAD_MAT))
            for dx, dy in ((1, 0), (0, 1)):
                if (dx and i == n) or (dy and j == n):
                    continue
                _road_segment(b, x, y, dx, dy)


def _road_segment(b: _Builder, x: float, y: float, dx: int, dy: int) -> None:
    """Asphalt, centre dashes, edge lines and zebra crossings from node (x, y) to the next node along (dx, dy)."""
    lay = b.layout
    hw, p = lay.road_half_width, lay.pitch

    def rect(a0: float, a1: float, c0: float, c1: float, z: float, color, mat) -> np.ndarray:
        """A rectangle in segment coordinates: a along the road from the node, c across it."""
        if dx:
            return flat_rect(x + a0, y + c0, x + a1, y + c1, z, color, mat)
        return flat_rect(x + c0, y + a0, x + c1, y + a1, z, color, mat)

    cx, cy = x + dx * p / 2, y + dy * p / 2
    b.add(C.ROAD, cx, cy, rect(hw, p - hw, -hw, hw, 0.0, ASPHALT, ROAD_MAT))
    marks = []
    paint = (0.5, 0.0, 0.5, 0.0)
    a = hw + 4.0
    while a + 3.0 < p - hw - 4.0:
        marks.append(rect(a, a + 3.0, -0.08, 0.08, 0.02, MARKING_YELLOW, paint))
        a += 6.0
    for side in (-1, 1):
        marks.append(rect(hw + 3.5, p - hw - 3.5, side * 4.4 - 0.07, side * 4.4 + 0.07, 0.02, MARKING_WHITE, paint))
    for start in (hw + 0.4, p - hw - 3.4):
        c = -hw + 0.6
        while c < hw - 0.6:
            marks.append(rect(start, start + 3.0, c, c + 0.6, 0.02, MARKING_WHITE, paint))
            c += 1.4
    b.add(C.LANE_MARKING, cx, cy, concat(marks))


def _sidewalk(b: _Builder, x0: float, y0: float, x1: float, y1: float) -> None:
    lay = b.layout
    mesh = box(((x0 + x1) / 2, (y0 + y1) / 2, 0.0), (x1 - x0, y1 - y0, lay.curb_height), CONCRETE, SIDEWALK_MAT)
    b.add(C.SIDEWALK, (x0 + x1) / 2, (y0 + y1) / 2, mesh)


def _buildings(b: _Builder, rng: np.random.Generator, x0: float, y0: float, x1: float, y1: float) -> None:
    """Split the lot into 2-3 x 2-3 parcels and put a tower of random height and colour on each."""
    z = b.layout.curb_height
    nx, ny = rng.integers(2, 4, size=2)
    xs, ys = np.linspace(x0, x1, nx + 1), np.linspace(y0, y1, ny + 1)
    palette = [(0.45, 0.42, 0.38), (0.55, 0.5, 0.42), (0.3, 0.32, 0.36), (0.5, 0.3, 0.22), (0.62, 0.6, 0.56),
               (0.25, 0.27, 0.3)]
    for a in range(nx):
        for c in range(ny):
            w, d = xs[a + 1] - xs[a] - 1.0, ys[c + 1] - ys[c] - 1.0
            height = float(rng.choice([8, 12, 16, 20, 28, 40, 60], p=[.12, .18, .2, .18, .15, .1, .07]))
            height += float(rng.uniform(0, 4))
            color = palette[int(rng.integers(len(palette)))]
            cx, cy = (xs[a] + xs[a + 1]) / 2, (ys[c] + ys[c + 1]) / 2
            tower = b.add(C.BUILDING, cx, cy, box((cx, cy, z), (w, d, height), color, (0.7, 0.0, 0.0, 1.0)))
            if rng.random() < 0.5:
                b.add(C.BUILDING, cx, cy, box((cx, cy, z + height), (w * 0.5, d * 0.5, 3.0), color,
                                              (0.7, 0.0, 0.0, 0.0)), part_of=tower)


def _tree(b: _Builder, rng: np.random.Generator, x: float, y: float, z: float) -> None:
    height = float(rng.uniform(4.0, 7.0))
    green = (0.05 + rng.uniform(0, 0.06), 0.16 + rng.uniform(0, 0.1), 0.03)
    mesh = concat([cylinder((x, y, z), 0.16, height * 0.5, (0.18, 0.11, 0.06), sides=4),
                   blob((x, y, z + height * 0.35), float(rng.uniform(1.4, 2.2)), height * 0.7, green)])
    b.add(C.VEGETATION, x, y, mesh)


def _park(b: _Builder, rng: np.random.Generator, x0: float, y0: float, x1: float, y1: float) -> None:
    z = b.layout.curb_height + 0.01
    b.add(C.TERRAIN, (x0 + x1) / 2, (y0 + y1) / 2, flat_rect(x0, y0, x1, y1, z, GRASS))
    for _ in range(int(rng.integers(8, 16))):
        _tree(b, rng, float(rng.uniform(x0 + 2, x1 - 2)), float(rng.uniform(y0 + 2, y1 - 2)), z)
    for _ in range(int(rng.integers(4, 10))):
        x, y = float(rng.uniform(x0 + 1, x1 - 1)), float(rng.uniform(y0 + 1, y1 - 1))
        b.add(C.VEGETATION, x, y, blob((x, y, z - 0.3), float(rng.uniform(0.6, 1.2)), 1.4, (0.08, 0.2, 0.05)))


def _street_furniture(b: _Builder, rng: np.random.Generator, i: int, j: int, lamps: list) -> None:
    """Trees, lamps, signs and traffic lights on the sidewalk ring of block (i, j)."""
    lay = b.layout
    x0, y0 = i * lay.pitch + lay.road_half_width, j * lay.pitch + lay.road_half_width
    x1, y1 = x0 + lay.pitch - 2 * lay.road_half_width, y0 + lay.pitch - 2 * lay.road_half_width
    z, inset = lay.curb_height, 0.8
    edges = [((x0, y0 + inset), (1, 0), (0, -1)), ((x1 - inset, y0), (0, 1), (1, 0)),
             ((x1, y1 - inset), (-1, 0), (0, 1)), ((x0 + inset, y1), (0, -1), (-1, 0))]
    length = x1 - x0
    for (sx, sy), (dx, dy), (ox, oy) in edges:
        for k, t in enumerate(np.arange(8.0, length - 8.0, 9.0)):
            px, py = sx + dx * t, sy + dy * t
            if k % 3 == 1:
                _lamp(b, px, py, z, ox, oy, lamps)
            elif rng.random() < 0.6:
                _tree(b, rng, px - ox * 0.5, py - oy * 0.5, z)
        if rng.random() < 0.5:
            px, py = sx + dx * 5.0, sy + dy * 5.0
            b.add(C.POLE, px, py, cylinder((px, py, z), 0.05, 2.6, (0.4, 0.4, 0.42), (0.4, 0.8, 0.0, 0.0), sides=4))
            color = [(0.7, 0.05, 0.05), (0.05, 0.2, 0.6), (0.8, 0.65, 0.05)][int(rng.integers(3))]
            b.add(C.TRAFFIC_SIGN, px, py, box((px, py, z + 2.0), (0.7, 0.7, 0.7), color,
                                              (0.4, 0.2, 0.0, 0.0), heading=math.atan2(dy, dx)))
    corner = [(x0 + inset, y0 + inset), (x1 - inset, y0 + inset), (x1 - inset, y1 - inset), (x0 + inset, y1 - inset)]
    for cx, cy in corner:
        b.add(C.POLE, cx, cy, cylinder((cx, cy, z), 0.09, 3.2, (0.15, 0.15, 0.15), (0.4, 0.8, 0.0, 0.0), sides=4))
        phase = (i + j) % 2
        lamp = [(1.0, 0.05, 0.02), (0.1, 1.0, 0.3)][phase]
        lights = [box((cx, cy, z + 3.2), (0.35, 0.35, 1.0), (0.05, 0.05, 0.04)),
                  box((cx, cy, z + 3.75 - phase * 0.45), (0.42, 0.42, 0.2), lamp, (0.3, 0.0, 0.0, 3.0))]
        b.add(C.TRAFFIC_LIGHT, cx, cy, concat(lights))


def _lamp(b: _Builder, x: float, y: float, z: float, ox: float, oy: float, lamps: list) -> None:
    """A street lamp leaning over the road (direction (ox, oy)); its head is the light source at night."""
    metal = (0.4, 0.8, 0.0, 0.0)
    head = (x + ox * 1.5, y + oy * 1.5)
    mesh = concat([cylinder((x, y, z), 0.1, 7.0, (0.2, 0.2, 0.22), metal, sides=4),
                   box(((x + head[0]) / 2, (y + head[1]) / 2, z + 6.75), (abs(ox) * 1.9 + 0.5, abs(oy) * 1.9 + 0.5,
                                                                           0.2), (1.0, 0.85, 0.6), (0.3, 0.0, 0.0, 6.0))])
    b.add(C.POLE, x, y, mesh)
    lamps.append((head[0], head[1], z + 6.6))


def _terrain(b: _Builder, rng: np.random.Generator) -> None:
    """Rolling grass hills around the city, flat where the city is, so the horizon is not a void."""
    lay = b.layout
    margin, cells = 420.0, 32
    lo, hi = -margin, lay.size + margin
    g = np.linspace(lo, hi, cells + 1)
    phases = rng.uniform(0, 2 * math.pi, size=4)

    def height(x: float, y: float) -> float:
        out = max(lo + margin - 6 - x, x - lay.size - 6, lo + margin - 6 - y, y - lay.size - 6, 0.0)
        rise = min(out / 150.0, 1.0)
        waves = 30 + 18 * math.sin(x / 70 + phases[0]) * math.cos(y / 90 + phases[1]) + 8 * math.sin(x / 31 + y / 43)
        return rise * rise * waves - 0.02

    h = np.array([[height(x, y) for y in g] for x in g])
    city_lo, city_hi = -lay.road_half_width, lay.size + lay.road_half_width
    for a in range(cells):
        for c in range(cells):
            if g[a] >= city_lo and g[a + 1] <= city_hi and g[c] >= city_lo and g[c + 1] <= city_hi:
                continue  # under roads and sidewalks: never visible
            corners = [(g[a], g[c], h[a, c]), (g[a + 1], g[c], h[a + 1, c]),
                       (g[a + 1], g[c + 1], h[a + 1, c + 1]), (g[a], g[c + 1], h[a, c + 1])]
            shade = 0.8 + 0.2 * math.sin(a * 1.7 + c * 2.3)
            b.add(C.TERRAIN, (g[a] + g[a + 1]) / 2, (g[c] + g[c + 1]) / 2,
                  quad(corners, (GRASS[0] * shade, GRASS[1] * shade, GRASS[2] * shade)))


def generate_world(seed: int, layout: CityLayout = CityLayout()) -> World:
    """The whole static city for `seed`; the same seed always yields byte-identical batches."""
    rng = np.random.default_rng([seed, 1])
    b = _Builder(layout)
    lamps: list = []
    parks: set[tuple[int, int]] = set()
    _roads(b)
    _terrain(b, rng)
    hw, sw = layout.road_half_width, layout.sidewalk_width
    for i in range(layout.blocks):
        for j in range(layout.blocks):
            x0, y0 = i * layout.pitch + hw, j * layout.pitch + hw
            x1, y1 = x0 + layout.pitch - 2 * hw, y0 + layout.pitch - 2 * hw
            _sidewalk(b, x0, y0, x1, y1)
            if rng.random() < 0.18:
                parks.add((i, j))
                _park(b, rng, x0 + sw, y0 + sw, x1 - sw, y1 - sw)
            else:
                _buildings(b, rng, x0 + sw, y0 + sw, x1 - sw, y1 - sw)
            _street_furniture(b, rng, i, j, lamps)
    return World(layout, b.batches(), np.asarray(lamps, dtype=np.float32), parks)
