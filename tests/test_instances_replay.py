"""`--outputs ...,instances` on real captures: the sample game's instance masks against the game's own
per-object ground truth (`instance` in its .gt.npz), and a frame whose profile has no [instances] rule."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rdc_extract.dataset.files import read_png
from rdc_extract.extract.pipeline import extract_capture

SAMPLES = sorted((Path(__file__).resolve().parents[1] / "samples" / "captures").glob("*.rdc"))
# r05 shows the most cars and people of the six (two cars, three people, two of them large)
SAMPLE = [path for path in SAMPLES if "_r05_" in path.name]
PEDESTRIAN, VEHICLE, CLASS_BITS = 1, 2, 0x0F  # samples/city_game/classes.py


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> tuple[np.ndarray, dict, dict, dict]:
    if not SAMPLE:
        pytest.skip("no sample-game captures: run samples/make_captures.sh")
    frame_dir = tmp_path_factory.mktemp("instances") / "frame"
    meta = extract_capture(SAMPLE[0], frame_dir, outputs=["labels", "instances"])
    with np.load(SAMPLE[0].with_suffix(".gt.npz")) as truth:
        gt = {name: truth[name] for name in ("instance", "stencil")}
    return read_png(frame_dir / "instances.png"), json.loads((frame_dir / "instances.json").read_text()), gt, meta


def _matches(truth: np.ndarray, ours: np.ndarray) -> dict[int, tuple[int, int]]:
    """Each ground-truth object → (the extracted instance covering most of its pixels, how many it covers)."""
    pairs, counts = np.unique(np.stack([truth.ravel(), ours.ravel()]), axis=1, return_counts=True)
    best: dict[int, tuple[int, int]] = {}
    for (obj, instance), count in zip(pairs.T.tolist(), counts.tolist()):
        if obj and instance and count > best.get(obj, (0, 0))[1]:
            best[obj] = (instance, count)
    return best


def test_instance_masks_match_the_games_own_objects_on_99_percent_of_object_pixels(extracted):
    ours, _, gt, _ = extracted
    best = _matches(gt["instance"], ours)
    objects = gt["instance"] > 0
    assert sum(count for _, count in best.values()) / objects.sum() >= 0.99
    assert not ours[~objects].any(), "no instance where the game drew nothing"


def test_every_car_and_person_is_an_instance_of_its_own_with_its_class(extracted):
    """The strict half: the rule above allows one instance for several objects (a static batch holds many
    buildings); cars and people must each have their own, covering all their pixels, and its class."""
    ours, table, gt, _ = extracted
    classes = gt["stencil"] & CLASS_BITS
    things = np.unique(gt["instance"][np.isin(classes, (PEDESTRIAN, VEHICLE))])
    assert len(things) >= 5
    best = _matches(gt["instance"], ours)
    assert len({best[obj][0] for obj in things}) == len(things), "two cars or people in one instance"
    for obj in things:
        instance, count = best[obj]
        mask = gt["instance"] == obj
        record = table["instances"][instance - 1]
        assert count == mask.sum() == record["pixels"] == (ours == instance).sum()
        assert record["class"]["name"] == {PEDESTRIAN: "pedestrian", VEHICLE: "vehicle"}[int(classes[mask][0])]
        ys, xs = np.nonzero(mask)
        assert record["box"] == [xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1]


def test_the_table_records_the_profiles_rule_and_instances_alone_write_no_draw_ids(extracted):
    ours, table, _, meta = extracted
    assert table["merge"]["rule"] == "same_constant" and table["merge"]["draws_not_binding_it"] == 0
    assert [record["id"] for record in table["instances"]] == list(range(1, ours.max() + 1))
    assert all(record["signatures"] and record["event_ids"] for record in table["instances"])
    assert meta["outputs"]["instances"] == "instances.png" and meta["outputs"]["instances_table"] == "instances.json"
    assert "drawids" not in meta["outputs"] and "instance_constants" in meta["timing_s"]


def test_without_an_instances_rule_each_draw_is_an_instance(vk_capture, tmp_path):
    """The tiny Vulkan G-buffer capture, with the generic profile (no [instances]) and no labels."""
    extract_capture(vk_capture, tmp_path / "frame", outputs=["instances"])
    table = json.loads((tmp_path / "frame" / "instances.json").read_text())
    assert table["merge"]["rule"] == "none" and table["classes"] is None
    assert table["instances"] and all(len(record["draws"]) == 1 and record["class"] is None
                                      for record in table["instances"])
