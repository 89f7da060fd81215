"""Smallest capturable OpenGL frame: a clear and one triangle into a 64x64 RGBA8 target.

Run under RenderDoc (``renderdoccmd capture -w -d DIR -c TEMPLATE python gl_triangle.py
[TEMPLATE]``), the frame between the in-app Start/EndFrameCapture calls becomes
``TEMPLATE_frame<N>.rdc``. ``rdc-extract doctor`` replays the result to prove that
OpenGL replay works. Headless: a standalone moderngl context on EGL, no window.

Known content (top-down, row 0 = top): clear colour (0.1, 0.2, 0.3, 1.0); a
triangle with vertex colours red/green/blue covering the lower-left half of the
image up to the anti-diagonal (vertices at clip (-1,-1), (1,-1), (-1,1)).
"""

from __future__ import annotations

import sys

import moderngl
import numpy as np

from rdc_extract.rd.inapp import InAppApi, report_capture

SIZE = 64
CLEAR_RGBA = (0.1, 0.2, 0.3, 1.0)

_VERTEX = """
#version 330 core
in vec2 in_pos;
in vec3 in_color;
out vec3 v_color;
void main() { v_color = in_color; gl_Position = vec4(in_pos, 0.5, 1.0); }
"""
_FRAGMENT = """
#version 330 core
in vec3 v_color;
out vec4 f_color;
void main() { f_color = vec4(v_color, 1.0); }
"""


def main(argv: list[str]) -> int:
    api = InAppApi()
    if len(argv) > 1:
        api.set_capture_path_template(argv[1])
    ctx = moderngl.create_standalone_context(backend="egl", require=330)
    try:
        program = ctx.program(vertex_shader=_VERTEX, fragment_shader=_FRAGMENT)
        vertices = np.array(
            [-1, -1, 1, 0, 0,
             1, -1, 0, 1, 0,
             -1, 1, 0, 0, 1], dtype="f4")
        vbo = ctx.buffer(vertices.tobytes())
        vao = ctx.vertex_array(program, [(vbo, "2f 3f", "in_pos", "in_color")])
        colour = ctx.texture((SIZE, SIZE), 4, dtype="f1")
        colour.label = "tiny.triangle.colour"
        fbo = ctx.framebuffer(color_attachments=[colour])

        api.start_frame_capture()
        fbo.use()
        ctx.viewport = (0, 0, SIZE, SIZE)
        fbo.clear(*CLEAR_RGBA)
        vao.render(moderngl.TRIANGLES)
        ctx.finish()
        written = api.end_frame_capture()
    finally:
        ctx.release()
    return report_capture(api, written, "gl_triangle")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
