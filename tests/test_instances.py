"""Instances from draws, on plain data: merge keys, grouping, the map, the table (ids, draws, signatures,
classes, pixels, boxes), the writer and the profile's [instances] rule."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rdc_extract.dataset.files import read_png
from rdc_extract.dataset.writers import write_instances
from rdc_extract.extract.instances import (IDENTITY, NOT_BOUND, FrameLabels, MergeKeys, MergeRule, boxes,
                                           build_instances, group_draws, merge_key, merge_record, rule_warning)
from rdc_extract.profiles.registry import resolve_profile

CAR = np.array([[0.0, -1.0, 0.0, 12.5], [1.0, 0.0, 0.0, 3.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]])
OTHER_CAR = CAR + np.array([[0.0, 0.0, 0.0, 6.0], [0.0] * 4, [0.0] * 4, [0.0] * 4])


def _draws(count: int) -> list[dict]:
    return [{"index": i, "event_id": 100 + 6 * i, "signature": f"sig{i}"} for i in range(1, count + 1)]


def test_a_draw_is_keyed_by_its_value_unless_it_binds_none_or_the_identity():
    assert merge_key(CAR) == merge_key(CAR.copy()) != merge_key(OTHER_CAR)
    assert merge_key(None) == NOT_BOUND
    assert merge_key(np.eye(4)) == merge_key(np.eye(4, dtype=np.float32)) == IDENTITY
    assert merge_key(np.eye(3, 4)) == IDENTITY  # a 3×4 world matrix (D3D games) as well
    assert isinstance(merge_key(np.ones((1, 1))), bytes)  # a scalar 1 is a value, not a matrix
    assert merge_key(np.arange(4.0).reshape(1, 4)) != merge_key(np.arange(4.0).reshape(4, 1))


def test_draws_with_the_same_key_share_a_group_and_keyless_draws_stay_alone():
    a, b = merge_key(CAR), merge_key(OTHER_CAR)
    assert group_draws([a, b, a, NOT_BOUND, NOT_BOUND, IDENTITY, IDENTITY, b]) == [0, 1, 0, 2, 3, 4, 5, 1]
    assert group_draws([]) == []


def test_a_car_drawn_in_parts_is_one_instance_and_static_batches_stay_apart():
    # draws: 1 car body, 2 static batch (identity), 3 car wheels, 4 car glass (hidden), 5 other car (hidden),
    # 6 another static batch (identity)
    draw_ids = np.array([[2, 2, 2, 2, 6, 6],
                         [2, 1, 1, 1, 6, 6],
                         [0, 3, 1, 3, 6, 0]], np.uint16)
    keys = [merge_key(v) for v in (CAR, np.eye(4), CAR, CAR, OTHER_CAR, np.eye(4))]
    draws = _draws(6)
    draws[2]["signature"] = "sig1"  # two parts with one signature: listed once
    built = build_instances(draw_ids, draws, keys, merge_record(MergeRule("ObjectConstants", "world"), "game"))
    assert built.ids.dtype == np.uint16
    assert built.ids.tolist() == [[2, 2, 2, 2, 3, 3],
                                  [2, 1, 1, 1, 3, 3],
                                  [0, 1, 1, 1, 3, 0]]
    car, batch, other = built.table["instances"]
    assert car == {"id": 1, "draws": [1, 3, 4], "event_ids": [106, 118, 124], "signatures": ["sig1", "sig4"],
                   "class": None, "pixels": 6, "box": [1, 1, 3, 2]}
    assert (batch["id"], batch["draws"], batch["pixels"], batch["box"]) == (2, [2], 5, [0, 0, 4, 2])
    assert (other["id"], other["draws"], other["pixels"], other["box"]) == (3, [6], 5, [4, 0, 2, 3])
    assert built.table["merge"] == {"rule": "same_constant", "block": "ObjectConstants", "member": "world",
                                    "profile": "game", "draws_not_binding_it": 0, "draws_with_identity": 2}
    assert built.table["none"] == 0 and built.table["classes"] is None


def test_without_a_rule_every_draw_with_pixels_is_an_instance_and_the_table_says_why():
    draw_ids = np.array([[0, 3, 3], [1, 1, 3]], np.uint16)
    built = build_instances(draw_ids, _draws(3), None, merge_record(None, "generic"))
    assert built.ids.tolist() == [[0, 2, 2], [1, 1, 2]]
    assert [(i["id"], i["draws"]) for i in built.table["instances"]] == [(1, [1]), (2, [3])]
    assert built.table["merge"] == {"rule": "none",
                                    "why": "profile 'generic' states no [instances] rule: one instance per draw"}


def test_an_instances_class_is_its_most_common_label_with_that_labels_share():
    draw_ids = np.array([[1, 1, 1, 2], [1, 2, 2, 2]], np.uint16)
    labels = np.array([[26, 26, 26, 24], [7, 24, 24, 24]], np.uint8)
    built = build_instances(draw_ids, _draws(2), None, merge_record(None, "g"),
                            FrameLabels(labels, {26: "car", 24: "person", 7: "road"}, "cityscapes"))
    car, person = built.table["instances"]
    assert car["class"] == {"id": 26, "name": "car", "share": 0.75}
    assert person["class"] == {"id": 24, "name": "person", "share": 1.0}
    assert built.table["classes"]["mapping"] == "cityscapes"


def test_boxes_are_each_ids_pixel_extent_and_zero_for_an_id_without_pixels():
    ids = np.random.default_rng(7).integers(0, 6, (9, 13)).astype(np.uint16)
    ids[ids == 4] = 0
    found = boxes(ids, 6)
    for number in range(1, 7):
        ys, xs = np.nonzero(ids == number)
        expected = [xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1] if len(xs) else [0] * 4
        assert found[number - 1].tolist() == expected


def test_a_frame_whose_draws_own_nothing_has_no_instances():
    built = build_instances(np.zeros((2, 2), np.uint16), _draws(2), None, merge_record(None, "g"),
                            FrameLabels(np.zeros((2, 2), np.uint8), {}, "m"))
    assert built.table["instances"] == [] and not built.ids.any()


def test_merge_keys_come_back_in_draw_order_and_a_draw_never_read_is_not_bound():
    keys = MergeKeys(MergeRule("ObjectConstants", "world"))
    keys.seen(20, CAR)
    keys.seen(10, np.eye(4))
    assert keys.keys([10, 20, 30]) == [IDENTITY, merge_key(CAR), NOT_BOUND]


def test_the_key_count_must_match_the_draws():
    with pytest.raises(ValueError, match="2 merge keys for 3 draws"):
        build_instances(np.zeros((1, 1), np.uint16), _draws(3), [NOT_BOUND, NOT_BOUND], merge_record(None, "g"))


def test_the_writer_writes_the_map_and_table_and_refuses_ids_the_table_lacks(tmp_path):
    built = build_instances(np.array([[1, 2]], np.uint16), _draws(2), None, merge_record(None, "g"))
    assert write_instances(tmp_path, built.ids, built.table) == {"instances": "instances.png",
                                                                 "instances_table": "instances.json"}
    assert read_png(tmp_path / "instances.png").tolist() == [[1, 2]]
    assert json.loads((tmp_path / "instances.json").read_text()) == built.table
    with pytest.raises(ValueError, match="values up to 3 but a table of 2 instances"):
        write_instances(tmp_path, np.array([[3]], np.uint16), built.table)
    with pytest.raises(ValueError, match="expected dtype uint16"):
        write_instances(tmp_path, built.ids.astype(np.uint32), built.table)


def test_the_sample_games_profile_merges_by_its_world_matrix_and_the_generic_one_does_not():
    city = resolve_profile("city_game").instances
    assert (city.block, city.member) == ("ObjectConstants", "world")
    generic = resolve_profile("generic").instances
    assert (generic.block, generic.member) == (None, None)


def test_a_rule_no_draw_answers_is_a_warning_and_a_rule_some_answer_is_not():
    rule = merge_record(MergeRule("Obj", "world"), "game")
    unbound = build_instances(np.array([[1, 2]], np.uint16), _draws(2), [NOT_BOUND, NOT_BOUND], rule)
    assert rule_warning(unbound.table, 2) == (
        "instances: no scene draw binds Obj.world ([instances] of profile 'game'): one instance per draw; "
        "`rdc-extract inspect CAPTURE --at EVENT` lists the blocks")
    some = build_instances(np.array([[1, 2]], np.uint16), _draws(2), [NOT_BOUND, IDENTITY], rule)
    assert rule_warning(some.table, 2) is None
    assert rule_warning(build_instances(np.array([[1]], np.uint16), _draws(1), None, merge_record(None, "g")).table,
                        1) is None
