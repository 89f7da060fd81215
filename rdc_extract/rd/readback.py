"""The few replay calls extraction needs: move to an event, read targets, constant blocks and depth state.

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


@dataclass
class EventReads:
    """Texture bytes by resource id; the constant blocks and depth state at the scene event (when asked) and at
    the draws sampled for the camera."""

    data: dict[int, bytes] = field(default_factory=dict)
    blocks: ConstantBlocks = field(default_factory=dict)
    depth_state: DepthState | None = None
    draw_blocks: dict[int, ConstantBlocks] = field(default_factory=dict)
    draw_depth_states: dict[int, DepthState | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Stepping:
    """Events to stop at in order, reading `targets` at each and handing their bytes to `seen(event, data)` at
    once (a pass of thousands of draws is never held in memory)."""

    events: tuple[int, ...]
    targets: tuple[int, ...]
    seen: Callable[[int, list[bytes]], None]


def read_at_events(session: ReplaySession, reads: Sequence[tuple[int, Sequence[int]]],
                   scene_event: int | None = None, camera_draws: Sequence[int] = (),
                   enough: Callable[[dict[int, ConstantBlocks]], bool] = lambda blocks: False,
                   stepping: Stepping | None = None) -> EventReads:
    """Move to each event in order and read the listed textures there (mip 0, slice 0, sample 0).

    At `scene_event` also reads every bound constant block and the depth state
    (the camera and the depth conventions are found in them); at each of
    `camera_draws` the same, until `enough` says the blocks read so far
    suffice (each replay costs in proportion to its event). The events of
    `stepping` join the same forward sweep: moving forward replays only the
    events in between, while moving back (or forcing the same event again)
    replays the frame from its start.
    """
    rd = load_renderdoc()
    controller, ids = session.controller, session.resource_ids
    out = EventReads()
    textures = dict(reads)
    steps = set(stepping.events) if stepping else set()
    for event_id in sorted({*textures, *camera_draws, *steps}):
        if event_id not in textures and event_id not in steps and event_id != scene_event and enough(out.draw_blocks):
            continue
        controller.SetFrameEvent(event_id, event_id not in steps)
        for resource_id in textures.get(event_id, ()):
            out.data[resource_id] = controller.GetTextureData(ids[resource_id], rd.Subresource(0, 0, 0))
        if stepping and event_id in steps:
            stepping.seen(event_id, [controller.GetTextureData(ids[rid], rd.Subresource(0, 0, 0))
                                     for rid in stepping.targets])
        if event_id == scene_event:
            out.blocks = read_constant_blocks(controller)
            out.depth_state = read_depth_state(controller, session.api)
        if event_id in camera_draws:
            out.draw_blocks[event_id] = read_constant_blocks(controller)
            out.draw_depth_states[event_id] = read_depth_state(controller, session.api)
    return out


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
    return DepthState(function, clip, depth_range, ndc_y_up)
