"""Copy a live ``renderdoc.ResourceFormat`` into the plain ``TextureFormat`` the decoders use.

Duck-typed on purpose: no ``renderdoc`` import here, so this also works on test
doubles. Attributes read (RenderDoc 1.24): ``Name()``, ``type.name``,
``compType.name``, ``compCount``, ``compByteWidth``, ``BGRAOrder()``, ``SRGBCorrected()``.
"""

from __future__ import annotations

from typing import Any

from rdc_extract.decode.formats import TextureFormat


def texture_format(resource_format: Any) -> TextureFormat:
    """Plain ``TextureFormat`` from a ``renderdoc.ResourceFormat`` (or anything shaped like one)."""
    return TextureFormat(
        name=str(resource_format.Name()),
        layout=str(resource_format.type.name),
        component_type=str(resource_format.compType.name),
        component_count=int(resource_format.compCount),
        component_bytes=int(resource_format.compByteWidth),
        bgra=bool(resource_format.BGRAOrder()),
        srgb=bool(resource_format.SRGBCorrected()),
    )
