"""The mod API, modelled on ScriptHookV: mod scripts are Python files calling "natives".

A mod may define any of these hooks; the game calls the ones it finds:

- ``on_start(natives)`` once, after the world exists and before the first tick;
- ``on_tick(natives, dt)`` every tick (dt = 1/30 s of game time), before rendering;
- ``on_event(natives, event)`` for each `GameEvent` the tick raised (before ``on_tick``);
- ``before_frame(natives)`` immediately before the frame's first GL command;
- ``after_frame(natives)`` immediately after its last (HUD included, glFinish done),

so a mod can bracket exactly one frame with RenderDoc's StartFrameCapture /
EndFrameCapture.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from .sim import WEATHERS, GameEvent

if TYPE_CHECKING:
    from .game import Game

GAME_NAME = "city_game"
GAME_BUILD = "1.0.0"
HOOKS = ("on_start", "on_tick", "on_event", "before_frame", "after_frame")


class Natives:
    """What a mod may do to the game. Every method is safe to call from any hook."""

    def __init__(self, game: "Game") -> None:
        self._game = game

    # world state
    def set_clock(self, hours: int, minutes: int = 0) -> None:
        self._game.sim.set_clock(hours, minutes)

    def get_clock(self) -> tuple[int, int]:
        """(hours, minutes) of game time."""
        seconds = int(self._game.sim.clock_s)
        return seconds // 3600, (seconds % 3600) // 60

    def set_weather(self, name: str) -> None:
        """One of "clear", "overcast", "fog", "rain"; takes effect on the next rendered frame."""
        self._game.sim.set_weather(name)

    def get_weather(self) -> str:
        return self._game.sim.weather

    def weathers(self) -> tuple[str, ...]:
        return WEATHERS

    def set_traffic_density(self, density: float) -> None:
        """0..1: fraction of the car pool that drives."""
        self._game.sim.traffic_density = float(density)

    def set_pedestrian_density(self, density: float) -> None:
        """0..1: fraction of the pedestrian pool that walks."""
        self._game.sim.pedestrian_density = float(density)

    def pause(self, paused: bool) -> None:
        """Freeze the simulation (frames are still rendered, `frame_number` still counts)."""
        self._game.sim.paused = bool(paused)

    # player
    def set_autopilot(self, enabled: bool, speed: float = 11.0) -> None:
        """Let the player's car drive itself along the lanes at `speed` m/s."""
        player = self._game.sim.player
        player.autopilot, player.autopilot_mps = bool(enabled), float(speed)

    def set_player_invincible(self, enabled: bool) -> None:
        self._game.sim.player.invincible = bool(enabled)

    def set_vehicle_doors_locked(self, locked: bool) -> None:
        self._game.sim.player.doors_locked = bool(locked)

    def teleport(self, x: float, y: float, heading: float = 0.0) -> None:
        """Seat the player in their car in the lane nearest (x, y) metres, facing about `heading` radians."""
        self._game.sim.teleport(float(x), float(y), float(heading))

    def get_player_pose(self) -> dict:
        """{"position": (x, y, z) metres, "heading": radians from +X, "in_vehicle", "alive", "health"}."""
        player = self._game.sim.player
        if player.in_vehicle:
            position, heading = (player.vehicle.x, player.vehicle.y, 0.0), player.vehicle.heading
        else:
            position, heading = (player.foot_x, player.foot_y, 0.15), player.vehicle.heading + math.pi / 2
        return {"position": position, "heading": heading, "in_vehicle": player.in_vehicle,
                "alive": player.alive, "health": player.health}

    # game
    def frame_number(self) -> int:
        """Index of the frame being (or about to be) rendered, from 0."""
        return self._game.frame

    def game_name(self) -> str:
        return GAME_NAME

    def game_build(self) -> str:
        return GAME_BUILD

    def seed(self) -> int:
        return self._game.sim.seed

    def camera(self) -> dict:
        """The camera of the frame about to be / just rendered: matrices as nested lists (column-vector convention)."""
        cam = self._game.camera()
        return {"view": cam.view.tolist(), "proj": cam.proj.tolist(), "near": cam.near, "far": cam.far,
                "fov": cam.fov_y_deg, "width": cam.width, "height": cam.height}

    def write_ground_truth(self, path_prefix: str) -> None:
        """Write `<path_prefix>.gt.npz` for this tick's frame, rendered separately after `after_frame`."""
        self._game.request_ground_truth(str(path_prefix))

    def quit(self) -> None:
        """Stop after the current frame."""
        self._game.quit_requested = True


class ModHost:
    """Loads mod files and calls their hooks in load order."""

    def __init__(self, paths: list[Path]) -> None:
        self.mods: list[ModuleType] = [self._load(p, k) for k, p in enumerate(paths)]

    @staticmethod
    def _load(path: Path, index: int) -> ModuleType:
        spec = importlib.util.spec_from_file_location(f"city_game_mod_{index}_{path.stem}", path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load mod {path}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    def call(self, hook: str, *args) -> None:
        for mod in self.mods:
            fn = getattr(mod, hook, None)
            if fn is not None:
                fn(*args)

    def events(self, natives: Natives, events: list[GameEvent]) -> None:
        for event in events:
            self.call("on_event", natives, event)


def discover_mods(files: list[str], mods_dir: str | None) -> list[Path]:
    """Mods named on the command line, then every *.py in `mods_dir` (sorted); nothing by default."""
    paths = [Path(f) for f in files]
    if mods_dir:
        paths += sorted(p for p in Path(mods_dir).glob("*.py") if not p.name.startswith("_"))
    for p in paths:
        if not p.is_file():
            raise FileNotFoundError(f"mod script not found: {p}")
    return paths
