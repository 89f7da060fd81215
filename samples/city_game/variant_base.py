"""What the `deferred2` and `forward` renderer variants share: draw list, HUD, ground truth and read-backs.

The variants exist so that profile-free identification can be tested on frames
whose answers are known; they draw the same city as the default deferred
renderer, with the conventions of other engines (docs/sample_game.md).
"""

from __future__ import annotations

import dataclasses

import moderngl
import numpy as np

from . import gl_ext as G
from .camera import CameraState
from .gl_ext import GLExt, make_current
from .gpu_scene import Draw, GpuScene, camera_constants
from .hud import Hud
from .shaders import CAMERA_BINDING, OBJECT_BINDING, program, set_uniforms
from .world import World


class VariantRenderer:
    """Subclasses set `world_basis` (game world -> engine world) and `view_forward_sign`, define
    `engine_camera(cam)` and `render_frame(sim, cam, env)`, and create `back_fbo` (the final image, then
    the UI) and `scene_depth_fbo` (the framebuffer holding the scene depth)."""

    world_basis = np.eye(4)
    view_forward_sign = -1.0  # right-handed view: the camera looks down -Z

    def __init__(self, ctx: moderngl.Context, ext: GLExt, world: World, width: int, height: int,
                 hud: bool = True) -> None:
        self.ctx, self.ext, self.size = ctx, ext, (width, height)
        self.scene = GpuScene(ctx, world)
        self.hud = Hud(ctx, width, height) if hud else None
        self.camera_ubo = ctx.buffer(reserve=224)
        self.object_ubo = ctx.buffer(reserve=96)
        self.back = self.texture(G.GL_RGBA8, 4, "f1", "BackBuffer")
        self.gt_prog = program(ctx, "geometry.vert", "ground_truth_variant.frag")
        self.gt_view_z = self.texture(G.GL_R32F, 1, "f4", "GroundTruth.ViewZ")
        self.gt_class = self.texture(G.GL_R8UI, 1, "u1", "GroundTruth.Stencil")
        self.gt_normal = self.texture(G.GL_RGBA32F, 4, "f4", "GroundTruth.Normal")
        self.gt_depth = self.texture(G.GL_DEPTH_COMPONENT32F, 1, "f4", "GroundTruth.Depth")
        self.gt_fbo = self.framebuffer([self.gt_view_z, self.gt_class, self.gt_normal], self.gt_depth,
                                       G.GL_DEPTH_ATTACHMENT)
        self.last_draws: list[Draw] = []
        self.last_camera: CameraState | None = None
        self.keep_pre_hud = False
        self.pre_hud_image: np.ndarray | None = None

    def texture(self, internal_format: int, components: int, dtype: str, label: str) -> moderngl.Texture:
        """A scene-size immutable texture (glTexStorage2D), labelled unless markers are off."""
        name = self.ext.create_texture_storage(internal_format, *self.size, label)
        tex = self.ctx.external_texture(name, self.size, components, 0, dtype)
        tex.filter = (moderngl.NEAREST, moderngl.NEAREST)
        tex.repeat_x = tex.repeat_y = False
        return tex

    def framebuffer(self, colours: list[moderngl.Texture], depth: moderngl.Texture | None = None,
                    attachment: int = G.GL_DEPTH_STENCIL_ATTACHMENT) -> moderngl.Framebuffer:
        fbo = self.ctx.framebuffer(color_attachments=colours)
        if depth is not None:
            fbo.depth_mask = True  # moderngl assumes no depth writes without a depth attachment it made
            fbo.use()
            self.ext.attach_depth(attachment, depth.glo)
        return fbo

    def frame_draws(self, sim, cam: CameraState) -> list[Draw]:
        """The deferred renderer's draw list for this camera, object matrices moved into the engine's world."""
        to_game = self.world_basis.T  # the bases used are permutations: inverse = transpose
        draws = self.scene.draws(sim, cam.view_proj @ self.world_basis, to_game[:3, :3] @ cam.position)
        return [dataclasses.replace(d, world=self.world_basis @ d.world) for d in draws]

    def bind_camera(self, cam: CameraState) -> None:
        self.camera_ubo.write(camera_constants(cam))
        self.camera_ubo.bind_to_uniform_block(CAMERA_BINDING)

    def draw_all(self, prog: moderngl.Program, draws: list[Draw]) -> None:
        self.object_ubo.bind_to_uniform_block(OBJECT_BINDING)
        for d in draws:
            self.object_ubo.write(d.constants())
            d.mesh.vao(prog).render(moderngl.TRIANGLES, vertices=d.mesh.vertex_count)

    def finish_frame(self, sim, draws: list[Draw], cam: CameraState) -> None:
        """UI into the back buffer (depth test off, alpha blending), then glFinish."""
        self.ctx.disable(moderngl.DEPTH_TEST | moderngl.CULL_FACE)
        if self.keep_pre_hud:
            self.pre_hud_image = self._back_buffer_pixels()
        if self.hud is not None:
            self.back_fbo.use()
            self.ext.push_group("UI")
            self.hud.draw(sim)
            self.ext.pop_group()
        self.ext.glFinish()
        self.last_draws, self.last_camera = draws, cam

    def ground_truth_arrays(self) -> dict[str, np.ndarray]:
        """`depth_m` (+inf = sky), `stencil` (class values), `normal_view` (float32 HxWx3, this renderer's view
        space, 0 = sky) of the last frame, from a separate render of its draw list; rows top-down."""
        if self.last_camera is None:
            raise RuntimeError("no frame rendered yet")
        make_current(self.ctx)
        self.bind_camera(self.last_camera)
        self.gt_fbo.use()
        ext = self.ext
        ext.clear_color_float(0, (0.0, 0.0, 0.0, 0.0))
        ext.clear_color_uint(1, 0)
        ext.clear_color_float(2, (0.0, 0.0, 0.0, 0.0))
        ext.glClearBufferfv(G.GL_DEPTH, 0, (G.c_float * 1)(1.0))
        self.ctx.enable(moderngl.DEPTH_TEST | moderngl.CULL_FACE)
        self.ctx.depth_func = "<"
        set_uniforms(self.gt_prog, view_forward_sign=self.view_forward_sign)
        self.draw_all(self.gt_prog, self.last_draws)
        self.ctx.disable(moderngl.DEPTH_TEST | moderngl.CULL_FACE)
        ext.glFinish()
        w, h = self.size
        view_z = np.frombuffer(self.gt_fbo.read(components=1, attachment=0, dtype="f4"), np.float32).reshape(h, w)
        classes = np.frombuffer(self.gt_fbo.read(components=1, attachment=1, dtype="u1"), np.uint8).reshape(h, w)
        normal = np.frombuffer(self.gt_fbo.read(components=3, attachment=2, dtype="f4"), np.float32)
        return {"depth_m": np.where(view_z > 0.0, view_z, np.inf).astype(np.float32)[::-1].copy(),
                "stencil": classes[::-1].copy(), "normal_view": normal.reshape(h, w, 3)[::-1].copy()}

    def read_back_buffer(self) -> np.ndarray:
        """The back buffer as uint8 (H, W, 3), rows top-down."""
        make_current(self.ctx)
        return self._back_buffer_pixels()

    def _back_buffer_pixels(self) -> np.ndarray:
        w, h = self.size
        return np.frombuffer(self.back_fbo.read(components=3), np.uint8).reshape(h, w, 3)[::-1].copy()

    def read_scene_depth(self) -> np.ndarray:
        """The scene depth buffer as float32 window depth (H, W), rows top-down (for tests; not part of a frame)."""
        w, h = self.size
        make_current(self.ctx)
        self.scene_depth_fbo.use()
        return np.frombuffer(self.ext.read_depth(w, h), np.float32).reshape(h, w)[::-1].copy()
