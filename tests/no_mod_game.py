"""A game with no mod for the trigger-mode tests: an SDL window with an OpenGL context, a moving triangle,
30 frames a second, each presented with SDL_GL_SwapWindow (RenderDoc's frame boundary).

    python tests/no_mod_game.py [--frames N] [--size WxH]

Needs an X display (the tests start one with --virtual-display).
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import moderngl  # noqa: E402
import numpy as np  # noqa: E402
import pygame  # noqa: E402

VERTEX = "#version 330\nin vec2 p; uniform float t; void main() { gl_Position = vec4(p * 0.8 + vec2(sin(t) * 0.1, 0), 0, 1); }"
FRAGMENT = "#version 330\nout vec4 colour; void main() { colour = vec4(1.0, 0.5, 0.2, 1.0); }"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=100000)
    parser.add_argument("--size", default="160x90")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    pygame.display.init()
    pygame.display.gl_set_attribute(pygame.GL_CONTEXT_MAJOR_VERSION, 3)
    pygame.display.gl_set_attribute(pygame.GL_CONTEXT_MINOR_VERSION, 3)
    pygame.display.gl_set_attribute(pygame.GL_CONTEXT_PROFILE_MASK, pygame.GL_CONTEXT_PROFILE_CORE)
    pygame.display.set_mode((width, height), pygame.OPENGL | pygame.DOUBLEBUF)
    gl = moderngl.create_context()
    program = gl.program(vertex_shader=VERTEX, fragment_shader=FRAGMENT)
    triangle = gl.vertex_array(program, gl.buffer(np.array([-1, -1, 1, -1, 0, 1], "f4")), "p")
    clock = pygame.time.Clock()
    for frame in range(args.frames):
        pygame.event.pump()
        gl.clear(0.1, 0.2, 0.3)
        program["t"] = frame * 0.1
        triangle.render()
        pygame.display.flip()
        clock.tick(30)


if __name__ == "__main__":
    main()
