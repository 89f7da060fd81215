"""Atomic file writes: a temporary name in the same folder, then `os.replace`.

A reader (or a rerun after `kill -9`) sees either the old file or the new one,
never a half-written file. Temporary names start with `.tmp-` so a cleanup can
find leftovers.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rdc_extract.errors import WriteFailed

if TYPE_CHECKING:
    import numpy as np

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


#: zlib-ng levels whose files are the size the former encoders' (libpng, libdeflate at level 1) were: PNGs for
#: about half their CPU, TIFFs for about two thirds (docs/performance.md, "Image files").
PNG_LEVEL = 2
TIFF_LEVEL = 4
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_COLOUR_TYPES = {1: 0, 2: 4, 3: 2, 4: 6}   # channels -> grey, grey+alpha, RGB, RGBA


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(data, zlib.crc32(kind)))


def encode_png(image: np.ndarray) -> bytes:
    """PNG bytes of a uint8/uint16 (H, W) or (H, W, 1-4) array, 16-bit colour included.

    The container is PNG's minimal one (IHDR, one IDAT, IEND; no row filter,
    samples big-endian); its zlib stream comes from zlib-ng (through
    imagecodecs), which compresses as well as libpng's zlib at level 1 for
    about half the CPU (no PNG library here offers zlib-ng).
    Deterministic; read by libpng, Pillow and every other decoder.
    """
    import imagecodecs  # with numpy, only for image files: the batch's bookkeeping imports this module too
    import numpy as np

    if image.dtype not in (np.uint8, np.uint16) or image.ndim not in (2, 3):
        raise ValueError(f"PNG needs a 2D/3D uint8 or uint16 array, got {image.dtype} {image.shape}")
    channels = 1 if image.ndim == 2 else image.shape[2]
    if not 1 <= channels <= 4:
        raise ValueError(f"PNG holds 1 to 4 channels, got {channels}")
    height, width = image.shape[:2]
    sample = np.dtype(">u2") if image.dtype == np.uint16 else np.dtype(np.uint8)
    scanlines = np.empty((height, 1 + width * channels * sample.itemsize), np.uint8)
    scanlines[:, 0] = 0   # filter type "none" before every row
    scanlines[:, 1:].view(sample)[...] = image.reshape(height, width * channels)
    header = struct.pack(">IIBBBBB", width, height, 8 * sample.itemsize, _PNG_COLOUR_TYPES[channels], 0, 0, 0)
    return b"".join((_PNG_SIGNATURE, _png_chunk(b"IHDR", header),
                     _png_chunk(b"IDAT", imagecodecs.zlibng_encode(scanlines, level=PNG_LEVEL)),
                     _png_chunk(b"IEND", b"")))


def write_png(path: Path, image: np.ndarray) -> Path:
    """Lossless PNG (see `encode_png`), written atomically."""
    encoded = encode_png(image)
    return atomic_write(path, lambda temp: temp.write_bytes(encoded))


def read_png(path: Path) -> np.ndarray:
    """A PNG at its stored bit depth (uint8 or uint16), (H, W) or (H, W, C), 16-bit colour included.

    Pillow, and imageio.v3.imread through it, turn 16-bit colour into 8 bits.
    """
    import imagecodecs

    try:
        image = imagecodecs.png_decode(Path(path).read_bytes())
    except (ValueError, imagecodecs.PngError) as exc:
        raise ValueError(f"{path}: not a readable PNG ({exc})") from None
    return image


def write_tiff(path: Path, image: np.ndarray) -> Path:
    """Float TIFF that keeps inf/NaN markers intact: one page, channels interleaved, one zlib-compressed strip
    from zlib-ng (see `encode_png`)."""
    import imagecodecs
    import numpy as np
    import tifffile  # only writers of float outputs need it; relabel and readers of PNGs do not

    samples = np.ascontiguousarray(image, image.dtype.newbyteorder("<"))   # the file's byte order, below
    strip = imagecodecs.zlibng_encode(samples, level=TIFF_LEVEL)
    channels = image.shape[2] if image.ndim == 3 else 1
    return atomic_write(path, lambda temp: tifffile.imwrite(
        temp, iter([strip]), shape=image.shape, dtype=samples.dtype, byteorder="<", compression="zlib",
        rowsperstrip=image.shape[0], photometric="rgb" if channels in (3, 4) else "minisblack",
        planarconfig="contig" if channels > 1 else None))


def write_json(path: Path, document: Any) -> Path:
    return write_text(path, json.dumps(document, indent=2, sort_keys=False, allow_nan=False) + "\n")


def write_text(path: Path, text: str, *, durable: bool = False) -> Path:
    """UTF-8 text exactly as given (no newline translation), atomically."""
    return atomic_write(path, lambda temp: temp.write_text(text, encoding="utf-8", newline=""), durable=durable)


def remove_temporaries(folder: Path) -> int:
    """Delete leftovers of interrupted writes in `folder` (files, and folders an interrupted export staged);
    returns how many."""
    leftovers = list(folder.glob(f"{TEMP_PREFIX}*")) if folder.is_dir() else []
    for leftover in leftovers:
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)
    return len(leftovers)
