"""One frame, in the order a deferred engine issues it.

ShadowPass -> GBufferPass -> Lighting -> Sky -> Particles (rain only) -> PostFX -> HUD -> glFinish.
Debug groups name the passes unless markers are off, in which case the
capture is a flat list of draws, as with most shipped games.
"""

from __future__ import annotations

import moderngl
import numpy as np

from . import classes as C
from . import gl_ext as G
from .camera import CameraState
from .environment import Environment
from .geometry_passes import GeometryPasses, shadow_centre, sun_camera
from .gl_ext import GLExt, make_current
from .gpu_scene import Draw, GpuScene
from .hud import Hud
from .screen_passes import ScreenPasses
from .sim import TICK_S, Simulation
from .targets import RenderTargets
from .world import World

SHADOW_CLASSES = frozenset({C.BUILDING, C.VEGETATION})


class Renderer:
    def __init__(self, ctx: moderngl.Context, ext: GLExt, world: World, width: int, height: int,
                 hud: bool = True) -> None:
        self.ctx, self.ext = ctx, ext
        self.targets = RenderTargets(ctx, ext, width, height)
        self.scene = GpuScene(ctx, world)
        self.geometry = GeometryPasses(ctx, ext, self.targets)
        self.screen = ScreenPasses(ctx, ext, self.targets)
        self.hud = Hud(ctx, width, height) if hud else None
        self.lamps = world.lamp_positions
        self.last_draws: list[Draw] = []
        self.last_camera: CameraState | None = None
        self.keep_pre_hud = False
        self.pre_hud_image: np.ndarray | None = None

    def render_frame(self, sim: Simulation, cam: CameraState, env: Environment) -> None:
        """Issue every GL command of one frame; returns after glFinish."""
        make_current(self.ctx)
        ext = self.ext
        ext.glClipControl(G.GL_LOWER_LEFT, G.GL_ZERO_TO_ONE)
        ext.push_group("ShadowPass")
        light_view, light_proj = sun_camera(shadow_centre(cam), env.sun_dir)
        shadow_draws = self.scene.draws(sim, light_proj @ light_view, cam.position, SHADOW_CLASSES)
        self.geometry.shadow(shadow_draws, light_view, light_proj)
        ext.pop_group()
        ext.push_group("GBufferPass")
        draws = self.scene.draws(sim, cam.view_proj, cam.position)
        self.geometry.gbuffer(draws, cam)
        ext.pop_group()
        ext.push_group("Lighting")
        self.screen.lighting(env, cam, self.geometry.shadow_matrix, self.lamps, self.geometry.camera_ubo)
        ext.pop_group()
        ext.push_group("Sky")
        self.screen.sky(env, cam)
        ext.pop_group()
        if env.rain:
            ext.push_group("Particles")
            self.screen.particles(env, sim.tick_count * TICK_S)
            ext.pop_group()
        ext.push_group("PostFX")
        self.screen.post(env)
        ext.pop_group()
        if self.keep_pre_hud:
            self.pre_hud_image = self._back_buffer_pixels()
        if self.hud is not None:
            ext.push_group("HUD")
            self.hud.draw(sim)
            ext.pop_group()
        ext.glFinish()
        self.last_draws, self.last_camera = draws, cam

    def engine_camera(self, cam: CameraState) -> CameraState:
        """The matrices the shaders use: the game's own camera (right-handed, reversed Z)."""
        return cam

    def ground_truth_arrays(self) -> dict[str, np.ndarray]:
        """The `depth_m`, `stencil` and `instance` of `ground_truth`, as the ground-truth file stores them, with
        the instance table: `instance_ids` (uint32, every object id in view, ascending) and `instance_stencil`
        (uint8, the stencil value each of them writes, its class)."""
        depth_m, stencil, instance = self.ground_truth()
        ids, first = np.unique(instance, return_index=True)
        seen = ids != 0
        return {"depth_m": depth_m, "stencil": stencil, "instance": instance, "instance_ids": ids[seen],
                "instance_stencil": stencil.ravel()[first[seen]]}

    def ground_truth(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(depth_m, stencil, instance) of the last rendered frame from a separate render; see
        GeometryPasses.ground_truth."""
        if self.last_camera is None:
            raise RuntimeError("no frame rendered yet")
        make_current(self.ctx)
        result = self.geometry.ground_truth(self.last_draws, self.last_camera)
        self.ext.glFinish()
        return result

    def read_back_buffer(self) -> np.ndarray:
        """The back buffer as uint8 (H, W, 3), rows top-down."""
        make_current(self.ctx)
        return self._back_buffer_pixels()

    def _back_buffer_pixels(self) -> np.ndarray:
        w, h = self.targets.size
        data = self.targets.back_fbo.read(components=3)
        return np.frombuffer(data, np.uint8).reshape(h, w, 3)[::-1].copy()

    def read_gbuffer_depth(self) -> np.ndarray:
        """The G-buffer's reversed-Z depth as float32 (H, W), rows top-down (for tests; not part of a frame)."""
        w, h = self.targets.size
        make_current(self.ctx)
        self.targets.gbuffer_fbo.use()
        raw = self.ext.read_depth(w, h)
        return np.frombuffer(raw, np.float32).reshape(h, w)[::-1].copy()

    def read_gbuffer_stencil(self) -> np.ndarray:
        """The G-buffer's stencil as uint8 (H, W), rows top-down (for tests; not part of a frame)."""
        w, h = self.targets.size
        make_current(self.ctx)
        self.targets.gbuffer_fbo.use()
        raw = self.ext.read_stencil(w, h)
        return np.frombuffer(raw, np.uint8).reshape(h, w)[::-1].copy()
