"""rdc_extract.rd.formats.texture_format: duck-typed copy of renderdoc.ResourceFormat."""

from __future__ import annotations

import enum
from types import SimpleNamespace

import pytest

from rdc_extract.decode.formats import COMP_TYPES, RESOURCE_FORMAT_TYPES, TextureDesc, TextureFormat, regular
from rdc_extract.errors import RdcExtractError
from rdc_extract.rd.formats import texture_format

FakeType = enum.Enum("FakeType", ["Regular", "D24S8"])
FakeComp = enum.Enum("FakeComp", ["UNormSRGB", "Depth"])


def fake_format(name, layout, comp, count, width, bgra=False, srgb=False):
    return SimpleNamespace(
        Name=lambda: name, type=layout, compType=comp, compCount=count, compByteWidth=width,
        BGRAOrder=lambda: bgra, SRGBCorrected=lambda: srgb,
    )


def test_texture_format_reads_attributes():
    fmt = texture_format(fake_format("B8G8R8A8_SRGB", FakeType.Regular, FakeComp.UNormSRGB, 4, 1, True, True))
    assert fmt == TextureFormat("B8G8R8A8_SRGB", "Regular", "UNormSRGB", 4, 1, True, True)
    ds = texture_format(fake_format("D24S8", FakeType.D24S8, FakeComp.Depth, 2, 0))
    assert (ds.layout, ds.component_type, ds.component_bytes) == ("D24S8", "Depth", 0)


def test_unknown_enum_names_are_rejected():
    with pytest.raises(ValueError):
        TextureFormat("X", "NotALayout", "UNorm", 1, 1, False, False)
    with pytest.raises(ValueError):
        TextureDesc(1, 1, regular("UNorm", 4, 1), "Metal")


def _renderdoc():
    try:
        from rdc_extract.rd.loader import load_renderdoc

        return load_renderdoc()
    except (RdcExtractError, ImportError, OSError):
        return None


def test_enum_names_match_the_installed_renderdoc():
    rd = _renderdoc()
    if rd is None:
        pytest.skip("RenderDoc Python module not available")
    assert tuple(m.name for m in rd.ResourceFormatType) == RESOURCE_FORMAT_TYPES
    assert tuple(m.name for m in rd.CompType) == COMP_TYPES


@pytest.mark.parametrize(
    ("layout", "comp", "count", "width", "bgra", "expected"),
    [
        ("Regular", "UNormSRGB", 4, 1, False, regular("UNormSRGB", 4, 1)),
        ("Regular", "UNorm", 4, 1, True, regular("UNorm", 4, 1, bgra=True)),
        ("Regular", "UNorm", 3, 1, False, regular("UNorm", 3, 1)),
        ("Regular", "Float", 4, 2, False, regular("Float", 4, 2)),
        ("Regular", "Depth", 1, 3, False, regular("Depth", 1, 3)),
        ("Regular", "Depth", 1, 4, False, regular("Depth", 1, 4)),
    ],
)
def test_real_resource_formats_convert_to_the_same_plain_data(layout, comp, count, width, bgra, expected):
    rd = _renderdoc()
    if rd is None:
        pytest.skip("RenderDoc Python module not available")
    f = rd.ResourceFormat()
    f.type = getattr(rd.ResourceFormatType, layout)
    f.compType = getattr(rd.CompType, comp)
    f.compCount, f.compByteWidth = count, width
    if bgra:
        f.SetBGRAOrder(True)
    assert texture_format(f) == expected
