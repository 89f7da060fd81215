"""Label sets on frames really extracted from the sample game: relabel beside the default, switch, warn."""

from __future__ import annotations

import csv
import json
import shutil

import numpy as np
from typer.testing import CliRunner

from rdc_extract.cli import app
from rdc_extract.dataset.files import read_png
from rdc_extract.labels.classmap import apply_class_map, resolve_class_map
from tests.test_relabel import CITYSCAPES_ID


def test_sample_frames_carry_two_label_sets_and_switch_between_them(drawids_dataset, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(drawids_dataset, out)
    frames = sorted((out / "frames").iterdir())
    native = {frame.name: (frame / "labels.png").read_bytes() for frame in frames}
    runner = CliRunner()

    result = runner.invoke(app, ["relabel", str(out), "-c", "city_game_cityscapes", "-j", "1"])
    assert result.exit_code == 0, result.output
    assert "warning:" not in result.stderr   # a mapping for city_game on city_game frames
    for frame in frames:
        stencil = read_png(frame / "stencil.png")
        beside = read_png(frame / "labels" / "city_game_cityscapes" / "labels.png")
        assert set(np.unique(stencil)) <= set(CITYSCAPES_ID)
        assert np.array_equal(beside, np.vectorize(CITYSCAPES_ID.get, otypes=[np.uint8])(stencil))
        assert (frame / "labels.png").read_bytes() == native[frame.name]
        meta = json.loads((frame / "meta.json").read_text())
        assert meta["label_sets"]["default"] == "city_game" == meta["labels"]["mapping"]
    with (out / "index.csv").open(newline="") as handle:
        assert {row["label_sets"] for row in csv.DictReader(handle)} == {'["city_game", "city_game_cityscapes"]'}

    switched = runner.invoke(app, ["relabel", str(out), "-c", "city_game_cityscapes", "--default", "-j", "1"])
    assert switched.exit_code == 0, switched.output
    for frame in frames:
        native_now = read_png(frame / "labels" / "city_game" / "labels.png")
        assert (frame / "labels" / "city_game" / "labels.png").read_bytes() == native[frame.name]
        assert np.array_equal(read_png(frame / "labels.png"),
                              apply_class_map(read_png(frame / "stencil.png"),
                                              resolve_class_map("city_game_cityscapes")).ids)
        assert native_now.shape == read_png(frame / "labels.png").shape

    other_game = runner.invoke(app, ["relabel", str(out), "-c", "gtav", "-j", "1"])
    assert other_game.exit_code == 0, other_game.output
    assert [line for line in other_game.stderr.splitlines() if line.startswith("warning:")] == [
        f"warning: {resolve_class_map('gtav').path}: mapping 'gtav' is for game 'gtav', but 2 of 2 frames are of "
        "other games: 'city_game' (2)"]   # the game the sample captures' sidecars name


def test_a_batch_that_redoes_frames_for_more_outputs_says_which_label_sets_to_make_again(tmp_path):
    """A redone frame has the labels extraction makes; those relabel made are gone (QA: the summary said only
    'redone: more outputs asked for'). The summary names them and the relabel command that makes them again."""
    from tests.conftest import SAMPLE_CAPTURES

    captures = tmp_path / "captures"
    captures.mkdir()
    shutil.copy(SAMPLE_CAPTURES[0], captures)
    out = tmp_path / "out"
    runner = CliRunner()
    first = runner.invoke(app, ["batch", str(captures), str(out), "-j", "1", "--outputs", "rgb,stencil,labels"])
    assert first.exit_code == 0, first.output
    assert runner.invoke(app, ["relabel", str(out), "-c", "city_game_cityscapes", "-j", "1"]).exit_code == 0
    result = runner.invoke(app, ["batch", str(captures), str(out), "-j", "1", "--outputs", "rgb,stencil,labels,depth"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.stdout.split())
    assert ("redone frames no longer have the label sets relabel made: 'city_game_cityscapes' (1 frame); to make "
            f"them again: rdc-extract relabel {out} --classes city_game_cityscapes") in said
    again = runner.invoke(app, ["batch", str(captures), str(out), "-j", "1", "--outputs", "rgb,stencil,labels,depth"])
    assert "no longer have" not in again.stdout   # nothing redone, nothing to say
