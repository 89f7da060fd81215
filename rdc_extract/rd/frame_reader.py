"""Build the plain `Frame` model from a replay session: the action tree plus one texture list.

No per-action replay calls: every action already carries its bound colour and
depth outputs, and RenderDoc's usage lists (kept since the capture was opened)
say which of the frame's textures each draw samples, so reading a frame of
thousands of draws costs a few API calls per texture. Pipeline state is read
only for a draw identification asks about (`Frame.draw_state`), and only while
the capture is open: from the recorded API calls (`stream_state`, no replay)
where they settle it, else by replaying to that event. So is the screen area
a draw covers (`Frame.coverage`, `rd/coverage.py`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from rdc_extract.frame.model import Action, DrawState, Frame, Texture
from rdc_extract.frame.passes import group_passes
from rdc_extract.rd.formats import texture_format
from rdc_extract.rd.loader import load_renderdoc
from rdc_extract.rd.session import ReplaySession
from rdc_extract.rd.stream_state import stream_draw_states


def _kind(flags: Any, rd: Any) -> str:
    flag = rd.ActionFlags
    if flags & flag.Drawcall:
        return "draw"
    if flags & flag.Clear:
        return "clear"
    if flags & flag.Dispatch:
        return "dispatch"
    if flags & (flag.Copy | flag.Resolve | flag.GenMips):
        return "copy"
    if flags & flag.Present:
        return "present"
    return "other"


def _resource_ids(ids: Any) -> tuple[int, ...]:
    values = [int(rid) for rid in ids]
    while values and values[-1] == 0:
        values.pop()
    return tuple(values)


def _walk(actions: Any, path: tuple[str, ...], structured: Any, rd: Any, out: list[Action]) -> None:
    for action in actions:
        name = action.GetName(structured)
        if len(action.children):
            is_marker = bool(action.flags & rd.ActionFlags.PushMarker)
            _walk(action.children, path + (name,) if is_marker else path, structured, rd, out)
            continue
        depth = int(action.depthOut)
        out.append(
            Action(
                event_id=action.eventId,
                name=name,
                kind=_kind(action.flags, rd),
                marker_path=path,
                colour_outputs=_resource_ids(action.outputs),
                depth_output=depth or None,
                begins_pass=bool(action.flags & rd.ActionFlags.BeginPass),
                ends_pass=bool(action.flags & rd.ActionFlags.EndPass),
                vertex_count=action.numIndices * max(action.numInstances, 1),
                copy_source=int(action.copySource) or None,
                copy_destination=int(action.copyDestination) or None,
            )
        )


def _reads_by_event(controller: Any, rd: Any, textures: dict[int, Texture], ids: dict[int, Any]) -> dict[int, set[int]]:
    """Event id → the frame's textures sampled there (any shader stage), from RenderDoc's usage lists."""
    sampled = {value for name, value in vars(rd.ResourceUsage).items() if name.endswith("_Resource")}
    reads: dict[int, set[int]] = {}
    for rid in textures:
        if rid in ids:
            for use in controller.GetUsage(ids[rid]):
                if use.usage in sampled:
                    reads.setdefault(use.eventId, set()).add(rid)
    return reads


def depth_test_state(controller: Any, api: str) -> tuple[bool, bool, Any] | None:
    """(depth test, depth writes, compare function) of the current draw; None for an unknown API."""
    if api == "OpenGL":
        state = controller.GetGLPipelineState().depthState
        return bool(state.depthEnable), bool(state.depthWrites), state.depthFunction
    if api == "Vulkan":
        state = controller.GetVulkanPipelineState().depthStencil
        return bool(state.depthTestEnable), bool(state.depthWriteEnable), state.depthFunction
    if api in ("D3D11", "D3D12"):
        pipe = controller.GetD3D11PipelineState() if api == "D3D11" else controller.GetD3D12PipelineState()
        state = pipe.outputMerger.depthStencilState
        return bool(state.depthEnable), bool(state.depthWrites), state.depthFunction
    return None


def replay_draw_state(session: ReplaySession, event: int) -> DrawState | None:
    """Depth test, writes and function, blending and viewport of one draw; None once the capture is closed or
    for an unknown API."""
    controller = session.controller
    if controller is None:
        return None
    controller.SetFrameEvent(event, False)
    depth = depth_test_state(controller, session.api)
    if depth is None:
        return None
    test, writes, function = depth
    pipe = controller.GetPipelineState()
    blends = pipe.GetColorBlends()
    viewport = pipe.GetViewport(0)
    return DrawState(depth_test=test, blending=bool(len(blends) and blends[0].enabled), depth_write=writes,
                     depth_always=function == load_renderdoc().CompareFunction.AlwaysTrue,
                     viewport=(viewport.width, viewport.height) if viewport.enabled else None)


class _StateReader:
    """A draw's state from the recorded calls (built on the first request), else by replaying to it."""

    def __init__(self, session: ReplaySession, draw_events: set[int]) -> None:
        self.session, self.draw_events = session, draw_events
        self.recorded: dict[int, DrawState] | None = None

    def __call__(self, event: int) -> DrawState | None:
        if self.recorded is None and self.session.controller is not None:
            self.recorded = stream_draw_states(self.session.controller, self.session.api, self.draw_events)
        return (self.recorded or {}).get(event) or replay_draw_state(self.session, event)


def read_frame(session: ReplaySession) -> Frame:
    """Actions in capture order, grouped into passes, with the textures they render into."""
    rd = load_renderdoc()
    controller = session.controller
    actions: list[Action] = []
    _walk(controller.GetRootActions(), (), controller.GetStructuredFile(), rd, actions)
    used = {rid for a in actions for rid in a.colour_outputs + ((a.depth_output,) if a.depth_output else ())}
    resources = controller.GetResources()
    names = {int(r.resourceId): r.name for r in resources}
    textures: dict[int, Texture] = {}
    for tex in session.textures:
        rid = int(tex.resourceId)
        is_swap = bool(tex.creationFlags & rd.TextureCategory.SwapBuffer)
        if rid in used or is_swap:
            textures[rid] = Texture(
                resource_id=rid,
                name=names.get(rid, f"Texture {rid}"),
                width=tex.width,
                height=tex.height,
                format=texture_format(tex.format),
                is_swap_buffer=is_swap,
            )
    reads = _reads_by_event(controller, rd, textures, {int(r.resourceId): r.resourceId for r in resources})
    actions = [dataclasses.replace(a, reads=tuple(sorted(reads[a.event_id]))) if a.event_id in reads else a
               for a in actions]
    frame = Frame(capture=str(session.path), api=session.api, actions=actions, textures=textures)
    frame.passes = group_passes(actions)
    frame.state_reader = _StateReader(session, {a.event_id for a in actions if a.kind == "draw"})
    from rdc_extract.rd.coverage import CoverageReader  # its post-VS reading (readback) imports this module
    frame.coverage_reader = CoverageReader(session, frame)
    return frame
