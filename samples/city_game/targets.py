"""Render targets, allocated once per resolution with glTexStorage2D like a real engine.

| target            | format               | written by        |
|-------------------|----------------------|-------------------|
| ShadowMap         | DEPTH24 (moderngl)   | ShadowPass        |
| GBuffer.Albedo    | SRGB8_ALPHA8         | GBufferPass RT0   |
| GBuffer.Normal    | RGB10_A2             | GBufferPass RT1   |
| GBuffer.Material  | RGBA8                | GBufferPass RT2   |
| GBuffer.Emissive  | RGBA16F              | GBufferPass RT3   |
| GBuffer.DepthStencil | DEPTH32F_STENCIL8 | GBufferPass       |
| HDR               | RGBA16F (+ the G-buffer depth-stencil, read-only) | Lighting, Sky, Particles |
| BackBuffer        | RGBA8                | PostFX, HUD       |
| GroundTruth.*     | R32F, R8UI, R32UI, DEPTH32F | ground-truth render (never in a captured frame) |
"""

from __future__ import annotations

import moderngl

from . import gl_ext as G
from .gl_ext import GLExt

SHADOW_MAP_SIZE = 768


class RenderTargets:
    def __init__(self, ctx: moderngl.Context, ext: GLExt, width: int, height: int) -> None:
        self.ctx, self.ext, self.size = ctx, ext, (width, height)
        self.shadow_map = ctx.depth_texture((SHADOW_MAP_SIZE, SHADOW_MAP_SIZE))
        self.shadow_map.compare_func = ">="  # lit where the receiver is at least as near the sun (reversed depth)
        self.shadow_map.filter = (moderngl.LINEAR, moderngl.LINEAR)
        ext.label_texture(self.shadow_map.glo, "ShadowMap")
        self.shadow_fbo = ctx.framebuffer(depth_attachment=self.shadow_map)

        self.albedo = self._texture(G.GL_SRGB8_ALPHA8, 4, "f1", "GBuffer.Albedo")
        self.normal = self._texture(G.GL_RGB10_A2, 4, "f1", "GBuffer.Normal")
        self.material = self._texture(G.GL_RGBA8, 4, "f1", "GBuffer.Material")
        self.emissive = self._texture(G.GL_RGBA16F, 4, "f2", "GBuffer.Emissive")
        self.depth_stencil = self._texture(G.GL_DEPTH32F_STENCIL8, 1, "f4", "GBuffer.DepthStencil")
        self.gbuffer_fbo = ctx.framebuffer(color_attachments=[self.albedo, self.normal, self.material, self.emissive])
        self.gbuffer_fbo.depth_mask = True  # moderngl assumes no depth writes without a depth attachment it made
        self.gbuffer_fbo.use()
        ext.attach_depth(G.GL_DEPTH_STENCIL_ATTACHMENT, self.depth_stencil.glo)

        self.hdr = self._texture(G.GL_RGBA16F, 4, "f2", "HDR")
        self.hdr_fbo = ctx.framebuffer(color_attachments=[self.hdr])
        self.hdr_fbo.depth_mask = False  # the G-buffer depth-stencil is attached read-only: stencil masks, depth tests
        self.hdr_fbo.use()
        ext.attach_depth(G.GL_DEPTH_STENCIL_ATTACHMENT, self.depth_stencil.glo)
        self.back = self._texture(G.GL_RGBA8, 4, "f1", "BackBuffer")
        self.back_fbo = ctx.framebuffer(color_attachments=[self.back])

        self.gt_view_z = self._texture(G.GL_R32F, 1, "f4", "GroundTruth.ViewZ")
        self.gt_stencil = self._texture(G.GL_R8UI, 1, "u1", "GroundTruth.Stencil")
        self.gt_instance = self._texture(G.GL_R32UI, 1, "u4", "GroundTruth.Instance")
        self.gt_depth = self._texture(G.GL_DEPTH_COMPONENT32F, 1, "f4", "GroundTruth.Depth")
        self.gt_fbo = ctx.framebuffer(color_attachments=[self.gt_view_z, self.gt_stencil, self.gt_instance])
        self.gt_fbo.depth_mask = True
        self.gt_fbo.use()
        ext.attach_depth(G.GL_DEPTH_ATTACHMENT, self.gt_depth.glo)

    def _texture(self, internal_format: int, components: int, dtype: str, label: str) -> moderngl.Texture:
        name = self.ext.create_texture_storage(internal_format, *self.size, label)
        tex = self.ctx.external_texture(name, self.size, components, 0, dtype)
        tex.filter = (moderngl.NEAREST, moderngl.NEAREST)
        tex.repeat_x = tex.repeat_y = False
        return tex
