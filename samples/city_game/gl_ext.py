"""OpenGL entry points that moderngl does not expose, loaded so RenderDoc sees them.

moderngl 5.13 has no stencil attachment, clip control or debug markers. Calls
made through PyOpenGL bypass RenderDoc's hooks and silently vanish from a
capture, so every extra function here is a ctypes pointer obtained from
`eglGetProcAddress` of `libEGL.so.1` -- the same route moderngl's own loader
takes, which RenderDoc intercepts.
"""

from __future__ import annotations

import ctypes
from ctypes import c_char_p, c_float, c_int, c_uint, c_void_p

GL_TEXTURE_2D = 0x0DE1
GL_FRAMEBUFFER = 0x8D40
GL_DEPTH_STENCIL_ATTACHMENT = 0x821A
GL_DEPTH_ATTACHMENT = 0x8D00
GL_DEPTH32F_STENCIL8 = 0x8CAD
GL_DEPTH_COMPONENT32F = 0x8CAC
GL_SRGB8_ALPHA8 = 0x8C43
GL_RGB10_A2 = 0x8059
GL_RGBA8 = 0x8058
GL_RGBA16F = 0x881A
GL_RGBA32F = 0x8814
GL_RG16F = 0x822F
GL_DEPTH24_STENCIL8 = 0x88F0
GL_R32F = 0x822E
GL_R8UI = 0x8232
GL_R32UI = 0x8236
GL_LOWER_LEFT = 0x8CA1
GL_ZERO_TO_ONE = 0x935F
GL_STENCIL_TEST = 0x0B90
GL_ALWAYS = 0x0207
GL_EQUAL = 0x0202
GL_NOTEQUAL = 0x0205
GL_KEEP = 0x1E00
GL_REPLACE = 0x1E01
GL_DEPTH_STENCIL = 0x84F9
GL_COLOR = 0x1800
GL_DEPTH = 0x1801
GL_STENCIL_INDEX = 0x1901
GL_UNSIGNED_BYTE = 0x1401
GL_FLOAT = 0x1406
GL_DEPTH_COMPONENT = 0x1902
GL_DEBUG_SOURCE_APPLICATION = 0x824A
GL_TEXTURE = 0x1702
GL_FRAMEBUFFER_COMPLETE = 0x8CD5
GL_PACK_ALIGNMENT = 0x0D05

_SIGNATURES: dict[str, tuple] = {
    "glClipControl": (None, c_uint, c_uint),
    "glGenTextures": (None, c_int, ctypes.POINTER(c_uint)),
    "glBindTexture": (None, c_uint, c_uint),
    "glTexStorage2D": (None, c_uint, c_int, c_uint, c_int, c_int),
    "glFramebufferTexture2D": (None, c_uint, c_uint, c_uint, c_uint, c_int),
    "glCheckFramebufferStatus": (c_uint, c_uint),
    "glEnable": (None, c_uint),
    "glDisable": (None, c_uint),
    "glStencilFunc": (None, c_uint, c_int, c_uint),
    "glStencilOp": (None, c_uint, c_uint, c_uint),
    "glStencilMask": (None, c_uint),
    "glClearBufferfi": (None, c_uint, c_int, c_float, c_int),
    "glClearBufferfv": (None, c_uint, c_int, ctypes.POINTER(c_float)),
    "glClearBufferuiv": (None, c_uint, c_int, ctypes.POINTER(c_uint)),
    "glObjectLabel": (None, c_uint, c_uint, c_int, c_char_p),
    "glPushDebugGroup": (None, c_uint, c_uint, c_int, c_char_p),
    "glPopDebugGroup": (None,),
    "glReadPixels": (None, c_int, c_int, c_int, c_int, c_uint, c_uint, c_void_p),
    "glPixelStorei": (None, c_uint, c_int),
    "glFinish": (None,),
}


_current_context = None


def make_current(ctx) -> None:
    """Make a moderngl context current, only if another one is.

    A game keeps its context current for its whole life. Releasing and
    re-acquiring it every frame (``with ctx:``) made RenderDoc 1.24 store
    empty vertex-array state in every capture after the first of a process,
    so switching only happens when several games share a process (tests).
    """
    global _current_context
    if _current_context is not ctx:
        ctx.__enter__()
        _current_context = ctx


