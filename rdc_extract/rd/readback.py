"""The few replay calls extraction needs: move to an event, read targets, constant blocks, depth state and
the clip-space positions a vertex shader wrote.

Everything returned is plain (bytes, numpy arrays, `DepthState`); decoding
happens in `rdc_extract.decode`. `SaveTexture`, `GetMinMax` and `PickPixel`
are avoided on purpose: they crash on Vulkan captures with RenderDoc 1.24 here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rdc_extract.decode.depth import DepthState
from rdc_extract.rd.bindings import bound_blocks
from rdc_extract.rd.loader import load_renderdoc
from rdc_extract.rd.session import ReplaySession

ConstantBlocks = dict[str, dict[str, np.ndarray]]

#: Vertices whose post-vertex-shader position is read at a camera draw: enough to fit a line, cheap to copy.
VERTEX_LIMIT = 256


@dataclass
class EventReads:
    """Texture bytes by resource id; the constant blocks and depth state at the scene event (when asked) and at
    the draws sampled for the camera, and the vertex shader's clip-space output (N×4) at those of them asked for."""

    data: dict[int, bytes] = field(default_factory=dict)
    blocks: ConstantBlocks = field(default_factory=dict)
    depth_state: DepthState | None = None
    draw_blocks: dict[int, ConstantBlocks] = field(default_factory=dict)
    draw_depth_states: dict[int, DepthState | None] = field(default_factory=dict)
    clip_positions: dict[int, np.ndarray] = field(default_factory=dict)


def read_at_events(session: ReplaySession, reads: Sequence[tuple[int, Sequence[int]]],
                   scene_event: int | None = None, camera_draws: Sequence[int] = (),
                   enough: Callable[[dict[int, ConstantBlocks]], bool] = lambda blocks: False,
                   wants_clip_positions: Callable[[ConstantBlocks, DepthState | None], bool] = lambda *_: False,
                   ) -> EventReads:
    """Move to each event in order and read the listed textures there (mip 0, slice 0, sample 0).

    At `scene_event` also reads every bound constant block and the depth state
    (the camera and the depth conventions are found in them); at each of
    `camera_draws` the same, until `enough` says the blocks read so far
    suffice (each replay costs in proportion to its event), and the vertex
    shader's output positions where `wants_clip_positions` asks for them (a
    post-VS fetch replays the draw's vertex shader: 0.01 to 0.07 s on the corpus here).
    """
    rd = load_renderdoc()
    controller, ids = session.controller, session.resource_ids
    out = EventReads()
    textures = dict(reads)
    for event_id in sorted({*textures, *camera_draws}):
        if event_id not in textures and event_id != scene_event and enough(out.draw_blocks):
            continue
        controller.SetFrameEvent(event_id, True)
        for resource_id in textures.get(event_id, ()):
            out.data[resource_id] = controller.GetTextureData(ids[resource_id], rd.Subresource(0, 0, 0))
        if event_id == scene_event:
            out.blocks = read_constant_blocks(controller)
            out.depth_state = read_depth_state(controller, session.api)
        if event_id in camera_draws:
            out.draw_blocks[event_id] = read_constant_blocks(controller)
            out.draw_depth_states[event_id] = read_depth_state(controller, session.api)
            if wants_clip_positions(out.draw_blocks[event_id], out.draw_depth_states[event_id]):
                positions = read_clip_positions(controller)
                if positions is not None:
                    out.clip_positions[event_id] = positions
    return out


