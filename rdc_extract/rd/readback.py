"""The few replay calls extraction needs: move to an event, read targets and a constant block.

Everything returned is plain (bytes, numpy arrays); decoding happens in
`rdc_extract.decode`. `SaveTexture`, `GetMinMax` and `PickPixel` are avoided
on purpose: they crash on Vulkan captures with RenderDoc 1.24 here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from rdc_extract.rd import compat
from rdc_extract.rd.loader import load_renderdoc
from rdc_extract.rd.session import ReplaySession


def read_at_events(
    session: ReplaySession,
    reads: Sequence[tuple[int, Sequence[int]]],
    block_event: int | None = None,
    block_name: str | None = None,
) -> tuple[dict[int, bytes], dict[str, np.ndarray] | None]:
    """Move to each event in order and read the listed textures there (mip 0, slice 0, sample 0).

    Also reads the named constant block at `block_event`. Returns raw tightly
    packed bytes by resource id, and the block's members (None when not
    asked for or not bound).
    """
    rd = load_renderdoc()
    controller, ids = session.controller, session.resource_ids
    data: dict[int, bytes] = {}
    block = None
    for event_id, resource_ids in reads:
        controller.SetFrameEvent(event_id, True)
        for resource_id in resource_ids:
            data[resource_id] = controller.GetTextureData(ids[resource_id], rd.Subresource(0, 0, 0))
        if block_name and event_id == block_event:
            block = read_constant_block(controller, block_name)
    return data, block


def read_constant_block(controller: Any, block_name: str) -> dict[str, np.ndarray] | None:
    """Members of the named uniform/constant block bound at the current event, or None.

    Each member comes back as a float64 array of shape (rows, columns), a
    matrix in mathematical layout (RenderDoc undoes row/column-major storage).
    Vertex stage first, then pixel.
    """
    rd = load_renderdoc()
    state = controller.GetPipelineState()
    for stage in (rd.ShaderStage.Vertex, rd.ShaderStage.Pixel):
        reflection = state.GetShaderReflection(stage)
        if reflection is None:
            continue
        for slot, block in enumerate(reflection.constantBlocks):
            if block.name != block_name:
                continue
            buffer, offset, size = compat.constant_buffer_range(state, stage, slot)
            variables = controller.GetCBufferVariableContents(
                state.GetGraphicsPipelineObject(), reflection.resourceId, stage,
                state.GetShaderEntryPoint(stage), slot, buffer, offset, size,
            )
            return {v.name: _as_array(v) for v in variables}
    return None


def _as_array(variable: Any) -> np.ndarray:
    rows, columns = max(variable.rows, 1), max(variable.columns, 1)
    values = np.array(variable.value.f32v[: rows * columns], dtype=np.float64)
    return values.reshape(rows, columns)
