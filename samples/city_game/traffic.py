"""Lane following on the road grid, shared by NPC cars and the player's autopilot.

Traffic keeps to the right. A driver's path is a queue of quadratic Bezier
segments: a straight one along a block edge, then a curve through the
intersection into the chosen exit lane. Turns are drawn from the driver's own
seeded generator, so a route depends on the seed and nothing else.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from .world import CityLayout

Direction = tuple[int, int]


def _right(d: Direction) -> Direction:
    return (d[1], -d[0])


def _left(d: Direction) -> Direction:
    return (-d[1], d[0])


@dataclass
class Segment:
    """Quadratic Bezier p0 -> p2 with control p1 (a straight segment has p1 at the midpoint)."""

    p0: np.ndarray
    p1: np.ndarray
    p2: np.ndarray

    def __post_init__(self) -> None:
        self._coeffs = [tuple(float(c) for c in p) for p in (self.p0, self.p1, self.p2)]
        pts = np.array([self.point(t) for t in np.linspace(0.0, 1.0, 9)])
        self.length = float(np.linalg.norm(np.diff(pts, axis=0), axis=1).sum())

    def point(self, t: float) -> tuple[float, float]:
        (ax, ay), (bx, by), (cx, cy) = self._coeffs
        u = 1.0 - t
        return u * u * ax + 2 * u * t * bx + t * t * cx, u * u * ay + 2 * u * t * by + t * t * cy

    def heading(self, t: float) -> float:
        (ax, ay), (bx, by), (cx, cy) = self._coeffs
        u = 1.0 - t
        return math.atan2(u * (by - ay) + t * (cy - by), u * (bx - ax) + t * (cx - bx))


class LaneFollower:
    """Position along the lane network; `advance` moves it by a distance in metres."""

    def __init__(self, layout: CityLayout, rng: np.random.Generator, node: tuple[int, int], direction: Direction,
                 start_fraction: float = 0.0) -> None:
        self.layout = layout
        self.rng = rng
        self.node = node
        self.direction = direction
        self.segments: deque[Segment] = deque()
        self.s = 0.0
        self._plan_straight()
        self.s = start_fraction * self.segments[0].length

    def _lane(self, node: tuple[int, int], d: Direction, along: float) -> np.ndarray:
        r = _right(d)
        base = self.layout.node(*node)
        return base + np.array(d) * along + np.array(r) * self.layout.lane_offset

    def _plan_straight(self) -> None:
        hw = self.layout.road_half_width
        d = self.direction
        nxt = (self.node[0] + d[0], self.node[1] + d[1])
        a, b = self._lane(self.node, d, hw), self._lane(nxt, d, -hw)
        self.segments.append(Segment(a, (a + b) / 2, b))
        self.node = nxt

    def _plan_turn(self) -> None:
        """Pick an exit at `self.node` (never a U-turn, never off the grid) and add the curve through it."""
        d, n = self.direction, self.layout.blocks
        options = []
        for choice, weight in ((d, 0.5), (_left(d), 0.25), (_right(d), 0.25)):
            i, j = self.node[0] + choice[0], self.node[1] + choice[1]
            if 0 <= i <= n and 0 <= j <= n:
                options.append((choice, weight))
        weights = np.array([w for _, w in options])
        d2 = options[int(self.rng.choice(len(options), p=weights / weights.sum()))][0]
        hw, lane = self.layout.road_half_width, self.layout.lane_offset
        a, b = self._lane(self.node, d, -hw), self._lane(self.node, d2, hw)
        centre = self.layout.node(*self.node)
        control = (a + b) / 2 if d2 == d else centre + (np.array(_right(d)) + np.array(_right(d2))) * lane
        self.segments.append(Segment(a, control, b))
        self.direction = d2

    def advance(self, distance: float) -> None:
        self.s += distance
        while self.s >= self.segments[0].length:
            self.s -= self.segments[0].length
            self.segments.popleft()
            if not self.segments:
                self._plan_turn()
                self._plan_straight()

    def pose(self) -> tuple[float, float, float]:
        """(x, y, heading in radians from +X)."""
        seg = self.segments[0]
        t = min(self.s / seg.length, 1.0)
        x, y = seg.point(t)
        return x, y, seg.heading(t)


def nearest_lane_start(layout: CityLayout, x: float, y: float, heading: float) -> tuple[tuple[int, int], Direction, float]:
    """The lane (start node, direction, fraction along) closest to (x, y) for a car facing about `heading`."""
    options = [(1, 0), (0, 1), (-1, 0), (0, -1)]
    d = max(options, key=lambda o: o[0] * math.cos(heading) + o[1] * math.sin(heading))
    p, n = layout.pitch, layout.blocks
    along = x if d[0] else y
    across = y if d[0] else x
    road = min(max(round(across / p), 0), n)
    start = int(math.floor(along / p)) if (d[0] + d[1]) > 0 else int(math.ceil(along / p))
    start = min(max(start, 0 if (d[0] + d[1]) > 0 else 1), n - 1 if (d[0] + d[1]) > 0 else n)
    fraction = abs(along - start * p) / p
    node = (start, road) if d[0] else (road, start)
    return node, d, float(min(max(fraction, 0.0), 0.95))
