"""A typeless texture matches its typed family where a profile names a format (D3D11 G-buffers and depth)."""

from __future__ import annotations

import pytest

from rdc_extract.decode.formats import format_family, format_matches
from rdc_extract.profiles.identify import formats_match


@pytest.mark.parametrize(("actual", "wanted"), [
    ("R8G8B8A8_TYPELESS", "R8G8B8A8_UNORM"),
    ("R8G8B8A8_TYPELESS", "R8G8B8A8_SRGB"),
    ("D32S8_TYPELESS", "D32S8"),            # RenderDoc's name for DXGI R32G8X24_TYPELESS
    ("D32S8_TYPELESS", "R32G8X24_TYPELESS"),  # the DXGI name in a profile
    ("D24S8_TYPELESS", "D24S8"),
    ("D24S8", "R24G8_TYPELESS"),
    ("R32_TYPELESS", "D32"),
    ("R8G8B8A8_UNORM", "R8G8B8A8_UNORM"),
])
def test_typeless_matches_its_family(actual, wanted):
    assert format_matches(actual, wanted)


@pytest.mark.parametrize(("actual", "wanted"), [
    ("R8G8B8A8_UNORM", "R8G8B8A8_SRGB"),      # typed formats still match exactly
    ("R16G16B16A16_TYPELESS", "R8G8B8A8_UNORM"),
    ("D24S8_TYPELESS", "D32S8"),
    ("B8G8R8A8_TYPELESS", "R8G8B8A8_UNORM"),
])
def test_other_families_do_not_match(actual, wanted):
    assert not format_matches(actual, wanted)


def test_family_drops_the_component_type():
    assert {format_family(n) for n in ("R8G8B8A8_UNORM", "R8G8B8A8_SRGB", "R8G8B8A8_TYPELESS")} == {"R8G8B8A8"}


def test_slot_formats_match_as_a_prefix():
    wanted = ("R8G8B8A8_UNORM", "R8G8B8A8_UNORM")
    assert formats_match(["R8G8B8A8_TYPELESS", "R8G8B8A8_TYPELESS", "R16G16_FLOAT"], wanted)
    assert not formats_match(["R8G8B8A8_TYPELESS"], wanted)


def test_typeless_targets_decode_as_their_usual_typed_view():
    """D3D G-buffers are created typeless: 8-bit targets read as UNORM bytes, 16-bit ones as half floats."""
    import numpy as np

    from rdc_extract.decode.formats import TextureDesc, TextureFormat
    from rdc_extract.decode.textures import decode_color, decode_color_u8

    rgba8 = TextureFormat("R8G8B8A8_TYPELESS", "Regular", "Typeless", 4, 1, False, False)
    raw = bytes([0, 128, 255, 64] * 4)
    desc = TextureDesc(2, 2, rgba8, "D3D11")
    assert decode_color_u8(raw, desc)[0, 0].tolist() == [0, 128, 255, 64]
    np.testing.assert_allclose(decode_color(raw, desc)[0, 0], [0, 128 / 255, 1, 64 / 255], rtol=1e-6)
    half = TextureFormat("R16G16B16A16_TYPELESS", "Regular", "Typeless", 4, 2, False, False)
    values = np.array([0.5, 2.0, -1.0, 1.0] * 4, dtype="<f2")
    assert decode_color(values.tobytes(), TextureDesc(2, 2, half, "D3D11"))[1, 1].tolist() == [0.5, 2.0, -1.0, 1.0]
