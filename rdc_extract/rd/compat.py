"""Differences between RenderDoc versions, absorbed here so no other code branches on them.

Known differences (Debian ships 1.24; current releases are 1.3x):
- `OpenFile`/`OpenCapture` return `ResultDetails` (code + message) from 1.24 on,
  a bare `ReplayStatus` enum before.
- `PipeState.GetOutputTargets()` / `GetDepthTarget()` return `BoundResource`
  (`.resourceId`) up to 1.32 and `Descriptor` (`.resource`) from 1.33: not
  needed, since frames are read from each action's own `outputs`/`depthOut`.
- Constant buffers: `GetConstantBuffer` (`BoundCBuffer`) up to 1.32,
  `GetConstantBlock` (`UsedDescriptor`) from 1.33.
"""

from __future__ import annotations

from typing import Any


def result_ok(result: Any) -> bool:
    code = getattr(result, "code", result)
    return int(code) == 0 or getattr(code, "name", "") in ("Succeeded", "Success")


def result_code_name(result: Any) -> str:
    code = getattr(result, "code", result)
    return getattr(code, "name", str(code))


def result_message(result: Any) -> str:
    """Human-readable text of a result, with RenderDoc's own detail when it has one."""
    message = getattr(result, "Message", None)
    return message() if callable(message) else str(result)


def constant_buffer_range(pipe_state: Any, stage: Any, slot: int) -> tuple[Any, int, int]:
    """(buffer ResourceId, byte offset, byte size) bound to a shader's constant block `slot`.

    1.24 has `GetConstantBuffer` → `BoundCBuffer`; 1.33+ has `GetConstantBlock`
    → `UsedDescriptor` whose `.descriptor` holds the range.
    """
    if hasattr(pipe_state, "GetConstantBuffer"):
        bound = pipe_state.GetConstantBuffer(stage, slot, 0)
        return bound.resourceId, bound.byteOffset, bound.byteSize
    descriptor = pipe_state.GetConstantBlock(stage, slot, 0).descriptor
    return descriptor.resource, descriptor.byteOffset, descriptor.byteSize
