"""The few replay calls extraction needs: move to an event, read targets, constant blocks, depth state and
the clip-space positions a vertex shader wrote.

Everything returned is plain (bytes, numpy arrays, `DepthState`); decoding
happens in `rdc_extract.decode`. `SaveTexture`, `GetMinMax` and `PickPixel`
are avoided on purpose: they crash on Vulkan captures with RenderDoc 1.24 here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rdc_extract.decode.depth import DepthState
from rdc_extract.extract.signatures import DrawContent
from rdc_extract.rd.bindings import block_member, bound_blocks
from rdc_extract.rd.draw_content import DrawContentReader
from rdc_extract.rd.frame_reader import depth_test_state
from rdc_extract.rd.loader import load_renderdoc
from rdc_extract.rd.session import ReplaySession

ConstantBlocks = dict[str, dict[str, np.ndarray]]

#: Vertices whose post-vertex-shader position is read at a camera draw: enough to fit a line, cheap to copy.
VERTEX_LIMIT = 256


@dataclass
class EventReads:
    """Texture bytes by resource id; the constant blocks and depth state at the scene event (when asked) and at
    the draws sampled for the camera, and the vertex shader's clip-space output (N×4) at those of them asked for,
    with the float vertex attributes of the same vertices."""

    data: dict[int, bytes] = field(default_factory=dict)
    blocks: ConstantBlocks = field(default_factory=dict)
    depth_state: DepthState | None = None
    draw_blocks: dict[int, ConstantBlocks] = field(default_factory=dict)
    draw_depth_states: dict[int, DepthState | None] = field(default_factory=dict)
    clip_positions: dict[int, np.ndarray] = field(default_factory=dict)
    vertex_inputs: dict[int, dict[str, np.ndarray]] = field(default_factory=dict)
    camera_seconds: float = 0.0  # replaying and reading only for the camera and the conventions
    signature_seconds: float = 0.0  # reading the draws' content for their signatures (no replay of its own)
    constant_seconds: float = 0.0  # reading each draw's `Stepping.constant` (no replay of its own)


@dataclass(frozen=True)
class Stepping:
    """Events to stop at in order, reading `targets` at each and handing their bytes to `seen(event, data)` at
    once (a pass of thousands of draws is never held in memory); at each of `draws`, the draw's content
    (signatures) is handed to `described(event, content)` too, and the value of `constant` (block, member;
    None where the draw binds none) to `valued(event, value)`; `timed` hears how long each stop took (a sweep
    can take minutes: extract/sweep_clock.py), and may time one replay up to the last stop."""

    events: tuple[int, ...]
    targets: tuple[int, ...]
    seen: Callable[[int, list[bytes]], None]
    draws: tuple[int, ...] = ()
    described: Callable[[int, DrawContent], None] | None = None
    rendered: tuple[int, ...] = ()  # the frame's render targets: named, never hashed, by `described` draws
    constant: tuple[str, str] | None = None
    valued: Callable[[int, np.ndarray | None], None] | None = None
    # (event, the step's seconds, perf_counter now, a function replaying up to the last event, returning seconds)
    timed: Callable[[int, float, float, Callable[[], float]], None] | None = None


def read_at_events(session: ReplaySession, reads: Sequence[tuple[int, Sequence[int]]],
                   scene_event: int | None = None, camera_draws: Sequence[int] = (),
                   enough: Callable[[dict[int, ConstantBlocks]], bool] = lambda blocks: False,
                   wants_clip_positions: Callable[[ConstantBlocks, DepthState | None], bool] = lambda *_: False,
                   stepping: Stepping | None = None) -> EventReads:
    """Move to each event in order and read the listed textures there (mip 0, slice 0, sample 0).

    At `scene_event` also reads every bound constant block and the depth state
    (the camera and the depth conventions are found in them); at each of
    `camera_draws` the same, until `enough` says the blocks read so far
    suffice (each replay costs in proportion to its event), and the vertex
    shader's output positions where `wants_clip_positions` asks for them (a
    post-VS fetch replays the draw's vertex shader: 0.01 to 0.07 s on the corpus
    here). The events of `stepping` join the same sweep. Every move replays
    the frame from its start up to the event, forward or back, forced or not
    (RenderDoc 1.24 here: docs/performance.md, "Why differencing targets"), so
    each event is visited once and everything read there shares its replay.
    """
    rd = load_renderdoc()
    controller, ids = session.controller, session.resource_ids
    out = EventReads()
    textures = dict(reads)
    steps = set(stepping.events) if stepping else set()
    began = time.perf_counter()
    contents = DrawContentReader(session, stepping.rendered) if stepping and stepping.described else None
    out.signature_seconds = time.perf_counter() - began

    def replay_to_last_step() -> float:
        """What a step at the last stop costs: the move and the targets' reads (the replay completes only when
        something reads its result: the move alone returned in a tenth of the time on warzone2100)."""
        start = time.perf_counter()
        controller.SetFrameEvent(max(steps), True)
        for rid in stepping.targets if stepping else ():
            controller.GetTextureData(ids[rid], rd.Subresource(0, 0, 0))
        return time.perf_counter() - start

    for event_id in sorted({*textures, *camera_draws, *steps}):
        if event_id not in textures and event_id not in steps and event_id != scene_event and enough(out.draw_blocks):
            continue
        started = time.perf_counter()
        controller.SetFrameEvent(event_id, event_id not in steps)
        for resource_id in textures.get(event_id, ()):
            out.data[resource_id] = controller.GetTextureData(ids[resource_id], rd.Subresource(0, 0, 0))
        if stepping and event_id in steps:
            stepping.seen(event_id, [controller.GetTextureData(ids[rid], rd.Subresource(0, 0, 0))
                                     for rid in stepping.targets])
            if contents is not None and stepping.described is not None and event_id in stepping.draws:
                began = time.perf_counter()
                stepping.described(event_id, contents.read(event_id))
                out.signature_seconds += time.perf_counter() - began
            if stepping.constant is not None and stepping.valued is not None and event_id in stepping.draws:
                began = time.perf_counter()
                stepping.valued(event_id, block_member(controller, *stepping.constant))
                out.constant_seconds += time.perf_counter() - began
            if stepping.timed is not None:
                now = time.perf_counter()
                stepping.timed(event_id, now - started, now, replay_to_last_step)
        if event_id in textures or event_id in steps:
            started = time.perf_counter()  # what follows is the camera's and the conventions' cost
        if event_id == scene_event:
            out.blocks = read_constant_blocks(controller)
            out.depth_state = read_depth_state(controller, session.api)
        if event_id in camera_draws:
            out.draw_blocks[event_id] = read_constant_blocks(controller)
            out.draw_depth_states[event_id] = read_depth_state(controller, session.api)
            if wants_clip_positions(out.draw_blocks[event_id], out.draw_depth_states[event_id]):
                written = read_vertex_output(controller, event_id)
                if written is not None:
                    out.clip_positions[event_id], out.vertex_inputs[event_id] = written
        out.camera_seconds += time.perf_counter() - started
    return out


def _indices(controller: Any, resource: Any, offset: int, width: int, count: int, base: int) -> np.ndarray | None:
    kind = {1: np.uint8, 2: np.uint16, 4: np.uint32}.get(width)
    if kind is None:
        return None
    data = controller.GetBufferData(resource, offset, count * width)
    return np.frombuffer(data, dtype=kind, count=len(data) // width).astype(np.int64) + base


def _action_at(controller: Any, event_id: int) -> Any:
    stack = list(controller.GetRootActions())
    while stack:
        action = stack.pop()
        if action.eventId == event_id:
            return action
        stack.extend(action.children)
    return None


def _input_indices(controller: Any, event_id: int, count: int) -> np.ndarray | None:
    """The vertex indices the draw's first `count` indices fetch its inputs at."""
    rd = load_renderdoc()
    action = _action_at(controller, event_id)
    if action is None:
        return None
    if not action.flags & rd.ActionFlags.Indexed:
        return int(action.vertexOffset) + np.arange(count)
    buffer = controller.GetPipelineState().GetIBuffer()
    width = int(buffer.byteStride)
    return _indices(controller, buffer.resourceId, int(buffer.byteOffset) + int(action.indexOffset) * width, width,
                    count, int(action.baseVertex))


