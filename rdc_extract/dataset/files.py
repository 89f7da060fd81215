"""Atomic file writes: a temporary name in the same folder, then `os.replace`.

A reader (or a rerun after `kill -9`) sees either the old file or the new one,
never a half-written file. Temporary names start with `.tmp-` so a cleanup can
find leftovers.
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import imageio.v3 as iio
import numpy as np
import png
import tifffile

TEMP_PREFIX = ".tmp-"
_UMASK = os.umask(0)
os.umask(_UMASK)


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call `write(temp_path)` then move the result to `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=path.suffix, dir=path.parent)
    os.close(handle)
    temp = Path(temp_name)
    try:
        write(temp)
        os.chmod(temp, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs are ordinary files
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return path


ZLIB_LEVEL = 1  # PNG and TIFF: level 6 costs ~3x the time for ~10-40 % smaller files


def _png_16bit_colour(image: np.ndarray) -> bytes:
    """Encode uint16 (H, W, 3|4) as PNG: filter type 0 rows, one zlib stream.

    Pillow (imageio's PNG plugin) cannot write 16-bit colour and pypng's
    writer is pure Python (~15x slower at 640x360); this is the whole format
    for that one case, checked by round trips through pypng's reader.
    """
    height, width, channels = image.shape
    rows = image.astype(">u2").reshape(height, -1).view(np.uint8)
    scanlines = np.concatenate([np.zeros((height, 1), np.uint8), rows], axis=1).tobytes()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    colour_type = 2 if channels == 3 else 6
    header = struct.pack(">IIBBBBB", width, height, 16, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(scanlines, ZLIB_LEVEL)) + chunk(b"IEND", b""))


def write_png(path: Path, image: np.ndarray) -> Path:
    """Lossless PNG of a uint8 (H, W) / (H, W, 3|4) or uint16 (H, W) / (H, W, 3|4) array.

    Read 16-bit colour PNGs back with `read_png`: Pillow reduces them to 8 bits.
    """
    if image.dtype == np.uint16 and image.ndim == 3:
        encoded = _png_16bit_colour(image)
        return atomic_write(path, lambda temp: temp.write_bytes(encoded))
    return atomic_write(path, lambda temp: iio.imwrite(temp, image, extension=".png",
                                                       compress_level=ZLIB_LEVEL))


def read_png(path: Path) -> np.ndarray:
    """Read a PNG at its stored bit depth (uint8 or uint16), including 16-bit colour."""
    reader = png.Reader(filename=str(path))
    width, height, rows, info = reader.asDirect()
    dtype = np.uint16 if info["bitdepth"] > 8 else np.uint8
    image = np.vstack([np.asarray(row, dtype=dtype) for row in rows])
    channels = info["planes"]
    return image.reshape(height, width, channels) if channels > 1 else image.reshape(height, width)


def write_tiff(path: Path, image: np.ndarray) -> Path:
    """Float TIFF (zlib-compressed) that keeps inf/NaN markers intact."""
    photometric = "rgb" if image.ndim == 3 and image.shape[-1] in (3, 4) else "minisblack"
    return atomic_write(path, lambda temp: tifffile.imwrite(
        temp, image, photometric=photometric, compression="zlib", compressionargs={"level": ZLIB_LEVEL}))


def write_json(path: Path, document: Any) -> Path:
    text = json.dumps(document, indent=2, sort_keys=False, allow_nan=False) + "\n"
    return atomic_write(path, lambda temp: temp.write_text(text, encoding="utf-8"))


def remove_temporaries(folder: Path) -> int:
    """Delete leftovers of interrupted writes in `folder`; returns how many."""
    leftovers = list(folder.glob(f"{TEMP_PREFIX}*")) if folder.is_dir() else []
    for leftover in leftovers:
        leftover.unlink(missing_ok=True)
    return len(leftovers)
