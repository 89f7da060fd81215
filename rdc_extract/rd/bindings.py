"""What is bound at one event, for people writing a profile: every constant block with its members.

Plain data out (`BoundBlock`, numpy arrays): `inspect --at EVENT` shows it, so
the `[camera]` block and member names can be read off a capture.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import numpy as np

from rdc_extract.rd import compat
from rdc_extract.rd.loader import load_renderdoc
from rdc_extract.rd.session import ReplaySession

_STAGES = ("Vertex", "Hull", "Domain", "Geometry", "Pixel", "Compute")


@dataclass(frozen=True)
class BoundBlock:
    """One constant/uniform block bound at an event: members by name, matrices in mathematical layout."""

    stage: str
    slot: int
    name: str
    members: dict[str, np.ndarray]
    buffer_backed: bool = True   # False: loose uniforms gathered into a block by RenderDoc (GL `$Globals`)


def read_bound_blocks(session: ReplaySession, event_id: int) -> list[BoundBlock]:
    """Every constant block of every shader stage bound at `event_id`, in stage then slot order."""
    session.controller.SetFrameEvent(event_id, True)
    return bound_blocks(session.controller)


def bound_blocks(controller: Any, stages: tuple[str, ...] = _STAGES,
                 names: Collection[str] | None = None) -> list[BoundBlock]:
    """The constant blocks of `stages` bound at the controller's current event, in stage then slot order (only
    those called one of `names`, when given: the others are not read)."""
    rd = load_renderdoc()
    state = controller.GetPipelineState()
    blocks = []
    for stage_name in stages:
        stage = getattr(rd.ShaderStage, stage_name)
        reflection = state.GetShaderReflection(stage)
        if reflection is None:
            continue
        pipeline = state.GetComputePipelineObject() if stage_name == "Compute" else state.GetGraphicsPipelineObject()
        for slot, block in enumerate(reflection.constantBlocks):
            if names is not None and block.name not in names:
                continue
            buffer, offset, size = compat.constant_buffer_range(state, stage, slot)
            variables = controller.GetCBufferVariableContents(
                pipeline, reflection.resourceId, stage, state.GetShaderEntryPoint(stage), slot, buffer, offset, size)
            members: dict[str, np.ndarray] = {}
            _flatten(variables, "", members)
            blocks.append(BoundBlock(stage_name, slot, block.name, members, bool(block.bufferBacked)))
    return blocks


def block_member(controller: Any, block: str, member: str) -> np.ndarray | None:
    """The value of `member` of constant block `block` at the current event, as the vertex shader (else the pixel
    shader) binds it; None when neither binds it."""
    for found in bound_blocks(controller, ("Vertex", "Pixel"), {block}):
        if member in found.members:
            return found.members[member]
    return None


def _flatten(variables: Any, prefix: str, out: dict[str, np.ndarray]) -> None:
    """Struct members as `outer.inner`, array elements as RenderDoc names them (`lights[0]`)."""
    for variable in variables:
        name = variable.name if not prefix or variable.name.startswith(prefix) else f"{prefix}.{variable.name}"
        if len(variable.members):
            _flatten(variable.members, name, out)
        else:
            out[name] = _values(variable)


def _values(variable: Any) -> np.ndarray:
    rows, columns = max(variable.rows, 1), max(variable.columns, 1)
    kind = str(getattr(variable.type, "name", variable.type))
    field = "s32v" if kind.startswith("S") else "u32v" if kind.startswith(("U", "Bool")) else \
        "f64v" if kind == "Double" else "f32v"
    values = np.array(getattr(variable.value, field)[: rows * columns])
    return values.reshape(rows, columns)