def _float_inputs(controller: Any, vertices: np.ndarray) -> dict[str, np.ndarray]:
    """The draw's per-vertex float attributes of 3 or 4 components at `vertices` (those that may be a position)."""
    rd = load_renderdoc()
    state = controller.GetPipelineState()
    buffers = state.GetVBuffers()
    inputs: dict[str, np.ndarray] = {}
    for attribute in state.GetVertexInputs():
        fmt = attribute.format
        if attribute.perInstance or attribute.genericEnabled or fmt.compType != rd.CompType.Float or \
                fmt.compByteWidth != 4 or fmt.compCount not in (3, 4) or attribute.vertexBuffer >= len(buffers):
            continue
        buffer = buffers[attribute.vertexBuffer]
        stride, size = int(buffer.byteStride), 4 * fmt.compCount
        if stride < size:
            continue
        data = controller.GetBufferData(buffer.resourceId, int(buffer.byteOffset) + int(attribute.byteOffset),
                                        int(vertices.max() + 1) * stride)
        if len(data) < int(vertices.max()) * stride + size:
            continue
        picked = np.frombuffer(data, dtype=np.uint8)[(vertices * stride)[:, None] + np.arange(size)]
        inputs[attribute.name] = picked.copy().view(np.float32).reshape(-1, fmt.compCount).astype(np.float64)
    return inputs


