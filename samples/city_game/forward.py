"""`--renderer forward`: the way most shipped games draw, without a G-buffer.

Opaque (every object lit, fogged and tone-mapped straight into the RGBA8 back buffer, D24S8 depth)
-> Sky (a full-screen triangle on the far plane, GL_LEQUAL, so only where nothing was drawn)
-> UI (into the back buffer) -> glFinish. Right-handed Z-up world and view (the camera looks down -Z),
conventional perspective in GL's default -1..1 clip range: depth 0 at the near plane, 1 at the far
plane, cleared to 1, GL_LESS. The stencil is cleared and never used. No shadow map, no rain particles.

| target      | format           | written by          |
|-------------|------------------|---------------------|
| BackBuffer  | RGBA8            | Opaque, Sky, UI     |
| SceneDepth  | DEPTH24_STENCIL8 | Opaque (Sky tests)  |
"""

from __future__ import annotations

import moderngl
import numpy as np

from . import gl_ext as G
from .camera import CameraState, conventional
from .environment import Environment
from .gl_ext import GLExt, make_current
from .screen_passes import gl_matrix
from .shaders import program, set_uniforms
from .variant_base import VariantRenderer
from .world import World


class ForwardRenderer(VariantRenderer):
    def __init__(self, ctx: moderngl.Context, ext: GLExt, world: World, width: int, height: int,
                 hud: bool = True) -> None:
        super().__init__(ctx, ext, world, width, height, hud)
        self.depth_stencil = self.texture(G.GL_DEPTH24_STENCIL8, 1, "f4", "SceneDepth")
        self.back_fbo = self.framebuffer([self.back], self.depth_stencil)
        self.scene_depth_fbo = self.back_fbo
        self.forward_prog = program(ctx, "geometry.vert", "forward.frag")
        self.sky_prog = program(ctx, "fullscreen_far.vert", "sky_forward.frag")
        self.sky_vao = ctx.vertex_array(self.sky_prog, [])

    def engine_camera(self, cam: CameraState) -> CameraState:
        return conventional(cam)

    def render_frame(self, sim, cam: CameraState, env: Environment) -> None:
        """Issue every GL command of one frame; returns after glFinish."""
        make_current(self.ctx)
        ext, ctx = self.ext, self.ctx
        draws = self.frame_draws(sim, cam)
        self.bind_camera(cam)
        light = dict(sun_dir=tuple(env.sun_dir), sun_color=tuple(env.sun_color), fog_color=tuple(env.fog_color),
                     fog_density=env.fog_density, exposure=env.exposure)
        ext.push_group("Opaque")
        self.back_fbo.use()
        ext.clear_color_float(0, (0.0, 0.0, 0.0, 1.0))
        ext.glStencilMask(0xFF)
        ext.glClearBufferfi(G.GL_DEPTH_STENCIL, 0, 1.0, 0)
        ctx.enable(moderngl.DEPTH_TEST | moderngl.CULL_FACE)
        ctx.depth_func = "<"
        set_uniforms(self.forward_prog, ambient=tuple(env.ambient), **light)
        self.draw_all(self.forward_prog, draws)
        ctx.disable(moderngl.CULL_FACE)
        ext.pop_group()

        ext.push_group("Sky")
        ctx.depth_func = "<="
        set_uniforms(self.sky_prog, inv_view_proj=gl_matrix(np.linalg.inv(cam.view_proj)),
                     sky_zenith=tuple(env.sky_zenith), sky_horizon=tuple(env.sky_horizon), night=env.night, **light)
        self.sky_vao.render(moderngl.TRIANGLES, vertices=3)
        ext.pop_group()
        self.finish_frame(sim, draws, cam)
