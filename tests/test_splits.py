"""Splits: groups of frames (run, seed, scenario) assigned whole, deterministically, on plain data and an index."""

from __future__ import annotations

import csv
import itertools
import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rdc_extract.batch.index import write_index
from rdc_extract.cli import app
from rdc_extract.dataset.files import write_json
from rdc_extract.errors import DatasetIndexError, NotADataset
from rdc_extract.splits.assign import SplitPlan, SplitPlanError, assign_groups, parse_plan
from rdc_extract.splits.groups import NO_GROUP, group_of, suggested_grouping
from rdc_extract.splits.run import SPLITS_NAME, split_dataset

PLAN = parse_plan("0.8,0.1,0.1")


def frames_per_split(sizes: dict[str, int], assigned: dict[str, str]) -> Counter:
    totals: Counter = Counter()
    for group, name in assigned.items():
        totals[name] += sizes[group]
    return totals


def squared_error(shares: Counter, plan: SplitPlan) -> float:
    total = sum(shares.values())
    return sum((shares[name] - ratio * total) ** 2 for name, ratio in zip(plan.names, plan.ratios))


def every_split(sizes: dict[str, int], plan: SplitPlan) -> list[Counter]:
    """The frames per split of every assignment that gives each split a group."""
    return [frames_per_split(sizes, dict(zip(sizes, names)))
            for names in itertools.product(plan.names, repeat=len(sizes)) if len(set(names)) == len(plan.names)]


def test_parse_plan_scales_ratios_and_names_the_usual_splits():
    assert parse_plan("8,1,1") == SplitPlan(("train", "val", "test"), (0.8, 0.1, 0.1), 0)
    assert parse_plan("0.9,0.1", seed=3).names == ("train", "val")
    assert parse_plan("1,1,1,1", "a,b,c,d").names == ("a", "b", "c", "d")


@pytest.mark.parametrize("ratios, names, expected", [
    ("0.8,x", None, "expected numbers separated by commas"),
    ("0.8,-0.1,0.3", None, "expected ratios ≥ 0"),
    ("0,0", None, "at least one above 0"),
    ("nan,1", None, "expected ratios ≥ 0"),
    ("1,1,1,1", None, "4 ratios: name the splits with --names"),
    ("0.5,0.5", "a,b,c", "3 names for 2 ratios"),
    ("0.5,0.5", "train,../x", "split name '../x'"),
    ("0.5,0.5", "a,a", "split names must differ"),
])
def test_bad_plans_say_what_is_wrong(ratios, names, expected):
    with pytest.raises(SplitPlanError, match=expected.replace("(", r"\(").replace(".", r"\.")):
        parse_plan(ratios, names)


def test_equal_groups_follow_the_ratios_exactly_and_no_group_is_split():
    sizes = {f"run {i}": 10 for i in range(10)}
    assigned = assign_groups(sizes, PLAN)
    assert set(assigned) == set(sizes)   # every group in exactly one split
    assert frames_per_split(sizes, assigned) == {"train": 80, "val": 10, "test": 10}


def test_unequal_groups_come_as_close_as_their_sizes_allow():
    sizes = {"big": 50, **{f"small {i}": 5 for i in range(10)}}
    assert frames_per_split(sizes, assign_groups(sizes, PLAN)) == {"train": 80, "val": 10, "test": 10}
    lumpy = {f"g{i}": size for i, size in enumerate((20, 13, 8, 8, 3, 2, 2))}   # placing alone gives 43/8/5
    shares = frames_per_split(lumpy, assign_groups(lumpy, PLAN))
    assert shares == {"train": 44, "val": 8, "test": 4}
    assert squared_error(shares, PLAN) == min(squared_error(option, PLAN) for option in every_split(lumpy, PLAN))


def test_the_assignment_depends_on_the_seed_not_on_the_order_groups_come_in():
    sizes = {f"seed {i}": 1 for i in range(40)}
    reordered = dict(reversed(list(sizes.items())))
    assert assign_groups(sizes, PLAN) == assign_groups(reordered, PLAN)
    other_seed = assign_groups(sizes, SplitPlan(PLAN.names, PLAN.ratios, seed=1))
    assert other_seed != assign_groups(sizes, PLAN)
    assert frames_per_split(sizes, other_seed) == {"train": 32, "val": 4, "test": 4}


