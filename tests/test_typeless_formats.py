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