class GLExt:
    """The extra GL functions as attributes (``ext.glStencilFunc(...)``), plus helpers.

    Needs a current GL context (moderngl's) when constructed: EGL hands out
    pointers that are only meaningful for the running driver.
    """

    def __init__(self, markers: bool = True) -> None:
        egl = ctypes.CDLL("libEGL.so.1")
        egl.eglGetProcAddress.restype = c_void_p
        egl.eglGetProcAddress.argtypes = [c_char_p]
        for name, (restype, *argtypes) in _SIGNATURES.items():
            address = egl.eglGetProcAddress(name.encode())
            if not address:
                raise RuntimeError(f"the OpenGL driver does not provide {name}")
            setattr(self, name, ctypes.CFUNCTYPE(restype, *argtypes)(address))
        self.markers = markers

    def create_texture_storage(self, internal_format: int, width: int, height: int, label: str) -> int:
        """An immutable 2D texture (one mip) as real engines allocate render targets; returns its GL name."""
        name = c_uint(0)
        self.glGenTextures(1, ctypes.byref(name))
        self.glBindTexture(GL_TEXTURE_2D, name.value)
        self.glTexStorage2D(GL_TEXTURE_2D, 1, internal_format, width, height)
        self.glBindTexture(GL_TEXTURE_2D, 0)
        self.label_texture(name.value, label)
        return name.value

    def attach_depth(self, attachment: int, texture: int) -> None:
        """Attach `texture` to the currently bound framebuffer and insist it is complete."""
        self.glFramebufferTexture2D(GL_FRAMEBUFFER, attachment, GL_TEXTURE_2D, texture, 0)
        status = self.glCheckFramebufferStatus(GL_FRAMEBUFFER)
        if status != GL_FRAMEBUFFER_COMPLETE:
            raise RuntimeError(f"framebuffer incomplete after depth attachment: 0x{status:04x}")

    def clear_color_float(self, draw_buffer: int, value: tuple[float, float, float, float]) -> None:
        self.glClearBufferfv(GL_COLOR, draw_buffer, (c_float * 4)(*value))

    def clear_color_uint(self, draw_buffer: int, value: int) -> None:
        self.glClearBufferuiv(GL_COLOR, draw_buffer, (c_uint * 4)(value, 0, 0, 0))

    def label_texture(self, name: int, label: str) -> None:
        if self.markers:
            self.glObjectLabel(GL_TEXTURE, name, -1, label.encode())

    def push_group(self, name: str) -> None:
        if self.markers:
            self.glPushDebugGroup(GL_DEBUG_SOURCE_APPLICATION, 0, -1, name.encode())

    def pop_group(self) -> None:
        if self.markers:
            self.glPopDebugGroup()

    def stencil_write(self, value: int) -> None:
        """Every following fragment that passes depth writes `value` into the stencil."""
        self.glStencilFunc(GL_ALWAYS, value, 0xFF)

    def stencil_only_where(self, func: int) -> None:
        """Test (without writing) the G-buffer stencil against 0: GL_NOTEQUAL = geometry, GL_EQUAL = sky."""
        self.glEnable(GL_STENCIL_TEST)
        self.glStencilMask(0x00)
        self.glStencilFunc(func, 0, 0xFF)

    def read_depth(self, width: int, height: int) -> bytes:
        """Depth of the bound read framebuffer, bottom-up rows, float32 per pixel."""
        buffer = ctypes.create_string_buffer(width * height * 4)
        self.glPixelStorei(GL_PACK_ALIGNMENT, 4)
        self.glReadPixels(0, 0, width, height, GL_DEPTH_COMPONENT, GL_FLOAT, buffer)
        return buffer.raw

    def read_stencil(self, width: int, height: int) -> bytes:
        """Stencil of the bound read framebuffer, bottom-up rows, one byte per pixel."""
        buffer = ctypes.create_string_buffer(width * height)
        self.glPixelStorei(GL_PACK_ALIGNMENT, 1)
        self.glReadPixels(0, 0, width, height, GL_STENCIL_INDEX, GL_UNSIGNED_BYTE, buffer)
        return buffer.raw
