"""The game loop: fixed-step simulation, mod hooks, rendering, optional outputs."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import moderngl
import numpy as np

from .camera import CameraState, chase_camera
from .environment import environment_at
from .gl_ext import GLExt, make_current
from .mods import ModHost, Natives
from .deferred2 import Deferred2Renderer
from .forward import ForwardRenderer
from .renderer import Renderer
from .sim import TICK_S, Simulation
from .world import generate_world

RENDERERS = {"deferred": Renderer, "deferred2": Deferred2Renderer, "forward": ForwardRenderer}


@dataclass
class GameConfig:
    width: int = 640
    height: int = 360
    seed: int = 1
    frames: int = 300
    mods: list[Path] = field(default_factory=list)
    markers: bool = True
    hud: bool = True
    screenshot: Path | None = None
    ground_truth_dir: Path | None = None
    weather: str | None = None
    clock: tuple[int, int] | None = None
    renderer: str = "deferred"


def create_context() -> moderngl.Context:
    """A headless OpenGL 4.5 core context through EGL (surfaceless unless the caller chose a platform)."""
    os.environ.setdefault("EGL_PLATFORM", "surfaceless")
    return moderngl.create_standalone_context(backend="egl", require=450)


def write_ground_truth_file(path_prefix: str, arrays: dict[str, np.ndarray], cam: CameraState) -> Path:
    """Write `<prefix>.gt.npz` atomically (temp file, then rename): `arrays` (depth_m, stencil, and for the
    renderer variants normal_view), then the camera."""
    path = Path(f"{path_prefix}.gt.npz")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(tmp, **arrays, view=cam.view.astype(np.float64), proj=cam.proj.astype(np.float64),
                        near=np.float64(cam.near), far=np.float64(cam.far))
    os.replace(tmp, path)
    return path


class Game:
    def __init__(self, config: GameConfig, ctx: moderngl.Context | None = None) -> None:
        self.config = config
        self.ctx = ctx or create_context()
        make_current(self.ctx)
        self.ext = GLExt(markers=config.markers)
        world = generate_world(config.seed)
        self.sim = Simulation(config.seed, world.layout)
        if config.weather:
            self.sim.set_weather(config.weather)
        if config.clock:
            self.sim.set_clock(*config.clock)
        self.renderer = RENDERERS[config.renderer](self.ctx, self.ext, world, config.width, config.height,
                                                   hud=config.hud)
        self.natives = Natives(self)
        self.mods = ModHost(config.mods)
        self.frame = 0
        self.quit_requested = False
        self._gt_requests: list[str] = []

    def camera(self) -> CameraState:
        """Chase camera behind the player's car (or behind the player on foot), in the renderer's conventions."""
        player, cfg = self.sim.player, self.config
        if player.in_vehicle or not player.alive:
            pos, heading = np.array([player.vehicle.x, player.vehicle.y, 0.0]), player.vehicle.heading
        else:
            pos = np.array([player.foot_x, player.foot_y, 0.0])
            heading = math.atan2(pos[1] - player.vehicle.y, pos[0] - player.vehicle.x)
        return self.renderer.engine_camera(chase_camera(pos, heading, cfg.width, cfg.height))

    def request_ground_truth(self, path_prefix: str) -> None:
        self._gt_requests.append(path_prefix)

    def step(self) -> None:
        """One tick and one frame: simulate, run mod hooks, render, then the out-of-frame extras."""
        events = self.sim.tick()
        self.mods.events(self.natives, events)
        self.mods.call("on_tick", self.natives, TICK_S)
        cam = self.camera()
        env = environment_at(self.sim.clock_s, self.sim.weather)
        self.mods.call("before_frame", self.natives)
        self.renderer.render_frame(self.sim, cam, env)
        self.mods.call("after_frame", self.natives)
        if self.config.ground_truth_dir is not None:
            self._gt_requests.append(str(self.config.ground_truth_dir / f"frame_{self.frame:06d}"))
        if self._gt_requests:
            arrays = self.renderer.ground_truth_arrays()
            for prefix in self._gt_requests:
                write_ground_truth_file(prefix, arrays, cam)
            self._gt_requests.clear()
        self.frame += 1

    def run(self, present: Callable[[np.ndarray], bool] | None = None) -> float:
        """Play `config.frames` frames (or until a mod or `present` quits); returns the measured frames per second.

        `present` gets each finished frame's back buffer (as `Renderer.read_back_buffer` returns it), read
        after `step` so the readback is outside the frame a capture mod brackets; it returns False to quit.
        """
        self.mods.call("on_start", self.natives)
        start = time.perf_counter()
        while self.frame < self.config.frames and not self.quit_requested:
            self.step()
            if present is not None and not present(self.renderer.read_back_buffer()):
                self.quit_requested = True
        elapsed = time.perf_counter() - start
        if self.config.screenshot is not None:
            self.save_screenshot(self.config.screenshot)
        return self.frame / elapsed if elapsed > 0 else float("inf")

    def save_screenshot(self, path: Path) -> None:
        from PIL import Image

        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(self.renderer.read_back_buffer()).save(path)
