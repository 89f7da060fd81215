"""The table of writers, one per output name: each checks dtype/shape/range, then writes atomically.

Every writer takes the frame folder and the output array and returns the
files it wrote as {key: file name relative to the frame folder}; the fixed
outputs' files are those of `OUTPUT_FILES` (rdc_extract/dataset/names.py). Writers
raise ValueError instead of clipping or casting silently.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from rdc_extract.dataset.files import write_json, write_png, write_tiff
from rdc_extract.dataset.names import OUTPUT_FILES, role_name_problem
from rdc_extract.decode.channels import fill_pixels, finite_pixels
from rdc_extract.decode.depth import depth_to_kitti_u16
from rdc_extract.decode.normals import normals_to_u16_png

Writer = Callable[[Path, np.ndarray], dict[str, str]]


def _check(name: str, array: np.ndarray, dtypes: tuple[type, ...], ndims: tuple[int, ...]) -> None:
    if array.dtype not in [np.dtype(d) for d in dtypes]:
        raise ValueError(f"{name}: expected dtype {'/'.join(np.dtype(d).name for d in dtypes)}, got {array.dtype}")
    if array.ndim not in ndims:
        raise ValueError(f"{name}: expected {' or '.join(f'{n}D' for n in ndims)} array, got shape {array.shape}")


def write_rgb(frame_dir: Path, rgb: np.ndarray) -> dict[str, str]:
    _check("rgb", rgb, (np.uint8,), (3,))
    if rgb.shape[-1] != 3:
        raise ValueError(f"rgb: expected 3 channels, got shape {rgb.shape}")
    files = OUTPUT_FILES["rgb"]
    write_png(frame_dir / files["rgb"], rgb)
    return dict(files)


def write_depth(frame_dir: Path, depth_m: np.ndarray) -> dict[str, str]:
    """depth.tiff (float32 metres, +inf = none) and depth_kitti.png (uint16 metres × 256, 0 = none)."""
    _check("depth", depth_m, (np.float32,), (2,))
    if np.any(np.isnan(depth_m)) or np.any(depth_m <= 0):
        raise ValueError("depth: values must be positive metres or +inf (no geometry), found NaN or ≤ 0")
    files = OUTPUT_FILES["depth"]
    write_tiff(frame_dir / files["depth"], depth_m)
    write_png(frame_dir / files["depth_kitti"], depth_to_kitti_u16(depth_m))
    return dict(files)


def write_normals(frame_dir: Path, normals: np.ndarray) -> dict[str, str]:
    """normals.tiff (float32, NaN = none) and normals.png (uint16 Kubric encoding, 0 = none)."""
    _check("normals", normals, (np.float32,), (3,))
    missing = ~finite_pixels(normals)
    zeroed = normals.copy()
    fill_pixels(zeroed, missing, 0.0)
    encoded = normals_to_u16_png(zeroed, overwrite=True)
    fill_pixels(encoded, missing, 0)
    files = OUTPUT_FILES["normals"]
    write_tiff(frame_dir / files["normals"], normals)
    write_png(frame_dir / files["normals_u16"], encoded)
    return dict(files)


def write_stencil(frame_dir: Path, stencil: np.ndarray) -> dict[str, str]:
    _check("stencil", stencil, (np.uint8,), (2,))
    files = OUTPUT_FILES["stencil"]
    write_png(frame_dir / files["stencil"], stencil)
    return dict(files)


def _write_id_map(output: str, frame_dir: Path, ids: np.ndarray, table: dict[str, Any], rows: str,
                  key: str) -> dict[str, str]:
    """`<output>.png` (uint16, 0 = none, i = the row of `table[rows]` whose `key` is i, numbered from 1) and
    `<output>.json` (`table`), checked against each other first."""
    _check(output, ids, (np.uint16,), (2,))
    listed = table[rows]
    if int(ids.max(initial=0)) > len(listed) or [row[key] for row in listed] != list(range(1, len(listed) + 1)):
        raise ValueError(f"{output}: values up to {int(ids.max(initial=0))} but a table of {len(listed)} {rows} "
                         "numbered from 1")
    files = OUTPUT_FILES[output]
    write_png(frame_dir / files[output], ids)
    write_json(frame_dir / files[f"{output}_table"], table)
    return dict(files)


def write_drawids(frame_dir: Path, ids: np.ndarray, table: dict[str, Any]) -> dict[str, str]:
    """drawids.png (i = the i-th draw of `table["draws"]`) and drawids.json (`table`)."""
    return _write_id_map("drawids", frame_dir, ids, table, "draws", "index")


def write_instances(frame_dir: Path, ids: np.ndarray, table: dict[str, Any]) -> dict[str, str]:
    """instances.png (i = the instance with id i of `table["instances"]`) and instances.json (`table`)."""
    return _write_id_map("instances", frame_dir, ids, table, "instances", "id")


def gbuffer_target_writer(name: str) -> Writer:
    """8-bit targets as PNG (values as stored), float targets as float16/float32 TIFF.

    `name` becomes a file name: one that is not a valid role name (profiles
    check on load) is refused here too, before anything is written.
    """
    problem = role_name_problem(name)
    if problem:
        raise ValueError(f"G-buffer target {name!r}: expected {problem}")

    def write(frame_dir: Path, image: np.ndarray) -> dict[str, str]:
        _check(name, image, (np.uint8, np.float16, np.float32), (2, 3))
        if image.dtype == np.uint8:
            write_png(frame_dir / f"{name}.png", image)
            return {name: f"{name}.png"}
        write_tiff(frame_dir / f"{name}.tiff", image)
        return {name: f"{name}.tiff"}

    return write


WRITERS: dict[str, Writer] = {
    "rgb": write_rgb,
    "depth": write_depth,
    "normals": write_normals,
    "stencil": write_stencil,
}


def writer_for(name: str) -> Writer:
    return WRITERS.get(name) or gbuffer_target_writer(name)
