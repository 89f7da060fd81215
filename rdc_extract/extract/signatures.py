"""Draw signatures: one hash per draw of what it draws, the same for the same object in another capture.

Replay hands over each draw's content as plain data (`DrawContent`: hashes
of the bytes it reads, its parameters, and names as cues); the signature is
a hash of the content parts only. Resource ids, event ids and constant-buffer
values (per-frame matrices, colours) never enter it (docs/drawids.md,
"Signatures").
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

DIGEST_BYTES = 16
#: A position's bounding box is kept to 1/SHAPE_STEPS of its largest side: coarse enough that the float32 rounding
#: of a mesh baked at another place in the world (coins placed along a path) does not change it.
SHAPE_STEPS = 64


def digest(data: bytes) -> str:
    """A short content hash (BLAKE2b, 128 bits): collisions are not a concern at a frame's few thousand draws."""
    return hashlib.blake2b(data, digest_size=DIGEST_BYTES).hexdigest()


def relative_indices(indices: np.ndarray, width: int) -> tuple[bytes | None, int, int]:
    """A draw's indices as offsets from the lowest (the same mesh elsewhere in a shared buffer reads alike), with
    the lowest and highest vertex they read; the all-ones index restarts a strip and reads no vertex (kept as -1).
    (None, 0, -1) when they read none."""
    values = indices.astype(np.int64)
    restart = values == (1 << 8 * width) - 1
    if restart.all():
        return None, 0, -1
    low, high = int(values[~restart].min()), int(values[~restart].max())
    return np.where(restart, -1, values - low).tobytes(), low, high


def attribute_bytes(data: bytes, stride: int, offset: int, size: int) -> np.ndarray:
    """One vertex attribute's bytes (N × size) out of an interleaved range of vertices `stride` bytes apart."""
    count = (len(data) - offset) // stride + (1 if (len(data) - offset) % stride >= size else 0) if stride else 0
    if stride == 0 or count <= 0:
        return np.zeros((0, size), np.uint8)
    raw = np.frombuffer(data, np.uint8)
    return raw[offset + stride * np.arange(count)[:, None] + np.arange(size)]


def position_shape(positions: np.ndarray) -> bytes:
    """What a mesh's positions (N × 3 or 4 floats) say that does not depend on where the mesh was placed: the
    size of their bounding box, coarsely. Games that bake each copy's world position into its vertices draw
    the same object with different bytes; its other attributes (normals, texture coordinates) and its indices
    still say which mesh it is."""
    finite = positions[np.isfinite(positions).all(axis=1)] if len(positions) else positions
    if not len(finite):
        return b"no positions"
    extent = finite.max(axis=0).astype(np.float64) - finite.min(axis=0)
    largest = float(extent.max())
    if largest <= 0:
        return b"a point"
    step = 2.0 ** (np.floor(np.log2(largest)) - np.log2(SHAPE_STEPS))
    return np.round(extent / step).astype(np.int64).tobytes()


class ContentHashes:
    """Content hashes within one capture, by key (a resource id, or a resource id and byte range): a texture or
    buffer shared by many draws is read and hashed once."""

    def __init__(self) -> None:
        self._known: dict[Hashable, str | None] = {}
        self.reads = 0

    def of(self, key: Hashable, read: Callable[[], bytes | None]) -> str | None:
        """The hash of what `read` returns, read only the first time `key` is asked for (None: unreadable)."""
        if key not in self._known:
            data = read()
            self.reads += 1
            self._known[key] = None if data is None else digest(data)
        return self._known[key]


@dataclass(frozen=True)
class DrawContent:
    """What one draw draws, as hashes of content: `parameters` (counts, topology, index width), `indices` (the
    index range it reads, relative to its lowest index), `vertices` (the per-vertex ranges it reads, by buffer
    slot), `shaders` (bytecode or source by stage), `textures` (mip 0 of each used texture, by stage and slot;
    None where a texture is a render target of the frame and so changes per frame). `names` are the debug names
    of its shaders, buffers and textures where the capture has them, and the constant blocks' names: cues, not
    part of the signature."""

    parameters: dict[str, Any]
    indices: str | None
    vertices: tuple[str | None, ...]
    shaders: dict[str, str | None]
    textures: tuple[str | None, ...]
    names: dict[str, list[str]] = field(default_factory=dict)

    def parts(self) -> dict[str, Any]:
        """The parts hashed into the signature."""
        return {"parameters": self.parameters, "indices": self.indices, "vertices": list(self.vertices),
                "shaders": self.shaders, "textures": list(self.textures)}

    def signature(self) -> str:
        return digest(json.dumps(self.parts(), sort_keys=True, separators=(",", ":")).encode())

    def to_json(self) -> dict[str, Any]:
        """The `signature` and `signature_parts` entries of a drawids.json draw."""
        return {"signature": self.signature(), "signature_parts": {**self.parts(), "names": self.names}}
