"""Plain-data descriptions of texture formats, as RenderDoc 1.24 names them.

The names below are the member names of RenderDoc 1.24's Python enums
``renderdoc.ResourceFormatType`` and ``renderdoc.CompType`` (checked by loading
``/usr/lib/python3/dist-packages/renderdoc.so``) and the strings its
``ResourceFormat.Name()`` returns. Nothing here imports RenderDoc: the
conversion from a live ``ResourceFormat`` lives in ``rdc_extract.rd.formats``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

#: ``renderdoc.ResourceFormatType`` member names in RenderDoc 1.24.
RESOURCE_FORMAT_TYPES: tuple[str, ...] = (
    "Regular", "Undefined", "BC1", "BC2", "BC3", "BC4", "BC5", "BC6", "BC7", "ETC2",
    "EAC", "ASTC", "R10G10B10A2", "R11G11B10", "R5G6B5", "R5G5B5A1", "R9G9B9E5",
    "R4G4B4A4", "R4G4", "D16S8", "D24S8", "D32S8", "S8", "YUV8", "YUV10", "YUV12",
    "YUV16", "PVRTC", "A8",
)

#: ``renderdoc.CompType`` member names in RenderDoc 1.24.
COMP_TYPES: tuple[str, ...] = (
    "Typeless", "Float", "UNorm", "SNorm", "UInt", "SInt", "UScaled", "SScaled",
    "Depth", "UNormSRGB",
)

#: ``renderdoc.GraphicsAPI`` member names in RenderDoc 1.24.
GRAPHICS_APIS: tuple[str, ...] = ("D3D11", "D3D12", "OpenGL", "Vulkan")


@dataclass(frozen=True)
class TextureFormat:
    """Plain copy of the fields of ``renderdoc.ResourceFormat`` that decoding needs.

    ``layout`` and ``component_type`` hold enum member *names* (see
    ``RESOURCE_FORMAT_TYPES`` and ``COMP_TYPES``). ``component_bytes`` is 0 for
    RenderDoc's packed layouts (``R10G10B10A2`` from OpenGL, ``D24S8``, ``D32S8``):
    never rely on it outside the ``Regular`` layout. A typeless texture can be
    decoded as a typed view with ``dataclasses.replace(fmt, component_type="UNorm")``.
    """

    name: str  #: ``ResourceFormat.Name()``, e.g. "R8G8B8A8_SRGB", "D24S8", "D32"
    layout: str  #: ``ResourceFormatType`` name: "Regular", "R10G10B10A2", "D24S8", ...
    component_type: str  #: ``CompType`` name: "UNorm", "UNormSRGB", "Float", "Depth", ...
    component_count: int
    component_bytes: int
    bgra: bool
    srgb: bool

    def __post_init__(self) -> None:
        if self.layout not in RESOURCE_FORMAT_TYPES:
            raise ValueError(f"unknown ResourceFormatType name {self.layout!r}")
        if self.component_type not in COMP_TYPES:
            raise ValueError(f"unknown CompType name {self.component_type!r}")


@dataclass(frozen=True)
class TextureDesc:
    """One 2D subresource as ``GetTextureData`` returns it: size in pixels, format, API.

    ``api`` is a ``renderdoc.GraphicsAPI`` name ("OpenGL", "Vulkan", "D3D11",
    "D3D12"); it decides row order and depth-stencil bit layouts.
    """

    width: int
    height: int
    format: TextureFormat
    api: str

    def __post_init__(self) -> None:
        if self.api not in GRAPHICS_APIS:
            raise ValueError(f"unknown graphics API {self.api!r}; expected one of {GRAPHICS_APIS}")
        if self.width <= 0 or self.height <= 0:
            raise ValueError(f"texture size must be positive, got {self.width}x{self.height}")


def regular(
    component_type: str,
    component_count: int,
    component_bytes: int,
    *,
    bgra: bool = False,
    name: str = "",
) -> TextureFormat:
    """A ``Regular``-layout format (e.g. ``regular("UNorm", 4, 1)`` = R8G8B8A8_UNORM).

    Convenience for tests and for callers without a live RenderDoc object; the
    name is derived the way RenderDoc 1.24 prints it when not given.
    """
    if not name:
        name = _regular_name(component_type, component_count, component_bytes, bgra)
    return TextureFormat(
        name=name,
        layout="Regular",
        component_type=component_type,
        component_count=component_count,
        component_bytes=component_bytes,
        bgra=bgra,
        srgb=component_type == "UNormSRGB",
    )


def special(layout: str, component_type: str = "UNorm", *, bgra: bool = False) -> TextureFormat:
    """A packed-layout format (``R10G10B10A2``, ``R11G11B10``, ``D24S8``, ``D32S8``, ``D16S8``, ``S8``)."""
    counts = {"R10G10B10A2": 4, "R11G11B10": 3, "D16S8": 2, "D24S8": 2, "D32S8": 2, "S8": 1}
    if layout not in counts:
        raise ValueError(f"{layout!r} is not a packed layout this helper knows")
    if layout in ("D16S8", "D24S8", "D32S8"):
        name = layout
    elif layout == "S8":
        name = "S8"
    elif layout == "R11G11B10":
        name = "R11G11B10_FLOAT"
    else:
        order = "B10G10R10A2" if bgra else "R10G10B10A2"
        name = f"{order}_{_SUFFIX.get(component_type, component_type.upper())}"
    return TextureFormat(
        name=name,
        layout=layout,
        component_type=component_type,
        component_count=counts[layout],
        component_bytes=0,
        bgra=bgra,
        srgb=False,
    )


_SUFFIX = {
    "UNorm": "UNORM",
    "UNormSRGB": "SRGB",
    "SNorm": "SNORM",
    "UInt": "UINT",
    "SInt": "SINT",
    "Float": "FLOAT",
    "Typeless": "TYPELESS",
    "UScaled": "USCALED",
    "SScaled": "SSCALED",
}


def _regular_name(component_type: str, count: int, width: int, bgra: bool) -> str:
    if component_type == "Depth":
        return f"D{width * 8}"
    channels = "BGRA" if bgra else "RGBA"
    body = "".join(f"{c}{width * 8}" for c in channels[:count])
    return f"{body}_{_SUFFIX.get(component_type, component_type.upper())}"


def typed_view(fmt: TextureFormat) -> TextureFormat:
    """The typed format a typeless colour texture is read as: 8-bit components as UNORM (the bytes as stored;
    sRGB or linear is the profile's `encoding`), 16- and 32-bit as FLOAT (HDR targets); others unchanged.

    D3D creates render targets typeless and draws into them through typed views
    the capture's texture list does not show; these are the views games use for
    G-buffers and HDR targets, an assumption a `decode` error would expose.
    """
    if fmt.component_type != "Typeless" or fmt.layout not in ("Regular", "R10G10B10A2"):
        return fmt
    typed = "UNorm" if fmt.layout == "R10G10B10A2" or fmt.component_bytes == 1 else "Float"
    return dataclasses.replace(fmt, component_type=typed)


#: DXGI names of depth-stencil families that RenderDoc names by their depth layout (`R32G8X24_TYPELESS` is its
#: `D32S8_TYPELESS`), and the depth-only formats whose typeless textures RenderDoc names as colour (`R32_TYPELESS`).
_FAMILY_ALIASES = {"R32G8X24": "D32S8", "R24G8": "D24S8", "D32": "R32", "D16": "R16"}
_TYPE_SUFFIXES = tuple(f"_{suffix}" for suffix in (*_SUFFIX.values(), "UNORM_SRGB"))


def format_family(name: str) -> str:
    """A format name without its component type: `R8G8B8A8_UNORM`, `_SRGB` and `_TYPELESS` are all `R8G8B8A8`."""
    for suffix in sorted(_TYPE_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return _FAMILY_ALIASES.get(name, name)


def format_matches(actual: str, wanted: str) -> bool:
    """Whether a texture of format `actual` is what a profile naming `wanted` asks for: the same name, or the same
    family when either is typeless (D3D creates G-buffers typeless and views them typed)."""
    if actual == wanted:
        return True
    typeless = actual.endswith("_TYPELESS") or wanted.endswith("_TYPELESS")
    return typeless and format_family(actual) == format_family(wanted)
