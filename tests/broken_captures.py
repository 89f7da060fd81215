"""Bad inputs made on purpose from real captures, for error-path tests."""

from __future__ import annotations

import os
from pathlib import Path

# Capture header (RenderDoc 1.x): driver id (uint32) at 0x30, then a length-prefixed name.
_DRIVER_ID_OFFSET = 0x30
_DRIVER_NAME_OFFSET = 0x35
_RDC_DRIVER_D3D11 = 1


def truncated(source: Path, target: Path) -> Path:
    data = source.read_bytes()
    target.write_bytes(data[: len(data) // 2])
    return target


def random_bytes(target: Path, size: int = 4096) -> Path:
    target.write_bytes(os.urandom(size))
    return target


def as_d3d11(source: Path, target: Path) -> Path:
    """Relabel a real OpenGL capture as D3D11: Linux then refuses to replay it, as with GTA V."""
    data = bytearray(source.read_bytes())
    name = b"OpenGL\0"
    if data[_DRIVER_NAME_OFFSET : _DRIVER_NAME_OFFSET + len(name)] != name:
        raise ValueError(f"{source}: not an OpenGL capture header this helper knows")
    data[_DRIVER_ID_OFFSET : _DRIVER_ID_OFFSET + 4] = _RDC_DRIVER_D3D11.to_bytes(4, "little")
    data[_DRIVER_NAME_OFFSET : _DRIVER_NAME_OFFSET + len(name)] = b"D3D11\0\0"
    target.write_bytes(bytes(data))
    return target
