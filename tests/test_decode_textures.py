"""Known-value tests for rdc_extract.decode.textures: bytes packed by each format's spec with struct."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from rdc_extract.decode.formats import TextureDesc, TextureFormat, regular, special
from rdc_extract.decode.textures import (
    bytes_per_pixel,
    decode_color,
    decode_color_f16,
    decode_color_u8,
    decode_depth_stencil,
    decode_integer,
    decode_stencil,
    linear_to_srgb,
    srgb_to_linear,
)
from rdc_extract.errors import RdcExtractError, TextureDataMismatch, UnsupportedFormat

RGBA8 = regular("UNorm", 4, 1)
RGBA8_SRGB = regular("UNormSRGB", 4, 1)
BGRA8 = regular("UNorm", 4, 1, bgra=True)
RGB8 = regular("UNorm", 3, 1)


def desc(fmt, w, h, api="Vulkan"):
    return TextureDesc(width=w, height=h, format=fmt, api=api)


def test_regular_names_match_renderdoc_spelling():
    assert RGBA8.name == "R8G8B8A8_UNORM"
    assert RGBA8_SRGB.name == "R8G8B8A8_SRGB" and RGBA8_SRGB.srgb
    assert BGRA8.name == "B8G8R8A8_UNORM"
    assert RGB8.name == "R8G8B8_UNORM"
    assert regular("Float", 4, 2).name == "R16G16B16A16_FLOAT"
    assert regular("Depth", 1, 3).name == "D24"
    assert special("R11G11B10", "Float").name == "R11G11B10_FLOAT"


def test_rgba8_values_and_channel_order():
    raw = bytes([0, 51, 255, 128, 10, 20, 30, 40])
    out = decode_color(raw, desc(RGBA8, 2, 1))
    assert out.dtype == np.float32 and out.shape == (1, 2, 4)
    np.testing.assert_allclose(out[0, 0], [0.0, 0.2, 1.0, 128 / 255], rtol=0, atol=1e-7)
    np.testing.assert_array_equal(decode_color_u8(raw, desc(RGBA8, 2, 1))[0, 1], [10, 20, 30, 40])


def test_bgra8_is_swizzled_to_rgba():
    raw = bytes([1, 2, 3, 4])  # B, G, R, A in memory
    np.testing.assert_array_equal(decode_color_u8(raw, desc(BGRA8, 1, 1))[0, 0], [3, 2, 1, 4])
    np.testing.assert_allclose(decode_color(raw, desc(BGRA8, 1, 1))[0, 0] * 255, [3, 2, 1, 4], atol=1e-4)


@pytest.mark.parametrize("api", ["Vulkan", "OpenGL"])
def test_swizzled_images_are_contiguous_like_the_others(api):
    raw = np.random.default_rng(0).integers(0, 256, size=5 * 3 * 4, dtype=np.uint8).tobytes()
    out = decode_color_u8(raw, desc(BGRA8, 5, 3, api=api))
    rgba = decode_color_u8(raw, desc(RGBA8, 5, 3, api=api))
    assert out.flags.c_contiguous
    np.testing.assert_array_equal(out, rgba[..., [2, 1, 0, 3]])


def test_srgb_values_are_returned_as_stored_and_linearise_on_request():
    raw = bytes([188, 188, 188, 255])
    stored = decode_color(raw, desc(RGBA8_SRGB, 1, 1))
    assert stored[0, 0, 0] == pytest.approx(188 / 255)
    # 188/255 in sRGB is ~0.5 linear (IEC 61966-2-1): ((0.7373 + 0.055) / 1.055) ** 2.4 = 0.5029
    assert srgb_to_linear(stored)[0, 0, 0] == pytest.approx(0.5029, abs=1e-4)
    assert srgb_to_linear(np.float32(0.04045)) == pytest.approx(0.04045 / 12.92)
    grid = np.linspace(0, 1, 1001, dtype=np.float32)
    np.testing.assert_allclose(linear_to_srgb(srgb_to_linear(grid)), grid, atol=2e-6)


def test_rgb8_three_bytes_per_pixel():
    raw = bytes([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9])
    out = decode_color_u8(raw, desc(RGB8, 2, 2))
    assert out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out[0, 1], [0, 255, 0])
    np.testing.assert_array_equal(out[1, 0], [0, 0, 255])


def test_opengl_rows_are_flipped_vulkan_and_d3d_are_not():
    # two rows, 1 px wide; memory row 0 = red, memory row 1 = green
    raw = bytes([255, 0, 0, 255, 0, 255, 0, 255])
    gl = decode_color_u8(raw, desc(RGBA8, 1, 2, api="OpenGL"))
    vk = decode_color_u8(raw, desc(RGBA8, 1, 2, api="Vulkan"))
    d3d = decode_color_u8(raw, desc(RGBA8, 1, 2, api="D3D11"))
    np.testing.assert_array_equal(gl[0, 0], [0, 255, 0, 255])  # bottom-up readback: last row is the top
    np.testing.assert_array_equal(vk[0, 0], [255, 0, 0, 255])
    np.testing.assert_array_equal(d3d, vk)
    assert gl.flags.c_contiguous


def test_rgb10a2_bits():
    fmt = special("R10G10B10A2", "UNorm")
    # R=1023 (1.0), G=0, B=512, A=3, packed R in bits 0-9 (GL 2_10_10_10_REV / DXGI)
    u = 1023 | (0 << 10) | (512 << 20) | (3 << 30)
    out = decode_color(struct.pack("<I", u), desc(fmt, 1, 1))
    np.testing.assert_allclose(out[0, 0], [1.0, 0.0, 512 / 1023, 1.0], atol=1e-7)
    # BGRA variant (Vulkan A2R10G10B10): R lives in bits 20-29
    bgr = decode_color(struct.pack("<I", u), desc(special("R10G10B10A2", "UNorm", bgra=True), 1, 1))
    np.testing.assert_allclose(bgr[0, 0], [512 / 1023, 0.0, 1.0, 1.0], atol=1e-7)
    ints = decode_integer(struct.pack("<I", u), desc(special("R10G10B10A2", "UInt"), 1, 1))
    np.testing.assert_array_equal(ints[0, 0], [1023, 0, 512, 3])


@pytest.mark.parametrize("bgra", [False, True], ids=["R10G10B10A2", "B10G10R10A2"])
def test_rgb10a2_unorm_is_every_code_over_its_maximum_in_float32(bgra):
    codes = np.arange(1024, dtype=np.uint32)
    words = codes | ((1023 - codes) << 10) | (((codes * 7) % 1024) << 20) | ((codes % 4) << 30)
    raw = words.astype("<u4").tobytes()
    ints = decode_integer(raw, desc(special("R10G10B10A2", "UInt", bgra=bgra), 1024, 1))
    out = decode_color(raw, desc(special("R10G10B10A2", "UNorm", bgra=bgra), 1024, 1))
    expected = ints.astype(np.float32) / np.array([1023, 1023, 1023, 3], dtype=np.float32)
    assert out.dtype == np.float32 and out.tobytes() == expected.tobytes()


def test_r11g11b10_float_bit_patterns():
    fmt = special("R11G11B10", "Float")
    one_f11 = 15 << 6  # exponent 15 (bias 15), mantissa 0
    half_f11 = 14 << 6
    max_f11 = (30 << 6) | 63  # 2^15 * (1 + 63/64) = 65024
    one_f10 = 15 << 5
    quarter_f10 = 13 << 5
    words = [
        one_f11 | (half_f11 << 11) | (one_f10 << 22),
        max_f11 | (0 << 11) | (quarter_f10 << 22),
    ]
    out = decode_color(struct.pack("<2I", *words), desc(fmt, 2, 1))
    assert out.shape == (1, 2, 3)
    np.testing.assert_array_equal(out[0, 0], [1.0, 0.5, 1.0])
    np.testing.assert_array_equal(out[0, 1], [65024.0, 0.0, 0.25])
    denormal = 1  # exponent 0, mantissa 1: 2^-14 * 1/64
    out = decode_color(struct.pack("<I", denormal), desc(fmt, 1, 1))
    assert out[0, 0, 0] == pytest.approx(2.0**-14 / 64)


def test_float_formats():
    rgba16f = regular("Float", 4, 2)
    raw = np.array([1.5, -2.0, 65504.0, 0.0], dtype="<f2").tobytes()
    np.testing.assert_array_equal(decode_color(raw, desc(rgba16f, 1, 1))[0, 0], [1.5, -2.0, 65504.0, 0.0])
    rg16f = regular("Float", 2, 2)
    raw = np.array([0.25, 3.0], dtype="<f2").tobytes()
    assert decode_color(raw, desc(rg16f, 1, 1)).shape == (1, 1, 2)
    rgba32f = regular("Float", 4, 4)
    raw = struct.pack("<4f", 1e10, -1.0, 0.125, 7.0)
    np.testing.assert_array_equal(decode_color(raw, desc(rgba32f, 1, 1))[0, 0], [1e10, -1.0, 0.125, 7.0])
    r32f = regular("Float", 1, 4)
    np.testing.assert_array_equal(decode_color(struct.pack("<f", 3.25), desc(r32f, 1, 1)), [[[3.25]]])


@pytest.mark.parametrize("api", ["Vulkan", "OpenGL"])
def test_half_floats_decode_to_float16_as_decode_color_narrowed_every_bit_pattern(api):
    """Extraction writes half-float targets as float16 straight from the bytes: the same bits as decoding them to
    float32 and narrowing back, for every one of the 65536 patterns (NaN payloads included)."""
    raw = np.arange(65536, dtype="<u2").tobytes()
    rgba16f = regular("Float", 4, 2)
    out = decode_color_f16(raw, desc(rgba16f, 128, 128, api=api))
    assert out.dtype == np.float16 and out.shape == (128, 128, 4)
    assert out.tobytes() == decode_color(raw, desc(rgba16f, 128, 128, api=api)).astype(np.float16).tobytes()
    with pytest.raises(UnsupportedFormat):
        decode_color_f16(bytes(16), desc(regular("Float", 4, 4), 1, 1))


def test_r8_r16_unorm_and_snorm():
    assert decode_color(bytes([255]), desc(regular("UNorm", 1, 1), 1, 1))[0, 0, 0] == 1.0
    r16 = decode_color(struct.pack("<H", 32768), desc(regular("UNorm", 1, 2), 1, 1))
    assert r16[0, 0, 0] == pytest.approx(32768 / 65535)
    snorm = decode_color(struct.pack("<3b", -128, -127, 127), desc(regular("SNorm", 1, 1), 3, 1))
    np.testing.assert_array_equal(snorm[0, :, 0], [-1.0, -1.0, 1.0])


def test_integer_formats_keep_native_dtype():
    r8ui = decode_integer(bytes([7, 200]), desc(regular("UInt", 1, 1), 2, 1))
    assert r8ui.dtype == np.uint8 and r8ui[0, 1, 0] == 200
    r16ui = decode_integer(struct.pack("<H", 60000), desc(regular("UInt", 1, 2), 1, 1))
    assert r16ui.dtype == np.uint16 and r16ui[0, 0, 0] == 60000
    r32ui = decode_integer(struct.pack("<I", 4_000_000_001), desc(regular("UInt", 1, 4), 1, 1))
    assert r32ui.dtype == np.uint32 and r32ui[0, 0, 0] == 4_000_000_001
    with pytest.raises(UnsupportedFormat, match="decode_integer"):
        decode_color(bytes([1]), desc(regular("UInt", 1, 1), 1, 1))


def test_d16_d32():
    d16 = decode_depth_stencil(struct.pack("<2H", 0, 65535), desc(regular("Depth", 1, 2), 2, 1))
    np.testing.assert_array_equal(d16[0], [[0.0, 1.0]])
    assert d16[1] is None
    d32 = decode_depth_stencil(struct.pack("<2f", 0.25, 1.0), desc(regular("Depth", 1, 4), 2, 1))
    np.testing.assert_array_equal(d32[0], [[0.25, 1.0]])


def test_d24_layout_depends_on_api():
    fmt = regular("Depth", 1, 3)
    assert bytes_per_pixel(fmt, "OpenGL") == 4
    # OpenGL reads GL_DEPTH_COMPONENT24 as GL_UNSIGNED_INT: depth normalised to 32 bits
    gl, _ = decode_depth_stencil(struct.pack("<2I", 0xFFFFFFFF, 0x40000000), desc(fmt, 2, 1, "OpenGL"))
    np.testing.assert_allclose(gl, [[1.0, 0.25]], rtol=1e-7)
    # Vulkan X8_D24: low 24 bits, top byte garbage
    vk, _ = decode_depth_stencil(struct.pack("<I", 0xAB000000 | 0x400000), desc(fmt, 1, 1, "Vulkan"))
    assert vk[0, 0] == pytest.approx(0x400000 / (2**24 - 1))


def test_d24s8_opengl_vs_d3d_vulkan():
    fmt = special("D24S8")
    depth_bits, stencil = 0x400000, 0x89  # depth ~0.25
    gl_word = (depth_bits << 8) | stencil
    d, s = decode_depth_stencil(struct.pack("<I", gl_word), desc(fmt, 1, 1, "OpenGL"))
    assert d[0, 0] == pytest.approx(depth_bits / (2**24 - 1)) and s[0, 0] == 0x89
    assert d.dtype == np.float32 and s.dtype == np.uint8
    d3d_word = depth_bits | (stencil << 24)
    for api in ("D3D11", "D3D12", "Vulkan"):
        d, s = decode_depth_stencil(struct.pack("<I", d3d_word), desc(fmt, 1, 1, api))
        assert d[0, 0] == pytest.approx(depth_bits / (2**24 - 1)) and s[0, 0] == 0x89
    assert decode_stencil(struct.pack("<I", gl_word), desc(fmt, 1, 1, "OpenGL"))[0, 0] == 0x89


def test_d32s8_eight_bytes_stencil_in_low_byte():
    fmt = special("D32S8")
    raw = struct.pack("<fI", 0.25, 0xFFFFFF00 | 0x82) + struct.pack("<fI", 1.0, 0x07)
    for api in ("OpenGL", "Vulkan", "D3D11"):
        d, s = decode_depth_stencil(raw, desc(fmt, 2, 1, api))
        np.testing.assert_array_equal(d, [[0.25, 1.0]])
        np.testing.assert_array_equal(s, [[0x82, 0x07]])


def test_d16s8_vulkan_only():
    fmt = special("D16S8")
    d, s = decode_depth_stencil(struct.pack("<2H", 65535, 3), desc(fmt, 1, 1, "Vulkan"))
    assert d[0, 0] == 1.0 and s[0, 0] == 3
    with pytest.raises(UnsupportedFormat):
        decode_depth_stencil(struct.pack("<2H", 65535, 3), desc(fmt, 1, 1, "OpenGL"))


def test_depth_rows_flip_for_opengl():
    fmt = regular("Depth", 1, 4)
    raw = struct.pack("<2f", 0.1, 0.9)  # memory row 0 then row 1, 1 px wide
    gl, _ = decode_depth_stencil(raw, desc(fmt, 1, 2, "OpenGL"))
    vk, _ = decode_depth_stencil(raw, desc(fmt, 1, 2, "Vulkan"))
    np.testing.assert_allclose(gl[:, 0], [0.9, 0.1])
    np.testing.assert_allclose(vk[:, 0], [0.1, 0.9])


def test_s8():
    assert decode_stencil(bytes([0x89]), desc(special("S8", "UInt"), 1, 1))[0, 0] == 0x89


def test_size_mismatch_is_a_clear_error():
    with pytest.raises(TextureDataMismatch, match=r"should be 16 bytes .* got 15"):
        decode_color(bytes(15), desc(RGBA8, 2, 2))
    with pytest.raises(ValueError):
        decode_depth_stencil(bytes(4), desc(special("D32S8"), 1, 1))
    assert issubclass(TextureDataMismatch, RdcExtractError)


@pytest.mark.parametrize(
    "fmt",
    [
        regular("UScaled", 4, 1),  # (typeless formats decode as their typed view: test_typeless_formats.py)
        TextureFormat(
            name="BC7_UNORM", layout="BC7", component_type="UNorm",
            component_count=4, component_bytes=1, bgra=False, srgb=False,
        ),
        regular("UNorm", 4, 4),
    ],
)
def test_unsupported_formats_name_the_format_and_list_supported(fmt):
    with pytest.raises(UnsupportedFormat) as info:
        decode_color(bytes(16), desc(fmt, 1, 1))
    assert fmt.name in str(info.value) and "Supported:" in str(info.value)
    assert isinstance(info.value, RdcExtractError)


def test_colour_decoders_refuse_depth_and_vice_versa():
    with pytest.raises(UnsupportedFormat):
        decode_color(bytes(4), desc(special("D24S8"), 1, 1))
    with pytest.raises(UnsupportedFormat):
        decode_depth_stencil(bytes(4), desc(RGBA8, 1, 1))
    with pytest.raises(UnsupportedFormat):
        decode_color_u8(bytes(8), desc(regular("Float", 4, 2), 1, 1))
