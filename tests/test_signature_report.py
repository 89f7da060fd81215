"""`rdc-extract signatures OUT`: signatures tallied over a dataset's frames, a CSV and a contact sheet."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from rdc_extract.cli import app
from rdc_extract.dataset.files import read_png
from rdc_extract.labels.signature_tally import sheet, tally, tile


def _draw(index: int, signature: str, pixels: int) -> dict:
    return {"index": index, "signature": signature, "pixels": pixels, "name": "draw", "marker_path": ["Scene"]}


def test_signatures_are_tallied_by_frames_draws_and_pixels_largest_first():
    tables = [("a", {"draws": [_draw(1, "road", 500), _draw(2, "car", 40), _draw(3, "car", 60)]}),
              ("b", {"draws": [_draw(1, "car", 90), _draw(2, "tree", 10), {**_draw(3, "x", 5), "signature": None}]})]
    tallies = tally(tables)
    assert [t.signature for t in tallies] == ["road", "car", "tree"]
    car = tallies[1]
    assert (len(car.frames), car.draws, car.pixels, car.example) == (2, 3, 190, ("b", 1, 90))


def test_a_tile_is_the_masks_box_scaled_with_the_rest_darkened():
    rgb = np.full((10, 20, 3), 200, np.uint8)
    mask = np.zeros((10, 20), bool)
    mask[2:4, 5:9] = True
    mask[2, 5] = False
    out = tile(rgb, mask, size=8)
    assert out.shape == (8, 8, 3)
    assert out[0, 0].tolist() == [50, 50, 50] and out[0, 7].tolist() == [200, 200, 200]  # outside / inside the mask
    assert (out[4:] == 0).all()  # a 2x4 box keeps its aspect
    assert sheet([out] * 3, columns=2).shape == (2 * 10, 2 * 10, 3)
    assert not tile(rgb, np.zeros((10, 20), bool)).any()


def test_the_command_lists_signatures_writes_the_csv_and_the_contact_sheet(drawids_dataset, tmp_path):
    out = Path(shutil.copytree(drawids_dataset, tmp_path / "out"))
    result = CliRunner().invoke(app, ["signatures", str(out), "--top", "5"])
    assert result.exit_code == 0, result.stdout + result.stderr
    rows = list(csv.DictReader((out / "signatures.csv").open()))
    assert rows and [int(r["pixels"]) for r in rows] == sorted((int(r["pixels"]) for r in rows), reverse=True)
    assert [r["sheet_tile"] for r in rows[:6]] == ["1", "2", "3", "4", "5", ""]
    assert any(int(r["frames"]) == 2 for r in rows)  # content signatures recur across the two captures
    assert abs(sum(float(r["pixel_share"]) for r in rows) - 1) < 1e-3
    assert read_png(out / "signatures.png").shape == (98, 5 * 98, 3)
    assert "largest cover" in " ".join(result.stdout.split())


def test_a_dataset_without_draw_ids_is_a_one_line_error(tmp_path):
    (tmp_path / "frames").mkdir()
    result = CliRunner().invoke(app, ["signatures", str(tmp_path)])
    assert result.exit_code == 1 and result.stderr.count("\n") == 1 and "--outputs ...,drawids" in result.stderr


def test_a_damaged_draw_id_table_is_a_one_line_error_naming_it(drawids_dataset, tmp_path):
    out = Path(shutil.copytree(drawids_dataset, tmp_path / "out"))
    table = sorted(out.glob("frames/*/drawids.json"))[0]
    table.write_text(table.read_text()[:200])   # cut short, as by a full disk or a copy stopped half-way
    result = CliRunner().invoke(app, ["signatures", str(out), "--top", "5"])
    assert result.exit_code != 0 and result.stderr.count("\n") == 1, result.stderr
    assert f"{table}: cannot be read as a draw-id table (Unterminated string" in " ".join(result.stderr.split())