def read_vertex_output(controller: Any, event_id: int,
                       limit: int = VERTEX_LIMIT) -> tuple[np.ndarray, dict[str, np.ndarray]] | None:
    """What the current draw's vertex shader wrote for its first `limit` indices: clip-space positions
    (x, y, z, w), float64 N×4, and the draw's float vertex attributes at the same vertices, by name (N×3 or N×4;
    empty when they cannot be matched up).

    RenderDoc's post-VS data puts the position first in each vertex; None
    when it has none (not a draw, a mesh or geometry pipeline, a fetch that failed).
    """
    rd = load_renderdoc()
    mesh = controller.GetPostVSData(0, 0, rd.MeshDataStage.VSOut)
    stride, count = int(mesh.vertexByteStride), min(int(mesh.numIndices), limit)
    if mesh.vertexResourceId == rd.ResourceId.Null() or stride < 16 or count == 0 or \
            mesh.format.compType != rd.CompType.Float or mesh.format.compByteWidth != 4 or mesh.format.compCount != 4:
        return None
    outputs = np.arange(count)
    if mesh.indexResourceId != rd.ResourceId.Null():
        outputs = _indices(controller, mesh.indexResourceId, int(mesh.indexByteOffset), int(mesh.indexByteStride),
                           count, int(mesh.baseVertex))
    if outputs is None or not len(outputs) or outputs.min() < 0:
        return None
    inputs = _input_indices(controller, event_id, count)
    outputs, first = np.unique(outputs, return_index=True)
    data = controller.GetBufferData(mesh.vertexResourceId, int(mesh.vertexByteOffset), int(outputs.max() + 1) * stride)
    vertices = np.frombuffer(data, dtype=np.uint8, count=len(data) // stride * stride).reshape(-1, stride)
    kept = outputs < len(vertices)
    positions = vertices[outputs[kept], :16].copy().view(np.float32).astype(np.float64)
    if not len(positions):
        return None
    if inputs is None or len(inputs) < count or inputs.min() < 0:
        return positions, {}
    return positions, _float_inputs(controller, inputs[first][kept])


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
    depth = depth_test_state(controller, api)
    if depth is None:
        return None
    enabled, _, compare = depth
    ndc_y_up = True
    if api == "OpenGL":
        gl = controller.GetGLPipelineState()
        viewports = gl.rasterizer.viewports
        clip = "minus_one_to_one" if gl.vertexProcessing.clipNegativeOneToOne else "zero_to_one"
    elif api == "Vulkan":
        vk = controller.GetVulkanPipelineState()
        viewports = [v.vp for v in vk.viewportScissor.viewportScissors]
        clip = "minus_one_to_one" if vk.viewportScissor.depthNegativeOneToOne else "zero_to_one"
        ndc_y_up = bool(len(viewports)) and viewports[0].height < 0  # a flipped viewport (Zink does this for GL)
    else:
        d3d = controller.GetD3D11PipelineState() if api == "D3D11" else controller.GetD3D12PipelineState()
        viewports, clip = d3d.rasterizer.viewports, "zero_to_one"
    function = _compare_name(load_renderdoc(), compare) if enabled else None
    depth_range = (float(viewports[0].minDepth), float(viewports[0].maxDepth)) if len(viewports) else (0.0, 1.0)
    default = "minus_one_to_one" if api == "OpenGL" else "zero_to_one"
    return DepthState(function, clip, depth_range, ndc_y_up, clip_range_asked=clip != default)
