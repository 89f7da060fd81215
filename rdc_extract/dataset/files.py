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

import numpy as np
import png
import tifffile

from rdc_extract.errors import WriteFailed

TEMP_PREFIX = ".tmp-"
_UMASK = os.umask(0)
os.umask(_UMASK)


def atomic_write(path: Path, write: Callable[[Path], None], *, durable: bool = False) -> Path:
    """Call `write(temp_path)` then move the result to `path`.

    `durable` also fsyncs the file before the rename, for the few files a
    power cut must not take back (the manifest and the tables built from it).
    A system error (disk full, permission denied) becomes `WriteFailed` naming
    `path`: the temporary name would say nothing to the user.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=path.suffix, dir=path.parent)
    except OSError as exc:
        raise WriteFailed(path, exc) from exc
    os.close(handle)
    temp = Path(temp_name)
    try:
        write(temp)
        os.chmod(temp, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs are ordinary files
        if durable:
            descriptor = os.open(temp, os.O_RDONLY)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
        os.replace(temp, path)
    except BaseException as exc:
        temp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise WriteFailed(path, exc) from exc
        raise
    return path


ZLIB_LEVEL = 1  # PNG and TIFF: level 6 costs ~3x the time for ~10-40 % smaller files


_PNG_COLOUR_TYPES = {1: 0, 2: 4, 3: 2, 4: 6}  # channels → PNG colour type (grey, grey+alpha, RGB, RGBA)


def encode_png(image: np.ndarray) -> bytes:
    """PNG bytes of a uint8/uint16 (H, W) or (H, W, 1-4) array.

    The whole format for this one job: filter type 0 on every row and one
    zlib stream at level 1. Pillow's encoder (adaptive filters, no 16-bit
    colour) took ~3x the CPU per image and pypng's pure-Python writer ~15x,
    which mattered against the replay floor. Files are larger than Pillow's
    at its defaults, read everywhere, and are byte-for-byte deterministic.
    """
    if image.dtype not in (np.uint8, np.uint16) or image.ndim not in (2, 3):
        raise ValueError(f"PNG needs a 2D/3D uint8 or uint16 array, got {image.dtype} {image.shape}")
    height, width = image.shape[:2]
    channels = image.shape[2] if image.ndim == 3 else 1
    if channels not in _PNG_COLOUR_TYPES:
        raise ValueError(f"PNG holds 1 to 4 channels, got {channels}")
    samples = image.astype(">u2") if image.dtype == np.uint16 else image
    rows = np.ascontiguousarray(samples).reshape(height, -1).view(np.uint8)
    scanlines = np.concatenate([np.zeros((height, 1), np.uint8), rows], axis=1).tobytes()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, image.dtype.itemsize * 8, _PNG_COLOUR_TYPES[channels], 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(scanlines, ZLIB_LEVEL)) + chunk(b"IEND", b""))


def write_png(path: Path, image: np.ndarray) -> Path:
    """Lossless PNG (see `encode_png`); read 16-bit colour back with `read_png`, not Pillow."""
    encoded = encode_png(image)
    return atomic_write(path, lambda temp: temp.write_bytes(encoded))


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
    return write_text(path, json.dumps(document, indent=2, sort_keys=False, allow_nan=False) + "\n")


def write_text(path: Path, text: str, *, durable: bool = False) -> Path:
    """UTF-8 text exactly as given (no newline translation), atomically."""
    return atomic_write(path, lambda temp: temp.write_text(text, encoding="utf-8", newline=""), durable=durable)


def remove_temporaries(folder: Path) -> int:
    """Delete leftovers of interrupted writes in `folder`; returns how many."""
    leftovers = list(folder.glob(f"{TEMP_PREFIX}*")) if folder.is_dir() else []
    for leftover in leftovers:
        leftover.unlink(missing_ok=True)
    return len(leftovers)
