"""Known values in every texture format games render to, in one captured OpenGL frame.

Each texture is W x H (16 x 8, not square so width/height swaps show) and is
written with four scissored clears, one per quadrant, so every pixel's stored
value is known exactly and row/column order can be checked. GL clears the
quadrants in its own bottom-up window coordinates; the table below (and the
JSON written from it) speaks top-down: row 0 is the top of the image.

Textures are made with glTexStorage2D and named with glObjectLabel
("fmt.RGBA8", ...) so a replay can find them by name. All GL calls outside
moderngl go through function pointers from libEGL's eglGetProcAddress: RenderDoc
hooks that path (calls through PyOpenGL were missing from captures).

Run under RenderDoc:
    renderdoccmd capture -w -d DIR -c TEMPLATE python samples/tiny/gl_formats.py [TEMPLATE]
Write the expected values (no GL needed):
    python samples/tiny/gl_formats.py --write-expected samples/tiny/gl_formats_expected.json
"""

from __future__ import annotations

import ctypes
import json
import sys
from dataclasses import dataclass
from pathlib import Path

WIDTH = 16
HEIGHT = 8

# Quadrants as [x0, y0, x1, y1), top-down pixel coordinates.
REGIONS = {
    "top_left": (0, 0, WIDTH // 2, HEIGHT // 2),
    "top_right": (WIDTH // 2, 0, WIDTH, HEIGHT // 2),
    "bottom_left": (0, HEIGHT // 2, WIDTH // 2, HEIGHT),
    "bottom_right": (WIDTH // 2, HEIGHT // 2, WIDTH, HEIGHT),
}

GL_INTERNAL_FORMATS = {
    "GL_RGBA8": 0x8058,
    "GL_SRGB8_ALPHA8": 0x8C43,
    "GL_RGB10_A2": 0x8059,
    "GL_R11F_G11F_B10F": 0x8C3A,
    "GL_RGBA16F": 0x881A,
    "GL_RGBA32F": 0x8814,
    "GL_R8": 0x8229,
    "GL_R16": 0x822A,
    "GL_R32F": 0x822E,
    "GL_DEPTH_COMPONENT16": 0x81A5,
    "GL_DEPTH_COMPONENT24": 0x81A6,
    "GL_DEPTH24_STENCIL8": 0x88F0,
    "GL_DEPTH_COMPONENT32F": 0x8CAC,
    "GL_DEPTH32F_STENCIL8": 0x8CAD,
}


@dataclass(frozen=True)
class FormatCase:
    """One texture: `stored` maps region -> the value held in memory per channel.

    kind: "unorm" (stored are integers of `bits` bits; the GL value is n / (2^bits - 1)),
    "float" (stored are the float values themselves, exactly representable),
    "depth" / "depth_stencil" (stored is a depth in [0, 1] or (depth, stencil)).
    For RGB10_A2, `bits` is per channel (10, 10, 10, 2).
    """

    label: str
    internal_format: str
    kind: str
    channels: str
    bits: tuple[int, ...]
    stored: dict[str, tuple]

    def gl_value(self, region: str) -> tuple[float, ...]:
        """The clear value that produces `stored[region]`."""
        values = self.stored[region]
        if self.kind == "unorm":
            return tuple(v / ((1 << b) - 1) for v, b in zip(values, self.bits))
        return tuple(float(v) for v in values)


def _quadrants(tl, tr, bl, br) -> dict[str, tuple]:
    return {"top_left": tl, "top_right": tr, "bottom_left": bl, "bottom_right": br}


_DEPTHS = (0.25, 0.75, 0.125, 1.0)
_STENCILS = (0x82, 0x05, 0x00, 0xFF)

CASES: tuple[FormatCase, ...] = (
    FormatCase("fmt.RGBA8", "GL_RGBA8", "unorm", "rgba", (8, 8, 8, 8),
               _quadrants((51, 102, 153, 204), (255, 0, 0, 255), (0, 255, 0, 128), (0, 0, 255, 0))),
    # Bytes as stored (GL_FRAMEBUFFER_SRGB is off while clearing, so no encoding happens).
    FormatCase("fmt.SRGB8_ALPHA8", "GL_SRGB8_ALPHA8", "unorm", "rgba", (8, 8, 8, 8),
               _quadrants((51, 102, 153, 204), (10, 128, 250, 255), (255, 255, 255, 1), (0, 0, 0, 0))),
    FormatCase("fmt.RGB10_A2", "GL_RGB10_A2", "unorm", "rgba", (10, 10, 10, 2),
               _quadrants((256, 512, 768, 3), (1023, 0, 100, 0), (0, 1023, 0, 1), (511, 1, 1022, 2))),
    FormatCase("fmt.R11F_G11F_B10F", "GL_R11F_G11F_B10F", "float", "rgb", (11, 11, 10),
               _quadrants((3.5, 0.25, 1.0), (0.0, 64.0, 0.5), (100.0, 0.125, 2.0), (1.0, 1.0, 1.0))),
    FormatCase("fmt.RGBA16F", "GL_RGBA16F", "float", "rgba", (16, 16, 16, 16),
               _quadrants((3.5, -2.0, 0.25, 1.0), (1000.0, 0.5, -0.125, 0.0),
                          (65504.0, 0.0, 1.0, 0.5), (0.75, 1.5, 2.25, 0.0625))),
    # float32 values: 0.2 etc. are stored as the nearest float32 (compare as float32).
    FormatCase("fmt.RGBA32F", "GL_RGBA32F", "float", "rgba", (32, 32, 32, 32),
               _quadrants((0.2, 0.4, 0.6, 0.8), (3.5, -1.0, 1.0e6, 1.0),
                          (-0.5, 1.0e-3, 123.456, 0.0), (1.0, 1.0, 1.0, 1.0))),
    FormatCase("fmt.R8", "GL_R8", "unorm", "r", (8,), _quadrants((51,), (204,), (0,), (255,))),
    FormatCase("fmt.R16", "GL_R16", "unorm", "r", (16,), _quadrants((1000,), (40000,), (65535,), (0,))),
    FormatCase("fmt.R32F", "GL_R32F", "float", "r", (32,), _quadrants((0.25,), (0.75,), (-1.5,), (12345.678,))),
    FormatCase("fmt.DEPTH_COMPONENT16", "GL_DEPTH_COMPONENT16", "depth", "d", (16,),
               _quadrants(*[(d,) for d in _DEPTHS])),
    FormatCase("fmt.DEPTH_COMPONENT24", "GL_DEPTH_COMPONENT24", "depth", "d", (24,),
               _quadrants(*[(d,) for d in _DEPTHS])),
    FormatCase("fmt.DEPTH24_STENCIL8", "GL_DEPTH24_STENCIL8", "depth_stencil", "ds", (24, 8),
               _quadrants(*zip(_DEPTHS, _STENCILS))),
    FormatCase("fmt.DEPTH_COMPONENT32F", "GL_DEPTH_COMPONENT32F", "depth", "d", (32,),
               _quadrants(*[(d,) for d in _DEPTHS])),
    FormatCase("fmt.DEPTH32F_STENCIL8", "GL_DEPTH32F_STENCIL8", "depth_stencil", "ds", (32, 8),
               _quadrants(*zip(_DEPTHS, _STENCILS))),
)


def expected_description() -> dict:
    """The JSON-able description of what the captured frame leaves in each texture."""
    textures = []
    for case in CASES:
        regions = []
        for name, rect in REGIONS.items():
            region = {"name": name, "rect": list(rect)}
            stored = case.stored[name]
            if case.kind in ("depth", "depth_stencil"):
                region["depth"] = stored[0]
                depth_bits = case.bits[0]
                if depth_bits in (16, 24):
                    region["depth_unorm"] = round(stored[0] * ((1 << depth_bits) - 1))
                if case.kind == "depth_stencil":
                    region["stencil"] = stored[1]
            elif case.kind == "unorm":
                region["stored"] = list(stored)
                region["value"] = [round(v, 9) for v in case.gl_value(name)]
            else:
                region["value"] = list(stored)
            regions.append(region)
        textures.append({
            "label": case.label,
            "gl_internal_format": case.internal_format,
            "gl_enum": GL_INTERNAL_FORMATS[case.internal_format],
            "kind": case.kind,
            "channels": case.channels,
            "bits": list(case.bits),
            "width": WIDTH,
            "height": HEIGHT,
            "regions": regions,
        })
    return {
        "capture": "gl_formats.rdc",
        "api": "OpenGL",
        "program": "samples/tiny/gl_formats.py",
        "convention": "rect = [x0, y0, x1, y1) in pixels, top-down: row 0 is the top of the image",
        "notes": {
            "unorm": "stored = integer in memory; value = stored / (2^bits - 1)",
            "float": "value = the float held in memory (exact for 16F/11F/10F; nearest float32 for 32F)",
            "depth": "depth in [0, 1]; depth_unorm = round(depth * (2^bits - 1)) for 16/24-bit depth",
            "srgb": "SRGB8_ALPHA8 stored bytes are raw (no encoding applied when written)",
        },
        "textures": textures,
    }


# ---- GL through eglGetProcAddress (the path RenderDoc hooks) ----

GL_TEXTURE = 0x1702
GL_TEXTURE_2D = 0x0DE1
GL_TEXTURE_MIN_FILTER = 0x2801
GL_TEXTURE_MAG_FILTER = 0x2800
GL_NEAREST = 0x2600
GL_FRAMEBUFFER = 0x8D40
GL_FRAMEBUFFER_COMPLETE = 0x8CD5
GL_COLOR_ATTACHMENT0 = 0x8CE0
GL_DEPTH_ATTACHMENT = 0x8D00
GL_DEPTH_STENCIL_ATTACHMENT = 0x821A
GL_NONE = 0
GL_COLOR = 0x1800
GL_DEPTH = 0x1801
GL_DEPTH_STENCIL = 0x84F9
GL_SCISSOR_TEST = 0x0C11
GL_FRAMEBUFFER_SRGB = 0x8DB9
GL_DITHER = 0x0BD0

_u = ctypes.c_uint
_i = ctypes.c_int
_f = ctypes.c_float
_SIGNATURES = {
    "glGenTextures": (None, _i, ctypes.POINTER(_u)),
    "glBindTexture": (None, _u, _u),
    "glTexStorage2D": (None, _u, _i, _u, _i, _i),
    "glTexParameteri": (None, _u, _u, _i),
    "glObjectLabel": (None, _u, _u, _i, ctypes.c_char_p),
    "glGenFramebuffers": (None, _i, ctypes.POINTER(_u)),
    "glBindFramebuffer": (None, _u, _u),
    "glFramebufferTexture2D": (None, _u, _u, _u, _u, _i),
    "glCheckFramebufferStatus": (_u, _u),
    "glDrawBuffer": (None, _u),
    "glReadBuffer": (None, _u),
    "glEnable": (None, _u),
    "glDisable": (None, _u),
    "glScissor": (None, _i, _i, _i, _i),
    "glViewport": (None, _i, _i, _i, _i),
    "glDepthMask": (None, ctypes.c_ubyte),
    "glStencilMask": (None, _u),
    "glColorMask": (None, ctypes.c_ubyte, ctypes.c_ubyte, ctypes.c_ubyte, ctypes.c_ubyte),
    "glClearBufferfv": (None, _u, _i, ctypes.POINTER(_f)),
    "glClearBufferfi": (None, _u, _i, _f, _i),
    "glFinish": (None,),
    "glGetError": (_u,),
}


class _GL:
    """GL entry points resolved with libEGL's eglGetProcAddress (needs a current context)."""

    def __init__(self) -> None:
        egl = ctypes.CDLL("libEGL.so.1")
        egl.eglGetProcAddress.restype = ctypes.c_void_p
        egl.eglGetProcAddress.argtypes = [ctypes.c_char_p]
        for name, (restype, *argtypes) in _SIGNATURES.items():
            address = egl.eglGetProcAddress(name.encode())
            if not address:
                raise RuntimeError(f"eglGetProcAddress({name}) returned NULL")
            setattr(self, name, ctypes.CFUNCTYPE(restype, *argtypes)(address))

    def check(self, what: str) -> None:
        error = self.glGetError()
        if error:
            raise RuntimeError(f"GL error 0x{error:04X} after {what}")


def _attachment(case: FormatCase) -> int:
    if case.kind == "depth":
        return GL_DEPTH_ATTACHMENT
    if case.kind == "depth_stencil":
        return GL_DEPTH_STENCIL_ATTACHMENT
    return GL_COLOR_ATTACHMENT0


def _make_target(gl: _GL, case: FormatCase) -> int:
    texture = _u()
    gl.glGenTextures(1, ctypes.byref(texture))
    gl.glBindTexture(GL_TEXTURE_2D, texture)
    gl.glTexStorage2D(GL_TEXTURE_2D, 1, GL_INTERNAL_FORMATS[case.internal_format], WIDTH, HEIGHT)
    gl.glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST)
    gl.glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST)
    gl.glObjectLabel(GL_TEXTURE, texture, -1, case.label.encode())
    gl.glBindTexture(GL_TEXTURE_2D, 0)
    framebuffer = _u()
    gl.glGenFramebuffers(1, ctypes.byref(framebuffer))
    gl.glBindFramebuffer(GL_FRAMEBUFFER, framebuffer)
    gl.glFramebufferTexture2D(GL_FRAMEBUFFER, _attachment(case), GL_TEXTURE_2D, texture, 0)
    if case.kind in ("depth", "depth_stencil"):
        gl.glDrawBuffer(GL_NONE)
        gl.glReadBuffer(GL_NONE)
    status = gl.glCheckFramebufferStatus(GL_FRAMEBUFFER)
    if status != GL_FRAMEBUFFER_COMPLETE:
        raise RuntimeError(f"{case.internal_format}: framebuffer incomplete (0x{status:04X})")
    gl.check(f"creating {case.label}")
    return framebuffer.value


def _write_known_values(gl: _GL, case: FormatCase, framebuffer: int) -> None:
    gl.glBindFramebuffer(GL_FRAMEBUFFER, framebuffer)
    gl.glViewport(0, 0, WIDTH, HEIGHT)
    for name, (x0, y0, x1, y1) in REGIONS.items():
        # GL window coordinates are bottom-up: top-down row y0 is GL row HEIGHT - y1.
        gl.glScissor(x0, HEIGHT - y1, x1 - x0, y1 - y0)
        value = case.gl_value(name)
        if case.kind == "depth":
            gl.glClearBufferfv(GL_DEPTH, 0, (_f * 1)(value[0]))
        elif case.kind == "depth_stencil":
            gl.glClearBufferfi(GL_DEPTH_STENCIL, 0, value[0], int(value[1]))
        else:
            rgba = (list(value) + [0.0, 0.0, 0.0])[:3] + [value[3] if len(value) == 4 else 1.0]
            gl.glClearBufferfv(GL_COLOR, 0, (_f * 4)(*rgba))
    gl.check(f"clearing {case.label}")


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[1] == "--write-expected":
        Path(argv[2]).write_text(json.dumps(expected_description(), indent=1) + "\n")
        return 0

    import moderngl

    from rdc_extract.rd.inapp import InAppApi, report_capture

    api = InAppApi()
    if len(argv) > 1:
        api.set_capture_path_template(argv[1])
    ctx = moderngl.create_standalone_context(backend="egl", require=450)
    try:
        gl = _GL()
        framebuffers = [_make_target(gl, case) for case in CASES]
        api.start_frame_capture()
        gl.glDisable(GL_FRAMEBUFFER_SRGB)
        gl.glDisable(GL_DITHER)
        gl.glEnable(GL_SCISSOR_TEST)
        gl.glColorMask(1, 1, 1, 1)
        gl.glDepthMask(1)
        gl.glStencilMask(0xFF)
        for case, framebuffer in zip(CASES, framebuffers):
            _write_known_values(gl, case, framebuffer)
        gl.glDisable(GL_SCISSOR_TEST)
        gl.glBindFramebuffer(GL_FRAMEBUFFER, 0)
        gl.glFinish()
        written = api.end_frame_capture()
    finally:
        ctx.release()
    return report_capture(api, written, "gl_formats")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
