"""The signatures of a dataset: which draw signatures cover how many frames and pixels, and what they look like.

`rdc-extract signatures OUT` reads each frame's `drawids.json` and
`drawids.png` (extracted with `--outputs …,drawids`), never replays. Labelling
the few hundred signatures that cover most pixels labels every frame they
appear in (docs/drawids.md, "The signatures of a dataset"). Tallying and
cutting tiles are pure; reading frames and writing the CSV and the contact
sheet are the two functions at the end.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rdc_extract.batch.index import write_csv
from rdc_extract.dataset.files import read_png, write_png
from rdc_extract.labels.files import read_draw_table
from rdc_extract.labels.relabel import frame_dirs

TILE = 96
SHEET_COLUMNS = 8
CSV_NAME = "signatures.csv"
SHEET_NAME = "signatures.png"
CSV_COLUMNS = ["signature", "frames", "draws", "pixels", "pixel_share", "name", "marker_path", "example_frame",
               "example_draw", "sheet_tile"]


@dataclass
class SignatureTally:
    """One signature across the dataset, and its largest appearance (the contact sheet's example)."""

    signature: str
    name: str
    marker_path: str
    frames: set[str] = field(default_factory=set)
    draws: int = 0
    pixels: int = 0
    example: tuple[str, int, int] = ("", 0, -1)  # (frame id, draw index, pixels)


def tally(tables: Iterable[tuple[str, dict]]) -> list[SignatureTally]:
    """Per signature: frames, draws and visible pixels, largest first; from (frame id, drawids.json) pairs."""
    found: dict[str, SignatureTally] = {}
    for frame_id, table in tables:
        for draw in table["draws"]:
            signature = draw.get("signature")
            if signature is None:
                continue
            entry = found.setdefault(signature, SignatureTally(signature, draw["name"], "/".join(draw["marker_path"])))
            entry.frames.add(frame_id)
            entry.draws += 1
            entry.pixels += draw["pixels"]
            if draw["pixels"] > entry.example[2]:
                entry.example = (frame_id, draw["index"], draw["pixels"])
    return sorted(found.values(), key=lambda entry: (-entry.pixels, entry.signature))


def tile(rgb: np.ndarray, mask: np.ndarray, size: int = TILE) -> np.ndarray:
    """The mask's bounding box of `rgb`, other pixels darkened, scaled (nearest) into a size×size uint8 tile."""
    out = np.zeros((size, size, 3), np.uint8)
    rows, cols = np.nonzero(mask)
    if rows.size == 0:
        return out
    top, bottom, left, right = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    crop = rgb[top:bottom, left:right, :3].astype(np.uint16)
    crop = np.where(mask[top:bottom, left:right, None], crop, crop // 4).astype(np.uint8)
    scale = size / max(crop.shape[0], crop.shape[1])
    height, width = max(1, round(crop.shape[0] * scale)), max(1, round(crop.shape[1] * scale))
    ys = np.minimum((np.arange(height) / scale).astype(int), crop.shape[0] - 1)
    xs = np.minimum((np.arange(width) / scale).astype(int), crop.shape[1] - 1)
    out[:height, :width] = crop[ys][:, xs]
    return out


def sheet(tiles: list[np.ndarray], columns: int = SHEET_COLUMNS) -> np.ndarray:
    """Tiles in rows of (at most) `columns`, left to right, top to bottom, 2 px apart."""
    columns = max(1, min(columns, len(tiles)))
    rows = -(-len(tiles) // columns)
    size = tiles[0].shape[0] if tiles else TILE
    out = np.zeros((rows * (size + 2), columns * (size + 2), 3), np.uint8)
    for number, image in enumerate(tiles):
        row, column = divmod(number, columns)
        out[row * (size + 2):row * (size + 2) + size, column * (size + 2):column * (size + 2) + size] = image
    return out


@dataclass
class SignatureReport:
    tallies: list[SignatureTally]
    frames: int
    frames_without_drawids: int
    total_pixels: int
    csv: Path
    sheet: Path | None


def _tables(frames: list[Path]) -> Iterable[tuple[str, dict]]:
    for frame in frames:
        draws = read_draw_table(frame)
        if draws is not None:
            yield frame.name, {"draws": draws}


def signature_report(out_dir: Path, *, top: int = 48) -> SignatureReport:
    """Tally the dataset's signatures; write OUT/signatures.csv (all) and OUT/signatures.png (the `top` largest)."""
    frames, _links = frame_dirs(out_dir)
    tables = list(_tables(frames))
    tallies = tally(tables)
    total = sum(entry.pixels for entry in tallies)
    shown = tallies[:top]
    rows = [{"signature": entry.signature, "frames": len(entry.frames), "draws": entry.draws,
             "pixels": entry.pixels, "pixel_share": round(entry.pixels / total, 6) if total else 0.0,
             "name": entry.name, "marker_path": entry.marker_path, "example_frame": entry.example[0],
             "example_draw": entry.example[1], "sheet_tile": rank + 1 if rank < len(shown) else None}
            for rank, entry in enumerate(tallies)]
    csv_path = write_csv(Path(out_dir) / CSV_NAME, CSV_COLUMNS, rows)
    sheet_path = None
    if shown:
        frame_root = Path(out_dir) / "frames"
        tiles = []
        for entry in shown:
            frame_id, index, _ = entry.example
            ids = read_png(frame_root / frame_id / "drawids.png")
            rgb_path = frame_root / frame_id / "rgb.png"
            rgb = read_png(rgb_path) if rgb_path.is_file() else np.full((*ids.shape, 3), 128, np.uint8)
            tiles.append(tile(rgb, ids == index))
        sheet_path = write_png(Path(out_dir) / SHEET_NAME, sheet(tiles))
    return SignatureReport(tallies, len(frames), len(frames) - len(tables), total, csv_path, sheet_path)

