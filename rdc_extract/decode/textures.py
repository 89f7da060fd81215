"""Decode the raw bytes of ``GetTextureData`` into numpy images.

Input: the bytes RenderDoc's ``controller.GetTextureData(id, Subresource(0, 0, 0))``
returns for one 2D subresource, tightly packed, little-endian, plus a
``TextureDesc``. Output arrays always have row 0 = top of the image: OpenGL
readbacks come bottom-up and are flipped here; Vulkan and D3D readbacks are
already top-down. Colour channels are always returned in R, G, B, A order
(BGRA formats are swizzled).

Depth-stencil byte layouts depend on the API that recorded the capture; they
follow RenderDoc's replay code (``GLReplay::GetTextureData`` reads with
``glGetTexImage`` and the type from ``GetDataType``; ``VulkanReplay::GetTextureData``
copies depth and stencil aspects separately and re-interleaves them; D3D returns
the DXGI layout) and the layouts checked on this project's machines (see
``docs/decoding.md``).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from rdc_extract.decode.formats import TextureDesc, TextureFormat, typed_view
from rdc_extract.errors import TextureDataMismatch, UnsupportedFormat

_U24_MAX = float(2**24 - 1)
_U32_MAX = float(2**32 - 1)

_REGULAR_DTYPES: dict[tuple[str, int], str] = {
    ("UNorm", 1): "<u1",
    ("UNorm", 2): "<u2",
    ("UNormSRGB", 1): "<u1",
    ("SNorm", 1): "<i1",
    ("SNorm", 2): "<i2",
    ("UInt", 1): "<u1",
    ("UInt", 2): "<u2",
    ("UInt", 4): "<u4",
    ("SInt", 1): "<i1",
    ("SInt", 2): "<i2",
    ("SInt", 4): "<i4",
    ("Float", 2): "<f2",
    ("Float", 4): "<f4",
}

#: What the decoders accept, for error messages and docs.
SUPPORTED_FORMATS: tuple[str, ...] = (
    "Regular R/RG/RGB/RGBA (and BGR/BGRA) with UNorm or UNormSRGB 8-bit, UNorm 16-bit,"
    " SNorm 8/16-bit, Float 16/32-bit (decode_color); UInt/SInt 8/16/32-bit (decode_integer)",
    "R10G10B10A2_UNORM / B10G10R10A2_UNORM (decode_color), R10G10B10A2_UINT (decode_integer)",
    "R11G11B10_FLOAT (decode_color)",
    "typeless colour formats, read as 8-bit UNorm or 16/32-bit Float (decode_color)",
    "D16, D24, D32, D24S8, D32S8, D16S8 (Vulkan only) (decode_depth_stencil)",
    "S8 (decode_stencil)",
)


def _unsupported(fmt: TextureFormat, why: str) -> UnsupportedFormat:
    listing = "; ".join(SUPPORTED_FORMATS)
    return UnsupportedFormat(
        f"cannot decode texture format {fmt.name!r} (layout {fmt.layout}, "
        f"{fmt.component_type} x{fmt.component_count}, {fmt.component_bytes} bytes each): "
        f"{why}. Supported: {listing}"
    )


def bytes_per_pixel(fmt: TextureFormat, api: str) -> int:
    """Bytes one pixel of ``fmt`` takes in ``GetTextureData``'s output for ``api``.

    Differs from ``ResourceFormat.ElementSize()`` for formats RenderDoc reads
    back padded: D24 (4 bytes), D32S8 (8 bytes), D16S8 (4 bytes, Vulkan).
    """
    layout = fmt.layout
    if layout == "Regular":
        if fmt.component_type == "Depth":
            if fmt.component_bytes not in (2, 3, 4):
                raise _unsupported(fmt, "unknown depth width")
            return 2 if fmt.component_bytes == 2 else 4
        if fmt.component_bytes <= 0 or not 1 <= fmt.component_count <= 4:
            raise _unsupported(fmt, "component count/width out of range")
        return fmt.component_count * fmt.component_bytes
    if layout in ("R10G10B10A2", "R11G11B10", "D24S8"):
        return 4
    if layout == "D32S8":
        return 8
    if layout == "D16S8":
        if api != "Vulkan":
            raise _unsupported(fmt, f"D16S8 readback layout is only known for Vulkan, not {api}")
        return 4
    if layout == "S8":
        return 1
    raise _unsupported(fmt, f"layout {layout} is not decoded")


def _pixels(raw: bytes, desc: TextureDesc, dtype: np.dtype | str, per_pixel: int) -> np.ndarray:
    """View ``raw`` as (H, W, per_pixel) of ``dtype``, top row first. No copy unless flipped later."""
    dtype = np.dtype(dtype)
    bpp = bytes_per_pixel(desc.format, desc.api)
    expected = desc.width * desc.height * bpp
    if dtype.itemsize * per_pixel != bpp:
        raise AssertionError(f"internal: {dtype} x{per_pixel} != {bpp} bytes per pixel")
    got = memoryview(raw).nbytes
    # RenderDoc 1.24 returns Vulkan D24S8 as W*H uint32 words followed by W*H
    # padding bytes (docs/tiny_captures.md): the words are all we read.
    padding = desc.width * desc.height if desc.api == "Vulkan" and desc.format.layout == "D24S8" else 0
    if got not in (expected, expected + padding):
        raise TextureDataMismatch(
            f"texture data for {desc.format.name} {desc.width}x{desc.height} ({desc.api}) "
            f"should be {expected} bytes ({bpp} bytes per pixel), got {got}"
        )
    arr = np.frombuffer(raw, dtype=dtype, count=desc.height * desc.width * per_pixel)
    arr = arr.reshape(desc.height, desc.width, per_pixel)
    if desc.api == "OpenGL":
        arr = arr[::-1]
    return arr


def pixel_bytes(raw: bytes, desc: TextureDesc) -> np.ndarray:
    """The raw bytes of each pixel as uint8 (H, W, bytes per pixel), top row first: what draw-id
    differencing compares, for any format the decoders know the layout of."""
    return _pixels(raw, desc, np.uint8, bytes_per_pixel(desc.format, desc.api))


def _swizzle_bgra(arr: np.ndarray, fmt: TextureFormat) -> np.ndarray:
    if fmt.bgra and arr.shape[-1] >= 3:
        out = np.empty(arr.shape, dtype=arr.dtype)
        for channel, stored in enumerate([2, 1, 0] + list(range(3, arr.shape[-1]))):
            out[..., channel] = arr[..., stored]  # plane by plane: decode/channels.py says why
        return out
    return np.ascontiguousarray(arr)


def _typed(desc: TextureDesc) -> TextureDesc:
    typed = typed_view(desc.format)
    return desc if typed is desc.format else dataclasses.replace(desc, format=typed)


def decode_color(raw: bytes, desc: TextureDesc) -> np.ndarray:
    """Decode a colour texture to float32 ``(H, W, C)``, C = component count, R,G,B,A order.

    Values are the *stored* values: UNorm and sRGB formats map to 0..1 without
    any sRGB-to-linear conversion (``desc.format.srgb`` tells the caller; use
    ``srgb_to_linear`` to linearise), SNorm to -1..1, Float formats unchanged
    (may exceed 1, be negative, inf or NaN). Integer formats are refused: use
    ``decode_integer``.

    Typeless formats are read as their ``typed_view`` (8-bit UNorm, 16/32-bit Float).

    Raises ``UnsupportedFormat`` for formats not listed in ``SUPPORTED_FORMATS``
    and ``TextureDataMismatch`` when ``raw`` has the wrong size.
    """
    desc = _typed(desc)
    fmt = desc.format
    if fmt.layout == "Regular":
        ct, width = fmt.component_type, fmt.component_bytes
        if ct in ("UInt", "SInt"):
            raise _unsupported(fmt, "integer format: use decode_integer")
        if ct == "Depth":
            raise _unsupported(fmt, "depth format: use decode_depth_stencil")
        dtype = _REGULAR_DTYPES.get((ct, width))
        if dtype is None:
            raise _unsupported(fmt, f"no colour decoder for {ct} with {width}-byte components")
        arr = _pixels(raw, desc, dtype, fmt.component_count)
        arr = _swizzle_bgra(arr, fmt)
        if ct == "Float":
            return arr.astype(np.float32)
        if ct in ("UNorm", "UNormSRGB"):
            return np.divide(arr, np.float32(np.iinfo(arr.dtype).max), dtype=np.float32)
        scaled = np.divide(arr, np.float32(np.iinfo(arr.dtype).max), dtype=np.float32)
        return np.maximum(scaled, np.float32(-1.0))
    if fmt.layout == "R10G10B10A2":
        if fmt.component_type != "UNorm":
            raise _unsupported(fmt, "only the UNorm variant decodes to float; use decode_integer")
        return _unpack_10_10_10_2(raw, desc, np.float32)
    if fmt.layout == "R11G11B10":
        return _decode_r11g11b10(raw, desc)
    raise _unsupported(fmt, f"layout {fmt.layout} is not a colour layout decode_color reads")


def decode_color_u8(raw: bytes, desc: TextureDesc) -> np.ndarray:
    """Decode an 8-bit UNorm/sRGB colour texture to uint8 ``(H, W, C)`` without rounding loss.

    For writing PNGs bit-exactly: the stored bytes, reordered to R,G,B,A and
    flipped to top-down. sRGB formats stay sRGB-encoded (what PNG viewers expect).
    """
    desc = _typed(desc)
    fmt = desc.format
    if fmt.layout != "Regular" or fmt.component_type not in ("UNorm", "UNormSRGB") or fmt.component_bytes != 1:
        raise _unsupported(fmt, "decode_color_u8 needs an 8-bit UNorm or sRGB format")
    return _swizzle_bgra(_pixels(raw, desc, "<u1", fmt.component_count), fmt)


def decode_color_f16(raw: bytes, desc: TextureDesc) -> np.ndarray:
    """Decode a 16-bit float colour texture to float16 ``(H, W, C)``: ``decode_color`` narrowed back to float16,
    without widening it to float32 first (every float16 value, NaN payloads included, survives that round trip).
    """
    desc = _typed(desc)
    fmt = desc.format
    if fmt.layout != "Regular" or fmt.component_type != "Float" or fmt.component_bytes != 2:
        raise _unsupported(fmt, "decode_color_f16 needs a 16-bit float format")
    return _swizzle_bgra(_pixels(raw, desc, "<f2", fmt.component_count), fmt)


def decode_integer(raw: bytes, desc: TextureDesc) -> np.ndarray:
    """Decode an integer texture (``*_UINT``/``*_SINT``) to ``(H, W, C)`` in its native dtype.

    R8UI → uint8, R16UI → uint16, R32UI → uint32, SInt likewise signed;
    R10G10B10A2_UINT → uint16 with channels R,G,B,A (A in 0..3).
    """
    fmt = desc.format
    if fmt.layout == "Regular" and fmt.component_type in ("UInt", "SInt"):
        dtype = _REGULAR_DTYPES.get((fmt.component_type, fmt.component_bytes))
        if dtype is None:
            raise _unsupported(fmt, "no integer decoder for this component width")
        arr = _pixels(raw, desc, dtype, fmt.component_count)
        return _swizzle_bgra(arr, fmt).astype(dtype[1:], copy=False)
    if fmt.layout == "R10G10B10A2" and fmt.component_type == "UInt":
        return _unpack_10_10_10_2(raw, desc, np.uint16)
    raise _unsupported(fmt, "decode_integer reads UInt/SInt formats only")


def _unpack_10_10_10_2(raw: bytes, desc: TextureDesc, dtype: type = np.uint16) -> np.ndarray:
    """(H, W, 4) R,G,B,A from the DXGI/GL ``2_10_10_10_REV`` packing (R in bits 0-9): the integer values, or
    for a float ``dtype`` the UNorm values (integer / 1023, alpha / 3, divided in ``dtype``)."""
    u = _pixels(raw, desc, "<u4", 1)[..., 0]
    out = np.empty(u.shape + (4,), dtype=dtype)
    r, b = (2, 0) if desc.format.bgra else (0, 2)
    unorm = np.issubdtype(dtype, np.floating)
    values = np.empty(u.shape, dtype=u.dtype)  # one plane for every channel's bits: half the CPU of a new one each
    for channel, shift, top in ((r, 0, 1023), (1, 10, 1023), (b, 20, 1023), (3, 30, 3)):
        np.right_shift(u, shift, out=values)
        np.bitwise_and(values, top, out=values)
        if unorm:
            np.divide(values, dtype(top), out=out[..., channel], dtype=dtype)
        else:
            out[..., channel] = values
    return out


def _decode_r11g11b10(raw: bytes, desc: TextureDesc) -> np.ndarray:
    """Unsigned 11/11/10-bit floats (R bits 0-10, G 11-21, B 22-31) to float32 (H, W, 3).

    Each small float has a 5-bit exponent with bias 15, like IEEE half, and a 6-
    or 5-bit mantissa: shifting it into a half's bit positions converts it exactly,
    infinities and NaNs included.
    """
    u = _pixels(raw, desc, "<u4", 1)[..., 0]
    half_bits = np.empty(u.shape + (3,), dtype=np.uint16)
    half_bits[..., 0] = (u & 0x7FF) << 4
    half_bits[..., 1] = ((u >> 11) & 0x7FF) << 4
    half_bits[..., 2] = ((u >> 22) & 0x3FF) << 5
    return half_bits.view(np.float16).astype(np.float32)


def decode_depth_stencil(raw: bytes, desc: TextureDesc) -> tuple[np.ndarray, np.ndarray | None]:
    """Decode a depth or depth-stencil texture.

    Returns ``(depth, stencil)``: ``depth`` float32 ``(H, W)`` window-space depth
    as stored (0..1 for UNorm formats; D32 float as written, not linearised, see
    ``rdc_extract.decode.depth``), ``stencil`` uint8 ``(H, W)`` or ``None`` for
    formats without stencil.

    Layouts (u = little-endian uint32 of the pixel):

    - D16: uint16 / 65535.
    - D24: OpenGL reads ``GL_DEPTH_COMPONENT24`` as ``GL_UNSIGNED_INT``,
      i.e. u / (2^32 - 1); Vulkan/D3D: (u & 0xFFFFFF) / (2^24 - 1).
    - D32: float32. (OpenGL's rare unorm ``GL_DEPTH_COMPONENT32`` has the same
      RenderDoc name "D32" and cannot be told apart here; it is read as float.)
    - D24S8: OpenGL depth = (u >> 8) / (2^24 - 1), stencil = u & 0xFF;
      Vulkan/D3D depth = (u & 0xFFFFFF) / (2^24 - 1), stencil = u >> 24.
    - D32S8: 8 bytes, float32 depth then uint32 whose low byte is the stencil (all APIs).
    - D16S8 (Vulkan): uint16 depth / 65535 then uint16 stencil.
    """
    fmt = desc.format
    api = desc.api
    if fmt.layout == "Regular" and fmt.component_type == "Depth":
        if fmt.component_bytes == 2:
            d = _pixels(raw, desc, "<u2", 1)[..., 0]
            return np.divide(d, np.float32(65535.0), dtype=np.float32), None
        if fmt.component_bytes == 3:
            u = _pixels(raw, desc, "<u4", 1)[..., 0]
            if api == "OpenGL":
                return (u / _U32_MAX).astype(np.float32), None
            return ((u & 0xFFFFFF) / _U24_MAX).astype(np.float32), None
        if fmt.component_bytes == 4:
            return np.ascontiguousarray(_pixels(raw, desc, "<f4", 1)[..., 0], dtype=np.float32), None
        raise _unsupported(fmt, "unknown depth width")
    if fmt.layout == "D24S8":
        u = _pixels(raw, desc, "<u4", 1)[..., 0]
        if api == "OpenGL":
            depth_bits, stencil = u >> 8, u & 0xFF
        else:
            depth_bits, stencil = u & 0xFFFFFF, u >> 24
        depth = np.divide(depth_bits, np.float32(_U24_MAX), dtype=np.float32)
        return depth, _stencil_or_none(fmt, stencil)
    if fmt.layout == "D32S8":
        u = _pixels(raw, desc, "<u4", 2)
        depth = np.ascontiguousarray(u[..., 0]).view(np.float32)
        return depth, _stencil_or_none(fmt, u[..., 1] & 0xFF)
    if fmt.layout == "D16S8":
        u = _pixels(raw, desc, "<u2", 2)
        depth = np.divide(u[..., 0], np.float32(65535.0), dtype=np.float32)
        return depth, _stencil_or_none(fmt, u[..., 1] & 0xFF)
    raise _unsupported(fmt, "not a depth format")


def _stencil_or_none(fmt: TextureFormat, stencil: np.ndarray) -> np.ndarray | None:
    """Stencil as uint8, or None for depth-only views of a depth-stencil layout (1 component)."""
    if fmt.component_count == 1:
        return None
    return np.ascontiguousarray(stencil, dtype=np.uint8)


def decode_stencil(raw: bytes, desc: TextureDesc) -> np.ndarray:
    """Stencil only, uint8 ``(H, W)``: from an S8 texture or any depth-stencil layout."""
    fmt = desc.format
    if fmt.layout == "S8":
        return np.ascontiguousarray(_pixels(raw, desc, "<u1", 1)[..., 0])
    _, stencil = decode_depth_stencil(raw, desc)
    if stencil is None:
        raise _unsupported(fmt, "format has no stencil")
    return stencil


def srgb_to_linear(values: np.ndarray) -> np.ndarray:
    """sRGB-encoded 0..1 values to linear 0..1 (IEC 61966-2-1 piecewise curve), float32, same shape."""
    v = np.asarray(values, dtype=np.float32)
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4).astype(np.float32)


def linear_to_srgb(values: np.ndarray) -> np.ndarray:
    """Linear 0..1 values to sRGB-encoded 0..1 (inverse of ``srgb_to_linear``), float32, same shape."""
    v = np.clip(np.asarray(values, dtype=np.float32), 0.0, None)
    return np.where(v <= 0.0031308, v * 12.92, 1.055 * v ** (1.0 / 2.4) - 0.055).astype(np.float32)