def test_every_split_with_a_share_gets_a_group_and_too_few_groups_is_an_error():
    assert sorted(assign_groups({"a": 1, "b": 1, "c": 1}, PLAN).values()) == ["test", "train", "val"]
    assert frames_per_split({"a": 9, "b": 1}, assign_groups({"a": 9, "b": 1}, parse_plan("0.9,0.1,0"))) == {
        "train": 9, "val": 1}
    with pytest.raises(SplitPlanError, match=r"1 group of frames cannot fill 3 splits \(train, val, test\)"):
        assign_groups({"only run": 12}, PLAN)
    with pytest.raises(SplitPlanError, match="2 groups of frames cannot fill 3 splits"):
        assign_groups({"a": 1, "b": 5}, PLAN)
    assert assign_groups({"only run": 12}, parse_plan("1")) == {"only run": "all"}


def test_kept_groups_stay_and_new_ones_fill_around_them():
    sizes = {f"run {i}": 10 for i in range(10)}
    first = assign_groups(sizes, PLAN)
    grown = {**sizes, **{f"run {i}": 10 for i in range(10, 20)}}
    second = assign_groups(grown, PLAN, keep=first)
    assert all(second[group] == name for group, name in first.items())
    assert frames_per_split(grown, second) == {"train": 160, "val": 20, "test": 20}
    assert assign_groups(sizes, PLAN, keep={"gone": "val", "run 0": "nonexistent"}) == first


def test_groups_by_run_seed_and_scenario_from_sidecar_columns():
    row = {"scenario.game": "city_game", "scenario.run_id": "20261125T123148", "scenario.seed": "3",
           "scenario.weather": "rain", "scenario.clock_hour": "23", "scenario.plan_step.period": "day"}
    assert group_of(row, "run") == "city_game run 20261125T123148"
    assert group_of(row, "seed") == "city_game seed 3"
    assert group_of(row, "scenario") == "city_game rain night"   # the clock the game reported, not the plan's
    assert group_of({"scenario.plan_step.period": "dusk", "scenario.weather": "fog"}, "scenario") == "fog dusk"
    assert group_of({"scenario.game": "x", "scenario.weather": "fog"}, "scenario") == "x fog ?"
    assert group_of({"frame_id": "no sidecar"}, "run") == NO_GROUP == group_of({"scenario.seed": ""}, "seed")
    with pytest.raises(ValueError, match="group by one of run, seed, scenario"):
        group_of(row, "weather")


def make_index(out: Path, scenarios: dict[str, dict]) -> Path:
    """A dataset with finished frame folders and the index batch writes for them."""
    records = []
    for frame_id, scenario in scenarios.items():
        write_json(out / "frames" / frame_id / "meta.json", {"frame_id": frame_id})
        records.append({"status": "done", "frame_id": frame_id, "capture": f"{frame_id}.rdc", "profile": "city_game",
                        "outputs": {"rgb": "rgb.png", "depth_kitti": "depth_kitti.png"}, "scenario": scenario})
    return write_index(out, records)


def read_splits(out: Path) -> dict[str, str]:
    with (out / "index.csv").open(newline="") as handle:
        return {row["frame_id"]: row["split"] for row in csv.DictReader(handle)}


def seeds(first: int, count: int, per_seed: int = 3) -> dict[str, dict]:
    return {f"s{seed:02d}_{k}": {"game": "city_game", "run_id": "r1", "seed": seed}
            for seed in range(first, first + count) for k in range(per_seed)}


def test_split_writes_the_index_column_and_splits_json_and_no_seed_is_in_two_splits(tmp_path):
    out = tmp_path / "out"
    make_index(out, seeds(0, 10))
    report = split_dataset(out, "seed", PLAN)
    splits = read_splits(out)
    assert Counter(splits.values()) == {"train": 24, "val": 3, "test": 3}
    by_seed: dict[str, set[str]] = {}
    for frame_id, name in splits.items():
        by_seed.setdefault(frame_id.split("_")[0], set()).add(name)
    assert all(len(names) == 1 for names in by_seed.values())
    document = json.loads((out / SPLITS_NAME).read_text())
    assert {key: document[key] for key in ("by", "names", "ratios", "seed", "frames", "groups")} == {
        "by": "seed", "names": ["train", "val", "test"], "ratios": [0.8, 0.1, 0.1], "seed": 0,
        "frames": {"train": 24, "val": 3, "test": 3}, "groups": {"train": 8, "val": 1, "test": 1}}
    assert report.anew == f"no {SPLITS_NAME} yet"


