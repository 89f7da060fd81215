"""The whole offline loop on the shipped sample captures: batch → relabel (Cityscapes) → relabel (native)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from rdc_extract.cli import app
from rdc_extract.dataset.files import read_png
from test_relabel import CITYSCAPES_ID, CITYSCAPES_TRAIN

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples" / "captures"
LABEL_FILES = ("labels.png", "labels_train.png", "labels_color.png")
runner = CliRunner()


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("out")
    result = runner.invoke(app, ["batch", str(SAMPLES), str(out), "--jobs", "2"])
    assert result.exit_code == 0, result.stdout + result.stderr
    return out


def _frames(out: Path) -> list[Path]:
    return sorted(p for p in (out / "frames").iterdir() if p.is_dir())


def _snapshot(out: Path) -> dict[str, bytes]:
    files = {str(f.relative_to(out)): f.read_bytes() for frame in _frames(out) for f in frame.iterdir()
             if f.name in LABEL_FILES or f.name == "stencil.png"}
    files["index.csv"] = (out / "index.csv").read_bytes()
    return files


def test_batch_builds_the_full_dataset_and_index(dataset):
    frames = _frames(dataset)
    assert len(frames) == len(list(SAMPLES.glob("*.rdc"))) >= 6
    with (dataset / "index.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(row["frame_id"] for row in rows) == [f.name for f in frames]
    for row in rows:  # the columns docs/batch.md's PyTorch Dataset reads
        for column in ("outputs.rgb", "outputs.depth", "outputs.labels_ids"):
            assert (dataset / row[column]).is_file()
        assert row["profile"] == "city_game" and row["scenario.weather"] in {"clear", "overcast", "fog", "rain"}


def test_relabel_cityscapes_then_native_round_trip(dataset):
    original = _snapshot(dataset)

    result = runner.invoke(app, ["relabel", str(dataset), "--classes", "city_game_cityscapes"])
    assert result.exit_code == 0, result.stdout + result.stderr
    relabelled = _snapshot(dataset)
    for frame in _frames(dataset):
        stencil = read_png(frame / "stencil.png")
        assert set(np.unique(stencil)) <= set(CITYSCAPES_ID), "stencil value outside the game's classes"
        want_ids = np.vectorize(CITYSCAPES_ID.get, otypes=[np.uint8])(stencil)
        want_train = np.vectorize(CITYSCAPES_TRAIN.get, otypes=[np.uint8])(stencil)
        assert np.array_equal(read_png(frame / "labels.png"), want_ids)
        assert np.array_equal(read_png(frame / "labels_train.png"), want_train)
        for name in LABEL_FILES:
            key = str((frame / name).relative_to(dataset))
            assert relabelled[key] != original[key], f"{key} unchanged by the Cityscapes mapping"
    assert relabelled["index.csv"] != original["index.csv"]

    result = runner.invoke(app, ["relabel", str(dataset), "--classes", "city_game"])
    assert result.exit_code == 0, result.stdout + result.stderr
    assert _snapshot(dataset) == original
