"""Full-screen and forward passes after the G-buffer: Lighting, Sky, Particles (rain), PostFX.

Lighting reads the four G-buffer targets and the depth-stencil texture and
writes HDR radiance; Sky fills the pixels no geometry covered; rain streaks are
forward-rendered into the HDR target (they never touch the G-buffer); PostFX
tone-maps into the RGBA8 back buffer.
"""

from __future__ import annotations

import moderngl
import numpy as np

from . import gl_ext as G
from .camera import CameraState
from .environment import Environment
from .shaders import CAMERA_BINDING, program, set_uniforms
from .targets import RenderTargets

RAIN_STREAKS = 3000
LAMP_SLOTS = 16
LAMP_RADIUS_M = 11.0


def gl_matrix(m: np.ndarray) -> tuple[float, ...]:
    """A float64 column-vector matrix as the column-major tuple GLSL expects."""
    return tuple(np.asarray(m, dtype=np.float32).T.ravel())


class ScreenPasses:
    def __init__(self, ctx: moderngl.Context, ext: G.GLExt, targets: RenderTargets) -> None:
        self.ctx, self.ext, self.targets = ctx, ext, targets
        self.lighting_day = program(ctx, "fullscreen.vert", "lighting.frag")
        self.lighting_night = program(ctx, "fullscreen.vert", "lighting.frag", ("STREET_LAMPS",))
        self.sky_prog = program(ctx, "fullscreen.vert", "sky.frag")
        self.particle_prog = program(ctx, "particles.vert", "particles.frag")
        self.post_prog = program(ctx, "fullscreen.vert", "post.frag")
        self._vaos = {p.glo: ctx.vertex_array(p, []) for p in
                      (self.lighting_day, self.lighting_night, self.sky_prog, self.particle_prog, self.post_prog)}

    def _env_uniforms(self, prog: moderngl.Program, env: Environment, cam: CameraState) -> None:
        set_uniforms(prog, inv_view_proj=gl_matrix(np.linalg.inv(cam.view_proj)), sun_dir=tuple(env.sun_dir),
                     sun_color=tuple(env.sun_color), sky_zenith=tuple(env.sky_zenith),
                     sky_horizon=tuple(env.sky_horizon), fog_color=tuple(env.fog_color),
                     fog_density=env.fog_density, night=env.night)

    def lighting(self, env: Environment, cam: CameraState, shadow_matrix: np.ndarray, lamps: np.ndarray,
                 camera_ubo: moderngl.Buffer) -> None:
        """Deferred sun, shadow, ambient, wet-road and (at night, a separate shader permutation) street-lamp light."""
        lamps_on = env.night > 0.05
        t, prog = self.targets, (self.lighting_night if lamps_on else self.lighting_day)
        camera_ubo.bind_to_uniform_block(CAMERA_BINDING)
        t.hdr_fbo.use()
        self.ext.stencil_only_where(G.GL_NOTEQUAL)
        for unit, tex in enumerate((t.albedo, t.normal, t.material, t.emissive, t.depth_stencil, t.shadow_map)):
            tex.use(unit)
        set_uniforms(prog, g_albedo=0, g_normal=1, g_material=2, g_emissive=3, g_depth=4, shadow_map=5)
        self._env_uniforms(prog, env, cam)
        nearest = lamps[np.argsort(np.linalg.norm(lamps[:, :2] - cam.position[:2], axis=1))[:LAMP_SLOTS]]
        slots = np.zeros((LAMP_SLOTS, 4), dtype=np.float32)
        slots[:len(nearest), :3] = nearest
        slots[:, 3] = LAMP_RADIUS_M
        if "lamps" in prog:
            prog["lamps"].write(slots.tobytes())
        set_uniforms(prog, lamp_count=len(nearest), shadow_matrix=gl_matrix(shadow_matrix),
                     ambient=tuple(env.ambient), ground_ambient=tuple(env.ambient * np.array([0.5, 0.45, 0.4])),
                     wetness=env.wetness, shadow_strength=env.shadow_strength)
        self._vaos[prog.glo].render(moderngl.TRIANGLES, vertices=3)
        self.ext.glDisable(G.GL_STENCIL_TEST)

    def sky(self, env: Environment, cam: CameraState) -> None:
        """Only where the G-buffer pass drew nothing (stencil 0)."""
        self.ext.stencil_only_where(G.GL_EQUAL)
        self._env_uniforms(self.sky_prog, env, cam)
        self._vaos[self.sky_prog.glo].render(moderngl.TRIANGLES, vertices=3)
        self.ext.glDisable(G.GL_STENCIL_TEST)

    def particles(self, env: Environment, time_s: float) -> None:
        """Rain streaks, alpha-blended over the lit scene, depth-tested (not written) against the G-buffer depth."""
        color = tuple(np.clip(env.sky_horizon * 1.4 + 0.05, 0.0, 4.0))
        set_uniforms(self.particle_prog, time_s=time_s, rain_color=color)
        self.ctx.enable(moderngl.BLEND | moderngl.DEPTH_TEST)
        self.ctx.depth_func = ">"
        self.ctx.blend_func = moderngl.SRC_ALPHA, moderngl.ONE_MINUS_SRC_ALPHA
        self._vaos[self.particle_prog.glo].render(moderngl.TRIANGLES, vertices=6, instances=RAIN_STREAKS)
        self.ctx.disable(moderngl.BLEND | moderngl.DEPTH_TEST)

    def post(self, env: Environment) -> None:
        t = self.targets
        t.back_fbo.use()
        t.hdr.use(0)
        set_uniforms(self.post_prog, hdr=0, exposure=env.exposure)
        self._vaos[self.post_prog.glo].render(moderngl.TRIANGLES, vertices=3)