def test_a_batch_rerun_keeps_splits_and_split_again_places_only_the_new_groups(tmp_path):
    out = tmp_path / "out"
    make_index(out, seeds(0, 10))
    split_dataset(out, "seed", PLAN)
    first = read_splits(out)
    make_index(out, {**seeds(0, 10), **seeds(10, 10)})   # what batch writes after new captures
    grown = read_splits(out)
    assert {frame: grown[frame] for frame in first} == first
    assert {grown[frame] for frame in grown if frame not in first} == {""}
    again = split_dataset(out, "seed", PLAN)
    final = read_splits(out)
    assert {frame: final[frame] for frame in first} == first and "" not in final.values()
    assert again.kept == 10 and not again.anew
    assert Counter(final.values()) == {"train": 48, "val": 6, "test": 6}
    anew = split_dataset(out, "seed", parse_plan("0.8,0.1,0.1", seed=5))
    assert anew.anew == f"seed changed since {SPLITS_NAME}" and anew.kept == 0


def test_frames_without_a_sidecar_are_one_group_and_one_run_cannot_fill_three_splits(tmp_path):
    out = tmp_path / "out"
    make_index(out, {"a": {}, "b": {}, **seeds(0, 3, per_seed=1)})
    report = split_dataset(out, "seed", PLAN)
    assert report.ungrouped == 2 and len({read_splits(out)[f] for f in ("a", "b")}) == 1
    with pytest.raises(DatasetIndexError, match=r"index.csv: cannot split by run: 2 groups of frames cannot fill 3"):
        split_dataset(out, "run", PLAN)


def test_split_command_prints_counts_files_and_the_next_command(tmp_path):
    out = tmp_path / "out"
    make_index(out, {**seeds(0, 4), "nosidecar": {}})
    result = CliRunner().invoke(app, ["split", str(out), "--by", "seed", "--ratios", "0.5,0.5", "--seed", "2"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        "split by seed: train 7 frames (3 groups), val 6 frames (2 groups)")
    assert f"written: {out / 'index.csv'} (column split), {out / SPLITS_NAME}" in result.stdout
    assert f"next: rdc-extract export {out} DEST --format kitti" in result.stdout   # the frames have rgb and depth
    assert "warning: 1 frames have no seed in their sidecar (or no sidecar)" in result.stderr
    bad = CliRunner().invoke(app, ["split", str(out), "--ratios", "1,1,1,1"])
    assert bad.exit_code == 2 and "name the splits with --names" in bad.output
    missing = CliRunner().invoke(app, ["split", str(tmp_path)])
    assert missing.exit_code == 1 and f"{tmp_path}: not a dataset: no frames/ folder" in missing.output
    (tmp_path / "frames").mkdir()
    empty = CliRunner().invoke(app, ["split", str(tmp_path)])
    assert empty.exit_code == 1 and "index.csv: no frames to split" in empty.output


def test_the_suggested_grouping_is_the_coarsest_that_fills_three_splits():
    one_run = [{"scenario.run_id": "r1", "scenario.seed": str(seed), "scenario.weather": "rain"} for seed in range(4)]
    assert suggested_grouping(one_run) == "seed"
    runs = [{"scenario.run_id": f"r{n}", "scenario.seed": "1"} for n in range(3)]
    assert suggested_grouping(runs) == "run"
    assert suggested_grouping([{"scenario.run_id": "r1"}] * 5) is None   # nothing to split by: export as one split


@pytest.mark.parametrize("kind", ["missing", "file", "folder without frames/"])
def test_split_of_what_is_not_a_dataset_says_so_and_writes_nothing(tmp_path, kind):
    out = tmp_path / "out"
    if kind == "file":
        out.write_text("")
    elif kind != "missing":
        out.mkdir()
    with pytest.raises(NotADataset, match=r"out: not a dataset: no frames/ folder"):
        split_dataset(out, "seed", parse_plan("0.8,0.2", None))
    assert not out.exists() or out.is_file() or list(out.iterdir()) == []
