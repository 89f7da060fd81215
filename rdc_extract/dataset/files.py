"""Atomic file writes: a temporary name in the same folder, then `os.replace`.

A reader (or a rerun after `kill -9`) sees either the old file or the new one,
never a half-written file. Temporary names start with `.tmp-` so a cleanup can
find leftovers.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
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


ZLIB_LEVEL = 1  # PNG and TIFF: level 6 costs ~3x the time for ~10-40 % smaller files


def encode_png(image: np.ndarray) -> bytes:
    """PNG bytes of a uint8/uint16 (H, W) or (H, W, 1-4) array, 16-bit colour included.

    libpng (through imagecodecs) with no row filter and zlib level 1: the
    cheapest lossless setting, which matters against the replay floor
    (docs/performance.md, "Image files"); deterministic, read everywhere.
    """
    import imagecodecs  # with numpy, only for image files: the batch's bookkeeping imports this module too
    import numpy as np

    if image.dtype not in (np.uint8, np.uint16) or image.ndim not in (2, 3):
        raise ValueError(f"PNG needs a 2D/3D uint8 or uint16 array, got {image.dtype} {image.shape}")
    if image.ndim == 3 and not 1 <= image.shape[2] <= 4:
        raise ValueError(f"PNG holds 1 to 4 channels, got {image.shape[2]}")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    return bytes(imagecodecs.png_encode(np.ascontiguousarray(image), level=ZLIB_LEVEL,
                                        filter=imagecodecs.PNG.FILTER.NONE))


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
    """Float TIFF (zlib-compressed) that keeps inf/NaN markers intact."""
    photometric = "rgb" if image.ndim == 3 and image.shape[-1] in (3, 4) else "minisblack"
    import tifffile  # only writers of float outputs need it; relabel and readers of PNGs do not

    return atomic_write(path, lambda temp: tifffile.imwrite(
        temp, image, photometric=photometric, compression="zlib", compressionargs={"level": ZLIB_LEVEL}))


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
