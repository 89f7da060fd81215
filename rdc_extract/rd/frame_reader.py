"""Build the plain `Frame` model from a replay session: the action tree plus one texture list.

No per-action replay calls: every action already carries its bound colour and
depth outputs, so reading a frame of thousands of draws costs four API calls.
"""

from __future__ import annotations

from typing import Any

from rdc_extract.frame.model import Action, Frame, Texture
from rdc_extract.frame.passes import group_passes
from rdc_extract.rd.formats import texture_format
from rdc_extract.rd.loader import load_renderdoc
from rdc_extract.rd.session import ReplaySession


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
            )
        )


def read_frame(session: ReplaySession) -> Frame:
    """Actions in capture order, grouped into passes, with the textures they render into."""
    rd = load_renderdoc()
    controller = session.controller
    actions: list[Action] = []
    _walk(controller.GetRootActions(), (), controller.GetStructuredFile(), rd, actions)
    used = {rid for a in actions for rid in a.colour_outputs + ((a.depth_output,) if a.depth_output else ())}
    names = {int(r.resourceId): r.name for r in controller.GetResources()}
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
    frame = Frame(capture=str(session.path), api=session.api, actions=actions, textures=textures)
    frame.passes = group_passes(actions)
    return frame
