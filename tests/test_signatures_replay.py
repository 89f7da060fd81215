"""Draw signatures on real captures: the same objects keep their signatures in two captures of the sample game
made with different seeds, different objects never share one; on neverball (Vulkan through Zink, no profile)
every draw has one and the coins of one frame share theirs."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from rdc_extract.dataset.files import read_png
from rdc_extract.extract.pipeline import extract_capture
from tests.corpus import decompressed

SAMPLES = sorted((Path(__file__).resolve().parents[1] / "samples" / "captures").glob("*.rdc"))
PEDESTRIAN, VEHICLE, CLASS_BITS = 1, 2, 0x0F  # docs/sample_game.md, "Stencil classes"


def _draws(capture: Path, folder: Path, outputs: list[str]) -> tuple[list[dict], Path]:
    extract_capture(capture, folder, outputs=outputs)
    return json.loads((folder / "drawids.json").read_text())["draws"], folder


def _classes(draws: list[dict], folder: Path) -> dict[int, int]:
    """The stencil class most of each visible draw's pixels hold (the game writes its class with every draw)."""
    ids, stencil = read_png(folder / "drawids.png"), read_png(folder / "stencil.png")
    return {d["index"]: Counter(stencil[ids == d["index"]].tolist()).most_common(1)[0][0] & CLASS_BITS
            for d in draws if d["pixels"]}


@pytest.fixture(scope="module")
def two_seeds(tmp_path_factory) -> list[tuple[list[dict], dict[int, int]]]:
    if len(SAMPLES) < 2:
        pytest.skip("fewer than two sample-game captures: run samples/make_captures.sh")
    runs = []
    for capture in SAMPLES[:2]:
        draws, folder = _draws(capture, tmp_path_factory.mktemp("signatures") / "frame", ["stencil", "drawids"])
        runs.append((draws, _classes(draws, folder)))
    return runs


def test_most_signatures_of_one_capture_recur_in_another_made_with_another_seed(two_seeds):
    (first, _), (second, _) = two_seeds
    assert all(len(d["signature"]) == 32 for d in first + second)
    recurring = {d["signature"] for d in second}
    assert sum(d["signature"] in recurring for d in first) >= 0.5 * len(first)


def test_pedestrians_and_vehicles_keep_their_signatures_across_captures(two_seeds):
    (first, first_classes), (second, _) = two_seeds
    recurring = {d["signature"] for d in second}
    people_and_cars = [d for d in first if first_classes.get(d["index"]) in (PEDESTRIAN, VEHICLE)]
    assert people_and_cars and all(d["signature"] in recurring for d in people_and_cars)


def test_draws_of_different_classes_never_share_a_signature(two_seeds):
    classes_of: dict[str, set[int]] = {}
    for draws, classes in two_seeds:
        for d in draws:
            if d["index"] in classes:
                classes_of.setdefault(d["signature"], set()).add(classes[d["index"]])
    assert len(set().union(*classes_of.values())) >= 6
    assert all(len(classes) == 1 for classes in classes_of.values())


def test_a_real_games_draws_all_have_signatures_and_its_coins_share_one(tmp_path):
    """neverball's coins are the 18 draws of 372 indices (events 274-325); each has its own vertex buffer with
    its world position baked in, the same mesh otherwise."""
    draws, _ = _draws(decompressed("neverball", tmp_path), tmp_path / "frame", ["rgb", "depth", "drawids"])
    assert all(len(d["signature"]) == 32 and d["signature_parts"]["shaders"] for d in draws)
    coins = [d for d in draws if d["signature_parts"]["parameters"]["num_indices"] == 372]
    assert len(coins) == 18 and len({d["signature"] for d in coins}) == 1
    assert not {d["signature"] for d in draws if d not in coins} & {coins[0]["signature"]}
