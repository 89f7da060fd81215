"""Loads the GLSL sources in shaders/ (with a minimal #include) and builds programs."""

from __future__ import annotations

from pathlib import Path

import moderngl

SHADER_DIR = Path(__file__).with_name("shaders")
CAMERA_BINDING = 0
OBJECT_BINDING = 1


def source(name: str) -> str:
    """The text of shaders/<name>, with `#include "x"` lines replaced by shaders/x."""
    lines = []
    for line in (SHADER_DIR / name).read_text().splitlines():
        if line.startswith("#include"):
            lines.append(source(line.split('"')[1]))
        else:
            lines.append(line)
    return "\n".join(lines)


def _with_defines(text: str, defines: tuple[str, ...]) -> str:
    version, _, rest = text.partition("\n")
    return "\n".join([version, *(f"#define {d}" for d in defines), rest])


def program(ctx: moderngl.Context, vertex: str, fragment: str, defines: tuple[str, ...] = ()) -> moderngl.Program:
    """Compile a program (a permutation, with `defines`) and bind its uniform blocks to the fixed binding points."""
    prog = ctx.program(vertex_shader=_with_defines(source(vertex), defines),
                       fragment_shader=_with_defines(source(fragment), defines))
    for block, binding in (("CameraConstants", CAMERA_BINDING), ("ObjectConstants", OBJECT_BINDING)):
        if block in prog:
            prog[block].binding = binding
    return prog


def set_uniforms(prog: moderngl.Program, **values) -> None:
    """Assign uniforms the compiler kept; ones it optimised away are skipped, not errors."""
    for name, value in values.items():
        if name in prog:
            prog[name].value = value