def read_clip_positions(controller: Any, limit: int = VERTEX_LIMIT) -> np.ndarray | None:
    """Clip-space positions (x, y, z, w) the current draw's vertex shader wrote, for its first `limit` indices,
    float64 N×4.

    RenderDoc's post-VS data puts the position first in each vertex; None
    when it has none (not a draw, a mesh or geometry pipeline, a fetch that failed).
    """
    rd = load_renderdoc()
    mesh = controller.GetPostVSData(0, 0, rd.MeshDataStage.VSOut)
    stride, count = int(mesh.vertexByteStride), min(int(mesh.numIndices), limit)
    if mesh.vertexResourceId == rd.ResourceId.Null() or stride < 16 or count == 0 or \
            mesh.format.compType != rd.CompType.Float or mesh.format.compByteWidth != 4 or mesh.format.compCount != 4:
        return None
    indices = np.arange(count)
    index_type = {1: np.uint8, 2: np.uint16, 4: np.uint32}.get(int(mesh.indexByteStride))
    if mesh.indexResourceId != rd.ResourceId.Null() and index_type is not None:
        data = controller.GetBufferData(mesh.indexResourceId, mesh.indexByteOffset, count * mesh.indexByteStride)
        indices = np.unique(np.frombuffer(data, dtype=index_type, count=len(data) // mesh.indexByteStride)
                            .astype(np.int64) + int(mesh.baseVertex))
        indices = indices[indices >= 0]
    if not len(indices):
        return None
    data = controller.GetBufferData(mesh.vertexResourceId, mesh.vertexByteOffset, (int(indices.max()) + 1) * stride)
    vertices = np.frombuffer(data, dtype=np.uint8, count=len(data) // stride * stride).reshape(-1, stride)
    indices = indices[indices < len(vertices)]
    return vertices[indices, :16].copy().view(np.float32).astype(np.float64) if len(indices) else None


def read_constant_blocks(controller: Any) -> ConstantBlocks:
    """Members of every uniform/constant block bound at the current event, by block name.

    Buffer-backed blocks, loose uniforms (GL `$Globals`) and push constants
    alike. Each member comes back as an array of shape (rows, columns), a matrix in
    mathematical layout (RenderDoc undoes row/column-major storage); struct
    members as `outer.inner`. Vertex stage first, then pixel; a name seen twice
    keeps its first reading.
    """
    blocks: ConstantBlocks = {}
    for block in bound_blocks(controller, ("Vertex", "Pixel")):
        blocks.setdefault(block.name, block.members)
    return blocks


def _compare_name(rd: Any, value: Any) -> str:
    names = {int(getattr(rd.CompareFunction, n)): n for n in dir(rd.CompareFunction) if n[0].isupper()}
    return names.get(int(value), str(value))


def read_depth_state(controller: Any, api: str) -> DepthState | None:
    """The depth test, clip range, viewport depth range and y direction at the current event (None for an unknown API).

    OpenGL: `glClipControl` depth mode and `glDepthFunc`; Vulkan: the pipeline's
    depth test, `VK_EXT_depth_clip_control` and the viewport's height sign;
    D3D11/12: the depth-stencil state, clip range always 0..1.
    """
    rd = load_renderdoc()
    ndc_y_up = True
    if api == "OpenGL":
        gl = controller.GetGLPipelineState()
        depth, viewports = gl.depthState, gl.rasterizer.viewports
        enabled = depth.depthEnable
        clip = "minus_one_to_one" if gl.vertexProcessing.clipNegativeOneToOne else "zero_to_one"
    elif api == "Vulkan":
        vk = controller.GetVulkanPipelineState()
        depth, viewports = vk.depthStencil, [v.vp for v in vk.viewportScissor.viewportScissors]
        enabled = depth.depthTestEnable
        clip = "minus_one_to_one" if vk.viewportScissor.depthNegativeOneToOne else "zero_to_one"
        ndc_y_up = bool(len(viewports)) and viewports[0].height < 0  # a flipped viewport (Zink does this for GL)
    elif api in ("D3D11", "D3D12"):
        d3d = controller.GetD3D11PipelineState() if api == "D3D11" else controller.GetD3D12PipelineState()
        depth, viewports = d3d.outputMerger.depthStencilState, d3d.rasterizer.viewports
        enabled, clip = depth.depthEnable, "zero_to_one"
    else:
        return None
    function = _compare_name(rd, depth.depthFunction) if enabled else None
    depth_range = (float(viewports[0].minDepth), float(viewports[0].maxDepth)) if len(viewports) else (0.0, 1.0)
    default = "minus_one_to_one" if api == "OpenGL" else "zero_to_one"
    return DepthState(function, clip, depth_range, ndc_y_up, clip_range_asked=clip != default)
