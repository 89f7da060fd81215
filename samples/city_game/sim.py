"""Game state and its fixed-step update: traffic, pedestrians, the player, clock, weather and hazards.

One tick is exactly 1/30 s of game time whatever the wall clock does, and all
randomness comes from generators seeded with the game seed, so frame N of a
seed is always the same. The hazards (reckless drivers, carjackers) exist so
that an unattended autopilot run ends -- dead or pulled out of the car --
within a few hundred to ~2000 frames unless a mod uses the natives that a
real capture mod needs (invincibility, locked doors).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .traffic import LaneFollower, nearest_lane_start
from .world import CityLayout

TICK_S = 1.0 / 30.0
GAME_SECONDS_PER_TICK = 1.0  # the clock runs 30x real time, like GTA V's
WEATHERS = ("clear", "overcast", "fog", "rain")
CAR_COLORS = [(0.6, 0.05, 0.04), (0.05, 0.12, 0.45), (0.75, 0.75, 0.72), (0.05, 0.05, 0.05), (0.5, 0.5, 0.52),
              (0.1, 0.35, 0.12), (0.8, 0.55, 0.05), (0.35, 0.05, 0.3)]
RESPAWN_TICKS = 90


@dataclass
class GameEvent:
    """Something a mod may react to; `kind` is one of player_died, player_respawned, player_pulled_out, vehicle_collision."""

    kind: str
    frame: int
    details: dict = field(default_factory=dict)


@dataclass
class Vehicle:
    id: int
    driver: LaneFollower
    color: tuple[float, float, float]
    cruise_mps: float
    speed_mps: float = 0.0
    x: float = 0.0
    y: float = 0.0
    heading: float = 0.0

    def sync(self) -> None:
        self.x, self.y, self.heading = self.driver.pose()


@dataclass
class Pedestrian:
    """Walks round the sidewalk ring of one block; `t` is metres along the ring."""

    id: int
    block: tuple[int, int]
    t: float
    direction: int
    speed_mps: float
    color: tuple[float, float, float]
    x: float = 0.0
    y: float = 0.0
    heading: float = 0.0


@dataclass
class Player:
    vehicle: Vehicle
    health: float = 100.0
    alive: bool = True
    in_vehicle: bool = True
    invincible: bool = False
    doors_locked: bool = False
    autopilot: bool = True
    autopilot_mps: float = 11.0
    foot_x: float = 0.0
    foot_y: float = 0.0
    respawn_in: int = 0


class Simulation:
    """Everything that moves. `tick()` advances one fixed step and returns the events it raised."""

    def __init__(self, seed: int, layout: CityLayout, vehicle_pool: int = 48, pedestrian_pool: int = 80) -> None:
        self.seed = seed
        self.layout = layout
        self.rng = np.random.default_rng([seed, 2])
        self.hazard_rng = np.random.default_rng([seed, 3])
        self.tick_count = 0
        self.clock_s = 13 * 3600.0
        self.weather = "clear"
        self.paused = False
        self.traffic_density = 1.0
        self.pedestrian_density = 1.0
        self.vehicles = [self._new_vehicle(k + 1) for k in range(vehicle_pool)]
        self.pedestrians = [self._new_pedestrian(k + 1) for k in range(pedestrian_pool)]
        self.player = Player(self._new_vehicle(0, color=(0.85, 0.35, 0.02), node=(layout.blocks // 2, 1),
                                               direction=(0, 1), fraction=0.2))
        self.next_hazard_tick = self._hazard_delay()
        for p in self.pedestrians:
            self._place_pedestrian(p)

    def _new_vehicle(self, vid: int, color=None, node=None, direction=None, fraction=None) -> Vehicle:
        n = self.layout.blocks
        rng = np.random.default_rng([self.seed, 100 + vid])
        if node is None:
            direction = [(1, 0), (0, 1), (-1, 0), (0, -1)][int(rng.integers(4))]
            lo_i = 1 if direction[0] < 0 else 0
            hi_i = n - 1 if direction[0] > 0 else n
            lo_j = 1 if direction[1] < 0 else 0
            hi_j = n - 1 if direction[1] > 0 else n
            node = (int(rng.integers(lo_i, hi_i + 1)), int(rng.integers(lo_j, hi_j + 1)))
            fraction = float(rng.uniform(0, 0.9))
        color = color or CAR_COLORS[int(rng.integers(len(CAR_COLORS)))]
        vehicle = Vehicle(vid, LaneFollower(self.layout, rng, node, direction, fraction), color,
                          float(rng.uniform(8.0, 13.0)))
        vehicle.sync()
        return vehicle

    def _new_pedestrian(self, pid: int) -> Pedestrian:
        n = self.layout.blocks
        block = (int(self.rng.integers(n)), int(self.rng.integers(n)))
        color = tuple(float(c) for c in self.rng.uniform(0.1, 0.8, size=3))
        return Pedestrian(pid, block, float(self.rng.uniform(0, 200)), int(self.rng.choice([-1, 1])),
                          float(self.rng.uniform(1.1, 1.7)), color)

    def _place_pedestrian(self, p: Pedestrian) -> None:
        lay = self.layout
        inset = lay.road_half_width + 2.2
        x0, y0 = p.block[0] * lay.pitch + inset, p.block[1] * lay.pitch + inset
        side = lay.pitch - 2 * inset
        t = p.t % (4 * side)
        edge, along = int(t // side), t % side
        dirs = [(1, 0), (0, 1), (-1, 0), (0, -1)]
        starts = [(x0, y0), (x0 + side, y0), (x0 + side, y0 + side), (x0, y0 + side)]
        (sx, sy), (dx, dy) = starts[edge], dirs[edge]
        p.x, p.y = sx + dx * along, sy + dy * along
        p.heading = math.atan2(dy * p.direction, dx * p.direction)

    def _hazard_delay(self) -> int:
        return int(self.hazard_rng.integers(150, 600))

    @property
    def active_vehicles(self) -> list[Vehicle]:
        return self.vehicles[:round(len(self.vehicles) * min(max(self.traffic_density, 0.0), 1.0))]

    @property
    def active_pedestrians(self) -> list[Pedestrian]:
        return self.pedestrians[:round(len(self.pedestrians) * min(max(self.pedestrian_density, 0.0), 1.0))]

    def tick(self) -> list[GameEvent]:
        """Advance one fixed step (nothing moves while paused); returns the events raised."""
        events: list[GameEvent] = []
        if self.paused:
            return events
        self.tick_count += 1
        self.clock_s = (self.clock_s + GAME_SECONDS_PER_TICK) % 86400.0
        cars = self.active_vehicles
        player = self.player
        drivers = cars + [player.vehicle]
        blocked = self._blocked(drivers)
        for v, stop in zip(cars, blocked):
            self._drive(v, 0.0 if stop else v.cruise_mps)
        if player.alive and player.in_vehicle and player.autopilot:
            self._drive(player.vehicle, 0.0 if blocked[-1] else player.autopilot_mps)
        else:
            self._drive(player.vehicle, 0.0)
        for p in self.active_pedestrians:
            p.t += p.direction * p.speed_mps * TICK_S
            self._place_pedestrian(p)
        events += self._hazards()
        return events

    @staticmethod
    def _blocked(drivers: list[Vehicle]) -> np.ndarray:
        """For each driver: is another car within 14 m ahead, less than 1.8 m to the side of its path?"""
        pos = np.array([[v.x, v.y] for v in drivers])
        heading = np.array([v.heading for v in drivers])
        forward = np.stack([np.cos(heading), np.sin(heading)], axis=1)
        rel = pos[None, :, :] - pos[:, None, :]  # rel[i, j] = j seen from i
        ahead = np.einsum("ijk,ik->ij", rel, forward)
        lateral = np.abs(rel[..., 0] * -forward[:, 1:2] + rel[..., 1] * forward[:, 0:1])
        return ((ahead > 0.5) & (ahead < 14.0) & (lateral < 1.8)).any(axis=1)

    @staticmethod
    def _drive(v: Vehicle, target_mps: float) -> None:
        """Accelerate gently towards the target speed, brake harder when slowing down."""
        rate = 3.0 if target_mps > v.speed_mps else 8.0
        v.speed_mps += min(max(target_mps - v.speed_mps, -rate * TICK_S), rate * TICK_S)
        v.driver.advance(v.speed_mps * TICK_S)
        v.sync()

    def _hazards(self) -> list[GameEvent]:
        """Reckless drivers hit the player; carjackers drag them out of unlocked cars; the dead respawn."""
        player, events = self.player, []
        if not player.alive:
            player.respawn_in -= 1
            if player.respawn_in <= 0:
                self._respawn()
                events.append(GameEvent("player_respawned", self.tick_count, {"x": player.vehicle.x,
                                                                              "y": player.vehicle.y}))
            return events
        if self.tick_count < self.next_hazard_tick or not player.in_vehicle:
            return events
        self.next_hazard_tick = self.tick_count + self._hazard_delay()
        if self.hazard_rng.random() < 0.65:
            damage = float(self.hazard_rng.uniform(30.0, 60.0))
            events.append(GameEvent("vehicle_collision", self.tick_count,
                                    {"damage": 0.0 if player.invincible else damage, "cause": "reckless_driver"}))
            if not player.invincible:
                player.health -= damage
                if player.health <= 0:
                    player.health, player.alive, player.respawn_in = 0.0, False, RESPAWN_TICKS
                    player.vehicle.speed_mps = 0.0
                    events.append(GameEvent("player_died", self.tick_count, {"cause": "vehicle_collision"}))
        elif not player.doors_locked:
            player.in_vehicle = False
            heading = player.vehicle.heading
            player.foot_x = player.vehicle.x + 2.0 * math.sin(heading)
            player.foot_y = player.vehicle.y - 2.0 * math.cos(heading)
            events.append(GameEvent("player_pulled_out", self.tick_count, {"cause": "carjacker"}))
        return events

    def _respawn(self) -> None:
        n = self.layout.blocks
        node = (int(self.hazard_rng.integers(0, n)), int(self.hazard_rng.integers(0, n + 1)))
        self.teleport(*self.layout.node(*node) + np.array([self.layout.pitch * 0.3, 0.0]), 0.0)
        self.player.alive, self.player.health = True, 100.0

    def teleport(self, x: float, y: float, heading: float) -> None:
        """Put the player, seated in their car, in the lane nearest to (x, y) facing about `heading`."""
        node, direction, fraction = nearest_lane_start(self.layout, x, y, heading)
        rng = np.random.default_rng([self.seed, 99, self.tick_count])
        vehicle = self.player.vehicle
        vehicle.driver = LaneFollower(self.layout, rng, node, direction, fraction)
        vehicle.speed_mps = 0.0
        vehicle.sync()
        self.player.in_vehicle = True

    def set_clock(self, hours: int, minutes: int) -> None:
        self.clock_s = ((hours % 24) * 3600 + (minutes % 60) * 60) % 86400.0

    def set_weather(self, name: str) -> None:
        if name not in WEATHERS:
            raise ValueError(f"unknown weather {name!r}; expected one of {WEATHERS}")
        self.weather = name
