"""The whole offline loop on the shipped sample captures: batch → relabel (Cityscapes, made the default) → relabel
(native, the default again)."""

from __future__ import annotations

import csv
import json
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
    assert f"next: rdc-extract split {out} --by seed --ratios 0.8,0.1,0.1" in result.stdout  # one run, six seeds
    # labels but no instance maps (an output only on request): cityscapes, not coco, can be exported
    assert f"then: rdc-extract export {out} DEST --format cityscapes" in result.stdout
    return out


def _frames(out: Path) -> list[Path]:
    return sorted(p for p in (out / "frames").iterdir() if p.is_dir())


def _snapshot(out: Path) -> dict[str, bytes]:
    files = {str(f.relative_to(out)): f.read_bytes() for frame in _frames(out) for f in frame.iterdir()
             if f.name in LABEL_FILES or f.name == "stencil.png"}
    with (out / "index.csv").open(newline="") as handle:   # every column but the label sets, which grow
        files["index.csv"] = repr([{k: v for k, v in row.items() if k != "label_sets"} for row in csv.DictReader(handle)])
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
        meta = json.loads((dataset / row["frame_dir"] / "meta.json").read_text())
        (fx, _, cx), (_, fy, cy), _ = meta["camera"]["K"]
        assert [float(row[key]) for key in ("fx", "fy", "cx", "cy")] == [fx, fy, cx, cy]
        assert (int(row["width"]), int(row["height"])) == (meta["image"]["width"], meta["image"]["height"])
        assert (row["mapping"], row["label_sets"], row["split"]) == ("city_game", '["city_game"]', "")


def test_the_samples_split_by_seed_and_refuse_a_split_by_their_one_run(dataset):
    result = runner.invoke(app, ["split", str(dataset), "--by", "seed", "--ratios", "4,1,1"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("split by seed: train 4 frames (4 groups), val 1 frames (1 groups), "
                                    "test 1 frames (1 groups)")
    with (dataset / "index.csv").open(newline="") as handle:
        assert sorted(row["split"] for row in csv.DictReader(handle)) == ["test", "train", "train", "train",
                                                                           "train", "val"]
    by_run = runner.invoke(app, ["split", str(dataset), "--by", "run"])
    assert by_run.exit_code == 1 and "cannot split by run: 1 group of frames cannot fill 3 splits" in by_run.output


def test_relabel_cityscapes_then_native_round_trip(dataset):
    original = _snapshot(dataset)

    result = runner.invoke(app, ["relabel", str(dataset), "--classes", "city_game_cityscapes", "--default"])
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

    result = runner.invoke(app, ["relabel", str(dataset), "--classes", "city_game", "--default"])
    assert result.exit_code == 0, result.stdout + result.stderr
    assert _snapshot(dataset) == original
    for frame in _frames(dataset):   # the Cityscapes labels stay beside the default
        assert (frame / "labels" / "city_game_cityscapes" / "labels_train.png").is_file()
