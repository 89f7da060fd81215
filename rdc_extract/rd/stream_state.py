"""Draw state from the capture's recorded API calls, without replaying: what the UI search asks about.

Moving the replay to an event costs tens of milliseconds here (RenderDoc
replays the frame up to it), so reading a dozen draws' state would cost as
much as the extraction. The structured file already holds every call with its
parameters: the depth and blend state a draw sees follows from the calls
before it. Vulkan: the bound graphics pipeline's create info, overridden by
the dynamic-state calls it declares dynamic. OpenGL: glEnable/glDisable,
glDepthMask, glDepthFunc, glViewport. A draw whose state the frame's calls do
not settle (GL state set before the frame, a pipeline whose creation was not
found) is left out, and `frame_reader` replays to it instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rdc_extract.frame.model import DrawState

VK_COMPARE_OP_ALWAYS = 7
VK_DYNAMIC = {1000267006: "depth_test", 1000267007: "depth_write", 1000267008: "compare",
              0: "viewport", 1000267003: "viewport", 1000455010: "blending"}
GL_DEPTH_TEST, GL_BLEND, GL_ALWAYS = 0x0B71, 0x0BE2, 0x0207

State = dict[str, Any]


def _value(obj: Any, *path: str) -> Any:
    for name in path:
        obj = obj.FindChild(name) if obj is not None else None
    return obj


def _int(obj: Any, *path: str) -> int | None:
    """An integer (or bool) parameter; None where the call does not carry it (a null pointer, another version)."""
    found = _value(obj, *path)
    if found is None or found.NumChildren():
        return None
    return int(found.AsBool()) if found.type.name == "bool" else int(found.AsInt())


def _flag(obj: Any, *path: str) -> bool | None:
    value = _int(obj, *path)
    return None if value is None else bool(value)


def _children(obj: Any) -> Iterator[Any]:
    return (obj.GetChild(i) for i in range(obj.NumChildren())) if obj is not None else iter(())


def _viewport(viewports: Any) -> tuple[float, float] | None:
    first = next(_children(viewports), None)
    size = (_value(first, "width"), _value(first, "height"))
    return None if None in size else (size[0].AsFloat(), size[1].AsFloat())


def _vulkan_pipeline(chunk: Any) -> tuple[int, State, set[str]] | None:
    """(pipeline id, its static state, which of it is dynamic); no depth-stencil state means no depth test."""
    info, made = chunk.FindChild("CreateInfo"), chunk.FindChild("Pipeline")
    if info is None or made is None:
        return None
    depth = _value(info, "pDepthStencilState")
    attachment = next(_children(_value(info, "pColorBlendState", "pAttachments")), None)
    test = _int(depth, "depthTestEnable")
    state: State = {
        "depth_test": bool(test),
        "depth_write": bool(_int(depth, "depthWriteEnable")),
        "compare": _int(depth, "depthCompareOp"),
        "blending": bool(_int(attachment, "blendEnable")),
        "viewport": _viewport(_value(info, "pViewportState", "pViewports")),
    }
    dynamic = {VK_DYNAMIC[value] for d in _children(_value(info, "pDynamicState", "pDynamicStates"))
               if (value := int(d.AsInt())) in VK_DYNAMIC}
    return int(made.AsResourceId()), state, dynamic


def _vulkan_call(name: str, chunk: Any, pipelines: dict[int, tuple[State, set[str]]],
                 current: dict[str, Any]) -> None:
    """Apply one recorded call to `current` (the bound pipeline's state and the dynamic values set)."""
    if name == "vkBeginCommandBuffer":
        current.clear()
    elif name == "vkCmdBindPipeline" and _int(chunk, "pipelineBindPoint") == 0:
        bound = _value(chunk, "pipeline")
        current["pipeline"] = None if bound is None else pipelines.get(int(bound.AsResourceId()))
    elif name.startswith("vkCmdSetDepthTestEnable"):
        current["depth_test"] = _flag(chunk, "depthTestEnable")
    elif name.startswith("vkCmdSetDepthWriteEnable"):
        current["depth_write"] = _flag(chunk, "depthWriteEnable")
    elif name.startswith("vkCmdSetDepthCompareOp"):
        current["compare"] = _int(chunk, "depthCompareOp")
    elif name == "vkCmdSetColorBlendEnableEXT" and _int(chunk, "firstAttachment") == 0:
        current["blending"] = _flag(next(_children(chunk.FindChild("pColorBlendEnables")), None))
    elif name.startswith("vkCmdSetViewport"):
        current["viewport"] = _viewport(chunk.FindChild("pViewports"))


def _vulkan_state(current: dict[str, Any]) -> DrawState | None:
    bound = current.get("pipeline")
    if bound is None:
        return None
    static, dynamic = bound
    fields = {key: current.get(key) if key in dynamic else static[key] for key in static}
    return _settled(fields, VK_COMPARE_OP_ALWAYS)


def _gl_call(name: str, chunk: Any, current: dict[str, Any]) -> None:
    if name in ("glEnable", "glDisable"):
        key = {GL_DEPTH_TEST: "depth_test", GL_BLEND: "blending"}.get(_int(chunk, "cap"))
        if key:
            current[key] = name == "glEnable"
    elif name in ("glEnablei", "glDisablei") and _int(chunk, "target") == GL_BLEND and _int(chunk, "index") == 0:
        current["blending"] = name == "glEnablei"
    elif name == "glDepthMask":
        current["depth_write"] = _flag(chunk, "flag")
    elif name == "glDepthFunc":
        current["compare"] = _int(chunk, "func")
    elif name == "glViewport":
        size = (_int(chunk, "width"), _int(chunk, "height"))
        current["viewport"] = None if None in size else (float(size[0]), float(size[1]))


def _settled(fields: dict[str, Any], always: int) -> DrawState | None:
    """The draw's state when the calls settle it (with the depth test off, writes and compare do not matter)."""
    test, blending = fields.get("depth_test"), fields.get("blending")
    if test is None or blending is None:
        return None
    if not test:
        return DrawState(depth_test=False, blending=blending, viewport=fields.get("viewport"))
    if fields.get("depth_write") is None or fields.get("compare") is None:
        return None
    return DrawState(depth_test=True, blending=blending, depth_write=fields["depth_write"],
                     depth_always=fields["compare"] == always, viewport=fields.get("viewport"))


def _leaf_actions(actions: Any) -> Iterator[Any]:
    for action in actions:
        if len(action.children):
            yield from _leaf_actions(action.children)
        else:
            yield action


def stream_draw_states(controller: Any, api: str, draw_events: set[int]) -> dict[int, DrawState]:
    """State of each of `draw_events` the frame's recorded calls settle (Vulkan and OpenGL; {} otherwise)."""
    if api not in ("Vulkan", "OpenGL"):
        return {}
    chunks = controller.GetStructuredFile().chunks
    count = len(chunks)
    pipelines: dict[int, tuple[State, set[str]]] = {}
    if api == "Vulkan":
        for chunk in chunks:
            if chunk.name == "vkCreateGraphicsPipelines" and (made := _vulkan_pipeline(chunk)) is not None:
                pipelines[made[0]] = (made[1], made[2])
    current: dict[str, Any] = {}
    states: dict[int, DrawState] = {}
    for action in _leaf_actions(controller.GetRootActions()):
        for event in action.events:
            if event.chunkIndex >= count:
                continue
            chunk = chunks[event.chunkIndex]
            if api == "Vulkan":
                _vulkan_call(chunk.name, chunk, pipelines, current)
            else:
                _gl_call(chunk.name, chunk, current)
        if action.eventId in draw_events:
            state = _vulkan_state(current) if api == "Vulkan" else _settled(current, GL_ALWAYS)
            if state is not None:
                states[action.eventId] = state
    return states
