"""The passes that rasterise scene geometry: shadow map, G-buffer, and the ground-truth render.

The G-buffer pass is the one the extraction pipeline must find: one draw per
object or static batch, four colour targets plus reversed-Z DEPTH32F_STENCIL8,
and a stencil reference per draw carrying the object's class.
"""

from __future__ import annotations

import math

import moderngl
import numpy as np

from . import gl_ext as G
from .camera import CameraState, look_at, orthographic_reversed
from .gl_ext import GLExt
from .gpu_scene import Draw, camera_constants
from .shaders import CAMERA_BINDING, OBJECT_BINDING, program
from .targets import RenderTargets

SHADOW_HALF_SIZE_M = 70.0
SHADOW_DEPTH_RANGE_M = 500.0


def sun_camera(centre: np.ndarray, sun_dir: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """View and orthographic reversed-Z projection of the shadow map, centred on the player (float64 4x4)."""
    eye = centre + sun_dir * (SHADOW_DEPTH_RANGE_M / 2)
    up = np.array([0.0, 1.0, 0.0]) if abs(sun_dir[2]) > 0.99 else np.array([0.0, 0.0, 1.0])
    view = look_at(eye, centre, up)
    return view, orthographic_reversed(SHADOW_HALF_SIZE_M, SHADOW_DEPTH_RANGE_M)


class GeometryPasses:
    def __init__(self, ctx: moderngl.Context, ext: GLExt, targets: RenderTargets) -> None:
        self.ctx, self.ext, self.targets = ctx, ext, targets
        self.shadow_prog = program(ctx, "shadow.vert", "shadow.frag")
        self.gbuffer_prog = program(ctx, "geometry.vert", "gbuffer.frag")
        self.gt_prog = program(ctx, "geometry.vert", "ground_truth.frag")
        self.camera_ubo = ctx.buffer(reserve=224)
        self.shadow_camera_ubo = ctx.buffer(reserve=224)
        self.object_ubo = ctx.buffer(reserve=96)
        self.shadow_matrix = np.eye(4)

    def _draw_all(self, prog: moderngl.Program, draws: list[Draw], stencil: bool) -> None:
        self.object_ubo.bind_to_uniform_block(OBJECT_BINDING)
        for d in draws:
            self.object_ubo.write(d.constants())
            if stencil:
                self.ext.stencil_write(d.stencil)
            d.mesh.vao(prog).render(moderngl.TRIANGLES, vertices=d.mesh.vertex_count)

    def shadow(self, draws: list[Draw], view: np.ndarray, proj: np.ndarray) -> None:
        """Depth-only draws from the sun; clear to 0 and keep the nearest (greatest) depth."""
        self.shadow_matrix = proj @ view
        cam = CameraState(view, proj, np.zeros(3), 0.0, 1, 1)
        self.shadow_camera_ubo.write(camera_constants(cam))
        self.shadow_camera_ubo.bind_to_uniform_block(CAMERA_BINDING)
        self.targets.shadow_fbo.use()
        self.targets.shadow_fbo.clear(depth=0.0)
        self.ctx.enable(moderngl.DEPTH_TEST | moderngl.CULL_FACE)
        self.ctx.depth_func = ">"
        self._draw_all(self.shadow_prog, draws, stencil=False)
        self.ctx.disable(moderngl.CULL_FACE)

    def gbuffer(self, draws: list[Draw], cam: CameraState) -> None:
        """Clear, then draw every visible object, writing its class into the stencil."""
        t, ext = self.targets, self.ext
        self.camera_ubo.write(camera_constants(cam))
        self.camera_ubo.bind_to_uniform_block(CAMERA_BINDING)
        t.gbuffer_fbo.use()
        for k in range(4):
            ext.clear_color_float(k, (0.0, 0.0, 0.0, 0.0))
        ext.glStencilMask(0xFF)
        ext.glClearBufferfi(G.GL_DEPTH_STENCIL, 0, 0.0, 0)
        self.ctx.enable(moderngl.DEPTH_TEST | moderngl.CULL_FACE)
        self.ctx.depth_func = ">"
        ext.glEnable(G.GL_STENCIL_TEST)
        ext.glStencilOp(G.GL_KEEP, G.GL_KEEP, G.GL_REPLACE)
        self._draw_all(self.gbuffer_prog, draws, stencil=True)
        ext.glDisable(G.GL_STENCIL_TEST)
        self.ctx.disable(moderngl.DEPTH_TEST | moderngl.CULL_FACE)

    def ground_truth(self, draws: list[Draw], cam: CameraState) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Render view-space distance (R32F), stencil value (R8UI) and object id (R32UI) with the G-buffer's
        vertex shader, drawing each object of a static batch on its own (same triangles, same order).

        Returns (depth_m float32 HxW with +inf where nothing was drawn, stencil uint8 HxW, instance uint32 HxW
        with 0 where nothing was drawn), rows top-down.
        """
        t, ext = self.targets, self.ext
        self.camera_ubo.write(camera_constants(cam))
        self.camera_ubo.bind_to_uniform_block(CAMERA_BINDING)
        t.gt_fbo.use()
        ext.clear_color_float(0, (0.0, 0.0, 0.0, 0.0))
        ext.clear_color_uint(1, 0)
        ext.clear_color_uint(2, 0)
        ext.glClearBufferfv(G.GL_DEPTH, 0, (G.c_float * 1)(0.0))
        self.ctx.enable(moderngl.DEPTH_TEST | moderngl.CULL_FACE)
        self.ctx.depth_func = ">"
        self.object_ubo.bind_to_uniform_block(OBJECT_BINDING)
        for d in draws:
            vao = d.mesh.vao(self.gt_prog)
            for first, count, object_id in d.pieces():
                self.object_ubo.write(d.constants(object_id))
                vao.render(moderngl.TRIANGLES, vertices=count, first=first)
        self.ctx.disable(moderngl.DEPTH_TEST | moderngl.CULL_FACE)
        w, h = t.size
        view_z = np.frombuffer(t.gt_fbo.read(components=1, attachment=0, dtype="f4"), np.float32).reshape(h, w)
        stencil = np.frombuffer(t.gt_fbo.read(components=1, attachment=1, dtype="u1"), np.uint8).reshape(h, w)
        instance = np.frombuffer(t.gt_fbo.read(components=1, attachment=2, dtype="u4"), np.uint32).reshape(h, w)
        depth_m = np.where(view_z > 0.0, view_z, np.inf).astype(np.float32)
        return depth_m[::-1].copy(), stencil[::-1].copy(), instance[::-1].copy()


def shadow_centre(cam: CameraState) -> np.ndarray:
    """A point ahead of the camera so the shadow map covers what is on screen, not what is behind."""
    forward = -cam.view[2, :3]
    flat = np.array([forward[0], forward[1], 0.0])
    norm = math.hypot(flat[0], flat[1]) or 1.0
    centre = cam.position + flat / norm * (SHADOW_HALF_SIZE_M * 0.6)
    centre[2] = 0.0
    return centre
