"""`rdc-extract preview` and `card` on a real extracted frame: the files they write, the links between them, and
numbers that match a direct computation on the frame (docs/preview.md)."""

from __future__ import annotations

import csv
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from rdc_extract.cli import app
from rdc_extract.data import Dataset
from rdc_extract.dataset.files import read_png, write_png
from rdc_extract.preview.stats import DEPTH_BIN_RATIO

pytest.importorskip("matplotlib")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.links += [value for name, value in attrs if name in ("href", "src") and value]


def _table_row(text: str, cells: str) -> list[str]:
    (line,) = [line for line in text.splitlines() if line.startswith(cells)]
    return [cell.strip() for cell in line.strip("|").split("|")]


@pytest.fixture
def dataset(reader_dataset, tmp_path) -> Path:
    """The extracted frame with a batch's index.csv (with a split column) and failures.csv beside it."""
    out = tmp_path / "out"
    shutil.copytree(reader_dataset, out)
    (frame_id,) = Dataset(out).frame_ids
    (out / "index.csv").write_text(f"frame_id,frame_dir,split\n{frame_id},frames/{frame_id},train\n")
    with (out / "failures.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows([["capture", "cause", "error", "finished_at"],
                                      ["x.rdc", "replay failed", "boom", "t"], ["y.rdc", "not a capture", "no", "t"]])
    return out


def test_preview_writes_a_gallery_and_a_card_whose_numbers_match_the_frame(dataset, tmp_path):
    gallery = tmp_path / "gallery"
    result = CliRunner().invoke(app, ["preview", str(dataset), "--out", str(gallery)])
    assert result.exit_code == 0, result.output
    assert f"1 of 1 frames drawn: open {gallery / 'index.html'}" in result.output

    page = (gallery / "index.html").read_text()
    parser = _Links()
    parser.feed(page)
    files = [link for link in parser.links if not link.startswith("#")]
    assert files and all((gallery / link).is_file() for link in files)
    assert "../out/README.md" in files
    frame = Dataset(dataset)[0]
    sheet = read_png(gallery / "frames" / f"{frame.frame_id}.png")
    assert sheet.ndim == 3 and sheet.shape[1] > 1000
    drawn = {path: path.read_bytes() for path in gallery.rglob("*") if path.is_file()}
    assert CliRunner().invoke(app, ["preview", str(dataset), "--out", str(gallery)]).exit_code == 0
    assert {path: path.read_bytes() for path in gallery.rglob("*") if path.is_file()} == drawn

    card = (dataset / "README.md").read_text()
    for image in re.findall(r"!\[[^]]*\]\(([^)]+)\)", card):
        assert (dataset / image).is_file()
    mapping = frame.label_mapping.name
    assert f"## Classes: mapping `{mapping}`" in card
    ids = frame.labels("ids")
    counts = np.bincount(ids.ravel())
    for label in np.flatnonzero(counts):
        row = _table_row(card, f"| {label} |")
        assert int(row[3]) == counts[label] and row[4] == f"{100 * counts[label] / ids.size:.2f} %"
    depth = frame.depth()
    valid = depth[np.isfinite(depth)]
    row = _table_row(card, f"| {valid.min():.3g} m |")
    assert row[-1] == f"{valid.max():.3g} m"
    median = float(row[3].removesuffix(" m"))
    assert np.median(valid) / DEPTH_BIN_RATIO * 0.99 <= median <= np.median(valid) * DEPTH_BIN_RATIO * 1.01
    assert f"{valid.size} of their {depth.size} pixels" in card
    assert "| train | 1 |" in card and "2 captures failed" in card and "| replay failed | 1 |" in card
    assert f"| weather | {frame.scenario['weather']} (1) |" in card
    assert "| made with | rdc-extract " in card


def test_card_reruns_give_the_same_bytes_and_read_a_frame_again_only_when_it_changed(dataset):
    runner = CliRunner()
    assert runner.invoke(app, ["card", str(dataset)]).exit_code == 0
    first = {path.name: path.read_bytes() for path in [dataset / "README.md", *(dataset / "card").iterdir()]}
    assert runner.invoke(app, ["card", str(dataset)]).exit_code == 0
    assert {path.name: path.read_bytes() for path in [dataset / "README.md", *(dataset / "card").iterdir()]} == first
    (dataset / "card" / "frame_stats.json").write_text('{"schema": "rdc-extract/card-frame-stats/1", "frames": 7}')
    assert runner.invoke(app, ["card", str(dataset)]).exit_code == 0
    assert (dataset / "README.md").read_bytes() == first["README.md"]

    frame = Dataset(dataset)[0]
    labels = frame.path("labels_ids")
    write_png(labels, np.zeros_like(read_png(labels)))   # as relabel does: a new file renamed into the folder
    assert runner.invoke(app, ["card", str(dataset)]).exit_code == 0
    height, width = frame.size
    assert f"| 0 | 255 | unlabelled | {height * width} | 100.00 % | 1 |" in (dataset / "README.md").read_text()


def test_card_refuses_a_readme_it_did_not_write_and_preview_a_folder_of_other_files(dataset, tmp_path):
    runner = CliRunner()
    (dataset / "README.md").write_text("# notes\n")
    refused = runner.invoke(app, ["card", str(dataset)])
    assert refused.exit_code == 1
    assert refused.output.strip() == (f"error: {dataset / 'README.md'}: exists and was not written by "
                                      "`rdc-extract card`; move it away to write the card")
    assert (dataset / "README.md").read_text() == "# notes\n"
    os.remove(dataset / "README.md")
    other = tmp_path / "other"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    refused = runner.invoke(app, ["preview", str(dataset), "--out", str(other)])
    assert refused.exit_code == 1 and "holds no earlier gallery" in refused.output
    assert [path.name for path in other.iterdir()] == ["keep.txt"] and not (dataset / "README.md").exists()
    both = runner.invoke(app, ["preview", str(dataset), "--all", "--frames", "2"])
    assert both.exit_code == 2


def test_a_frame_that_cannot_be_drawn_is_listed_and_fails_the_command(dataset, tmp_path):
    frame = Dataset(dataset)[0]
    frame.path("rgb").unlink()
    result = CliRunner().invoke(app, ["preview", str(dataset), "--out", str(tmp_path / "g")])
    assert result.exit_code == 1
    assert f"error: {frame.path('rgb')}: missing, though meta.json lists it" in result.output
    assert "0 of 1 frames drawn" in result.output
    assert "not shown: " in (tmp_path / "g" / "index.html").read_text()
