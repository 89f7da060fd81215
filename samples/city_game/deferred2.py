"""`--renderer deferred2`: a two-target G-buffer deferred renderer with the conventions of a Direct3D-era engine.

GBuffer -> Lighting -> Tonemap (into an off-screen RGBA8 image) -> Present (glBlitFramebuffer to the
back buffer) -> UI (into the back buffer) -> glFinish. Left-handed Y-up world and view (LookAtLH,
PerspectiveFovLH with w = +z) in GL's default -1..1 clip range, so depth is conventional: 0 at the
near plane, 1 at the far plane, cleared to 1, GL_LESS. D24S8 with the stencil cleared and never used.
No shadow map, no rain particles.

| target                    | format             | written by              |
|---------------------------|--------------------|-------------------------|
| GBuffer.AlbedoRoughness   | RGBA8              | GBuffer RT0             |
| GBuffer.NormalSpheremap   | RG16F              | GBuffer RT1             |
| SceneDepth                | DEPTH24_STENCIL8   | GBuffer                 |
| SceneHDR                  | RGBA16F            | Lighting (sky included) |
| FinalImage                | RGBA8              | Tonemap                 |
| BackBuffer                | RGBA8              | Present (blit), UI      |
"""

from __future__ import annotations

import moderngl
import numpy as np

from . import gl_ext as G
from .camera import RH_Z_UP_TO_LH_Y_UP, CameraState, left_handed
from .environment import Environment
from .gl_ext import GLExt, make_current
from .screen_passes import gl_matrix
from .shaders import program, set_uniforms
from .variant_base import VariantRenderer
from .world import World


class Deferred2Renderer(VariantRenderer):
    world_basis = RH_Z_UP_TO_LH_Y_UP
    view_forward_sign = 1.0

    def __init__(self, ctx: moderngl.Context, ext: GLExt, world: World, width: int, height: int,
                 hud: bool = True) -> None:
        super().__init__(ctx, ext, world, width, height, hud)
        self.albedo = self.texture(G.GL_RGBA8, 4, "f1", "GBuffer.AlbedoRoughness")
        self.normal = self.texture(G.GL_RG16F, 2, "f2", "GBuffer.NormalSpheremap")
        self.depth_stencil = self.texture(G.GL_DEPTH24_STENCIL8, 1, "f4", "SceneDepth")
        self.gbuffer_fbo = self.framebuffer([self.albedo, self.normal], self.depth_stencil)
        self.hdr = self.texture(G.GL_RGBA16F, 4, "f2", "SceneHDR")
        self.hdr_fbo = self.framebuffer([self.hdr])
        self.final = self.texture(G.GL_RGBA8, 4, "f1", "FinalImage")
        self.final_fbo = self.framebuffer([self.final])
        self.back_fbo = self.framebuffer([self.back])
        self.scene_depth_fbo = self.gbuffer_fbo
        self.gbuffer_prog = program(ctx, "geometry.vert", "gbuffer2.frag")
        self.lighting_prog = program(ctx, "fullscreen.vert", "lighting2.frag")
        self.tonemap_prog = program(ctx, "fullscreen.vert", "post.frag")
        self._vaos = {p.glo: ctx.vertex_array(p, []) for p in (self.lighting_prog, self.tonemap_prog)}

    def engine_camera(self, cam: CameraState) -> CameraState:
        return left_handed(cam)

    def render_frame(self, sim, cam: CameraState, env: Environment) -> None:
        """Issue every GL command of one frame; returns after glFinish."""
        make_current(self.ctx)
        ext, ctx = self.ext, self.ctx
        draws = self.frame_draws(sim, cam)
        self.bind_camera(cam)
        ext.push_group("GBuffer")
        self.gbuffer_fbo.use()
        for k in range(2):
            ext.clear_color_float(k, (0.0, 0.0, 0.0, 0.0))
        ext.glStencilMask(0xFF)
        ext.glClearBufferfi(G.GL_DEPTH_STENCIL, 0, 1.0, 0)
        ctx.enable(moderngl.DEPTH_TEST | moderngl.CULL_FACE)
        ctx.depth_func = "<"
        self.draw_all(self.gbuffer_prog, draws)
        ctx.disable(moderngl.DEPTH_TEST | moderngl.CULL_FACE)
        ext.pop_group()

        ext.push_group("Lighting")
        self.hdr_fbo.use()
        for unit, tex in enumerate((self.albedo, self.normal, self.depth_stencil)):
            tex.use(unit)
        basis = self.world_basis[:3, :3]
        set_uniforms(self.lighting_prog, g_albedo=0, g_normal=1, g_depth=2,
                     inv_view_proj=gl_matrix(np.linalg.inv(cam.view_proj)), sun_dir=tuple(basis @ env.sun_dir),
                     sun_color=tuple(env.sun_color), ambient=tuple(env.ambient), sky_zenith=tuple(env.sky_zenith),
                     sky_horizon=tuple(env.sky_horizon), fog_color=tuple(env.fog_color),
                     fog_density=env.fog_density, night=env.night)
        self._vaos[self.lighting_prog.glo].render(moderngl.TRIANGLES, vertices=3)
        ext.pop_group()

        ext.push_group("Tonemap")
        self.final_fbo.use()
        self.hdr.use(0)
        set_uniforms(self.tonemap_prog, hdr=0, exposure=env.exposure)
        self._vaos[self.tonemap_prog.glo].render(moderngl.TRIANGLES, vertices=3)
        ext.pop_group()

        ext.push_group("Present")
        ctx.copy_framebuffer(self.back_fbo, self.final_fbo)
        ext.pop_group()
        self.finish_frame(sim, draws, cam)
