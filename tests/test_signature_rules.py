"""Signature rules in class mappings, on plain data: loading and its one-line errors, labelling with draw ids
under either precedence, coverage, suggesting rules from stencil votes, and relabel's coverage report."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from rdc_extract.cli import app
from rdc_extract.dataset.files import read_png, write_json, write_png
from rdc_extract.labels.classmap import apply_class_map, load_class_map, parse_class_map, resolve_class_map
from rdc_extract.labels.files import write_labels
from rdc_extract.labels.meta import with_label_outputs
from rdc_extract.labels.relabel import COVERAGE_NAME, CURRENT, RELABELLED, relabel_dataset
from rdc_extract.labels.signature_rules import DrawIds, coverage
from rdc_extract.labels.suggest import Votes, mapping_toml
from test_classmap import load_error as classmap_error, write_map as write_toml

ROAD_SIG, CAR_SIG, TREE_SIG, SIGN_SIG = "a" * 32, "b" * 32, "c" * 32, "d" * 32

HEADER = """
[mapping]
name = "test"
unlabelled_id = 0
"""
CLASSES = """
[[classes]]
name = "void"
id = 0
color = [0, 0, 0]

[[classes]]
name = "road"
id = 7
color = [128, 64, 128]
raw = { value = 4 }

[[classes]]
name = "car"
id = 26
color = [0, 0, 142]
raw = { value = 2 }

[[classes]]
name = "vegetation"
id = 21
color = [107, 142, 35]
"""


def write_map(tmp_path: Path, text: str) -> Path:
    return write_toml(tmp_path, HEADER + text)


def load_error(tmp_path: Path, text: str) -> str:
    message = classmap_error(tmp_path, HEADER + text)
    assert "\n" not in message, message
    return message


def draw(index: int, signature: str, pixels: int = 0, *, marker: tuple[str, ...] = ("Scene",),
         textures: tuple[str, ...] = ()) -> dict:
    return {"index": index, "event_id": 100 + index, "name": "vkCmdDrawIndexed()", "marker_path": list(marker),
            "pixels": pixels, "signature": signature,
            "signature_parts": {"names": {"textures": list(textures)} if textures else {}}}


def frame_data() -> tuple[np.ndarray, DrawIds]:
    """A 4x6 frame: road (stencil 4) on the left drawn by draw 1, a car (stencil 2) by draw 2, a tree the stencil
    does not know (stencil 9) by draw 3, and an undrawn column (stencil 0)."""
    stencil = np.array([[4, 4, 2, 2, 9, 0]] * 4, np.uint8)
    ids = np.array([[1, 1, 2, 2, 3, 0]] * 4, np.uint16)
    draws = [draw(1, ROAD_SIG, 8), draw(2, CAR_SIG, 8, textures=("car_paint",)),
             draw(3, TREE_SIG, 4, marker=("Scene", "Foliage")), draw(4, SIGN_SIG, 0)]
    return stencil, DrawIds(ids, draws)


def test_rules_load_with_hashes_in_either_case(tmp_path):
    class_map = load_class_map(write_map(tmp_path, CLASSES + f"""
[signatures]
{TREE_SIG.upper()} = "vegetation"

[[name_rules]]
class = "car"
texture = "car_*"
marker = ["Scene*", "Vehicles/*"]
"""))
    rules = class_map.rules
    assert rules.exact == {TREE_SIG: 3} and rules.precedence == "signatures"
    assert [(r.class_index, r.patterns) for r in rules.names] == [
        (2, (("marker", ("Scene*", "Vehicles/*")), ("texture", ("car_*",))))]


@pytest.mark.parametrize("text, expected", [
    ('[signatures]\n1234 = "road"\n', "[signatures].1234: expected a draw signature of 32 hex digits"),
    (f'[signatures]\n{ROAD_SIG} = "street"\n', f"[signatures].{ROAD_SIG}: unknown class 'street'"),
    (f'[signatures]\n{ROAD_SIG} = 7\n', "expected a class name, got 7"),
    (f'[signatures]\n{ROAD_SIG} = "road"\n{ROAD_SIG.upper()} = "car"\n', f"duplicate rule: signature {ROAD_SIG}"),
    ('[[name_rules]]\nclass = "car"\nmarker = "Cars*"\n[[name_rules]]\nclass = "road"\nmarker = ["Cars*"]\n',
     "[[name_rules]] #2: duplicate rule: the same patterns as [[name_rules]] #1"),
    ('[[name_rules]]\nclass = "tree"\nmarker = "Trees*"\n', "[[name_rules]] #1.class: unknown class 'tree'"),
    ('[[name_rules]]\nclass = "car"\n', "[[name_rules]] #1: expected at least one of marker, shader, texture"),
    ('[[name_rules]]\nclass = "car"\ntexture = []\n', "[[name_rules]] #1.texture: expected a glob pattern"),
    ('[[name_rules]]\nclass = "car"\nmesh = "x"\n', "[[name_rules]] #1: unknown key 'mesh'"),
    ('[[name_rules]]\nmarker = "x"\n', "[[name_rules]] #1.class: expected the name of one of the [[classes]]"),
])
def test_bad_signature_rules_are_one_line_errors_naming_the_file(tmp_path, text, expected):
    assert expected in load_error(tmp_path, CLASSES + text)


def test_bad_precedence(tmp_path):
    message = load_error(tmp_path, 'precedence = "draws"\n' + CLASSES)
    assert "[mapping].precedence: expected one of signatures, stencil, got 'draws'" in message


def test_the_hash_changes_with_rules_only(tmp_path):
    plain = load_class_map(write_map(tmp_path, CLASSES)).sha256
    assert load_class_map(write_map(tmp_path, 'precedence = "stencil"\n' + CLASSES)).sha256 == plain
    ruled = load_class_map(write_map(tmp_path, CLASSES + f'[signatures]\n{TREE_SIG} = "vegetation"\n')).sha256
    stencil_first = load_class_map(write_map(
        tmp_path, 'precedence = "stencil"\n' + CLASSES + f'[signatures]\n{TREE_SIG} = "vegetation"\n')).sha256
    assert len({plain, ruled, stencil_first}) == 3


def test_signature_rules_win_over_stencil_rules_by_default(tmp_path):
    stencil, draw_ids = frame_data()
    class_map = load_class_map(write_map(tmp_path, CLASSES + f'[signatures]\n{TREE_SIG} = "vegetation"\n'
                                                               f'{ROAD_SIG} = "car"\n'))
    images = apply_class_map(stencil, class_map, draw_ids)
    assert images.ids[0].tolist() == [26, 26, 26, 26, 21, 0]
    assert images.color[0, 4].tolist() == [107, 142, 35]
    assert images.unmapped == {0: 4}  # the tree's stencil value 9 is labelled by its rule, not reported
    assert (images.coverage.scene_pixels, images.coverage.labelled_pixels) == (20, 12)
    assert images.coverage.unlabelled == {CAR_SIG: 8}


def test_stencil_first_precedence_labels_only_what_the_stencil_rules_leave(tmp_path):
    stencil, draw_ids = frame_data()
    class_map = load_class_map(write_map(tmp_path, 'precedence = "stencil"\n' + CLASSES
                                         + f'[signatures]\n{TREE_SIG} = "vegetation"\n{ROAD_SIG} = "car"\n'))
    assert apply_class_map(stencil, class_map, draw_ids).ids[0].tolist() == [7, 7, 26, 26, 21, 0]


def test_exact_rules_beat_name_rules_and_the_first_name_rule_wins(tmp_path):
    stencil, draw_ids = frame_data()
    class_map = load_class_map(write_map(tmp_path, CLASSES + f"""
[signatures]
{CAR_SIG} = "car"
[[name_rules]]
class = "vegetation"
marker = "*/Foliage"
[[name_rules]]
class = "road"
marker = "Scene*"
[[name_rules]]
class = "vegetation"
texture = "car_*"
"""))
    assert apply_class_map(stencil, class_map, draw_ids).ids[0].tolist() == [7, 7, 26, 26, 21, 0]


def test_without_draw_ids_only_stencil_rules_apply(tmp_path):
    stencil, _ = frame_data()
    class_map = load_class_map(write_map(tmp_path, CLASSES + f'[signatures]\n{ROAD_SIG} = "car"\n'))
    images = apply_class_map(stencil, class_map)
    assert images.ids[0].tolist() == [7, 7, 26, 26, 0, 0] and images.coverage is None
    assert images.unmapped == {9: 4, 0: 4}


def test_a_mapping_without_stencil_rules_needs_no_raw_map(tmp_path):
    _, draw_ids = frame_data()
    classes_only = "\n".join(line for line in CLASSES.split("\n") if not line.startswith("raw"))
    class_map = load_class_map(write_map(tmp_path, classes_only + f'\n[signatures]\n{TREE_SIG} = "car"\n'))
    images = apply_class_map(None, class_map, draw_ids)
    assert images.ids[0].tolist() == [0, 0, 0, 0, 26, 0] and not images.raw_read and images.unmapped == {}
    with pytest.raises(ValueError, match="labels need the raw map"):
        apply_class_map(None, resolve_class_map("city_game"), draw_ids)


def test_draw_ids_must_fit_their_table_and_the_raw_map():
    stencil, draw_ids = frame_data()
    with pytest.raises(ValueError, match="draw index 4 but drawids.json lists 3"):
        DrawIds(draw_ids.ids + 1, draw_ids.draws[:3])
    with pytest.raises(ValueError, match="differ in size"):
        apply_class_map(stencil[:, :3], resolve_class_map("city_game"), draw_ids)


def test_coverage_counts_scene_pixels_by_signature_from_the_table_alone():
    rules = resolve_class_map("city_game").rules
    found = coverage([draw(1, ROAD_SIG, 10), draw(2, ROAD_SIG, 5), draw(3, CAR_SIG, 0), draw(4, "", 2)], rules)
    assert (found.scene_pixels, found.labelled_pixels) == (17, 0)
    assert found.largest_unlabelled() == [(ROAD_SIG, 15), ("", 2)] and found.frames[ROAD_SIG] == 1


def test_votes_give_each_signature_its_majority_stencil_class(tmp_path):
    class_map = load_class_map(write_map(tmp_path, CLASSES))
    stencil, draw_ids = frame_data()
    stencil[0, 0] = 2  # one of the road's 8 pixels says car
    votes = Votes(len(class_map.classes))
    votes.add_frame(draw_ids, stencil, class_map)
    votes.add_frame(draw_ids, stencil, class_map)
    road, car, tree = sorted(votes.suggestions(), key=lambda s: s.signature)
    assert (road.class_index, road.purity, road.pixels, road.frames, road.runner_up) == (1, 7 / 8, 16, 2, (2, 1 / 8))
    assert (car.class_index, car.purity, car.runner_up) == (2, 1.0, None)
    assert (tree.class_index, tree.purity) == (-1, 1.0)  # stencil 9: no stencil rule, no class to suggest


def test_the_suggested_mapping_loads_keeps_the_rules_and_comments_out_what_has_no_class(tmp_path):
    class_map = load_class_map(write_map(tmp_path, CLASSES + f"""
[signatures]
{SIGN_SIG} = "road"
[[name_rules]]
class = "car"
texture = "car_*"
"""))
    stencil, draw_ids = frame_data()
    votes = Votes(len(class_map.classes))
    votes.add_frame(draw_ids, stencil, class_map)
    text = mapping_toml(class_map, votes.suggestions(), origin="a test", tiles={ROAD_SIG: 1})
    suggested = parse_class_map(tomllib.loads(text), tmp_path / "suggested.toml")
    assert suggested.name == "test_signatures" and np.array_equal(suggested.ids, class_map.ids)
    assert suggested.rules.exact == {SIGN_SIG: 1, ROAD_SIG: 1, CAR_SIG: 2}
    assert suggested.rules.names == class_map.rules.names
    assert f"{ROAD_SIG} = \"road\"   # purity 100.0%, 8 px (40.00% of the scene pixels), 1 frame; tile 1" in text
    assert f'# {TREE_SIG} = ""   # no stencil class: purity 100.0%, 4 px' in text


def synthetic_dataset(root: Path, mapping: str = "city_game") -> Path:
    """Two frames labelled as extraction labels them; the first has draw ids, the second none."""
    class_map = resolve_class_map(mapping)
    stencil, draw_ids = frame_data()
    for number, ids in enumerate((draw_ids, None)):
        frame = root / "frames" / f"cap_{number}"
        frame.mkdir(parents=True)
        write_png(frame / "stencil.png", stencil)
        outputs = {"stencil": "stencil.png"}
        if ids is not None:
            write_png(frame / "drawids.png", ids.ids)
            write_json(frame / "drawids.json", {"none": 0, "draws": ids.draws})
            outputs |= {"drawids": "drawids.png", "drawids_table": "drawids.json"}
        record = write_labels(frame, stencil, class_map, ids)
        write_json(frame / "meta.json", {"labels": record, "outputs": with_label_outputs(outputs, record)})
    return root


def test_relabel_reports_coverage_and_frames_without_draw_ids(tmp_path):
    out = synthetic_dataset(tmp_path / "out")
    mapping = (Path(__file__).resolve().parents[1] / "pipelines" / "classes" / "city_game.toml").read_text()
    ruled = tmp_path / "ruled.toml"
    ruled.write_text(mapping + f'\n[signatures]\n{TREE_SIG} = "vegetation"\n', encoding="utf-8")
    report = relabel_dataset(out, load_class_map(ruled), jobs=1)
    assert [f.status for f in report.frames] == [RELABELLED, RELABELLED]
    assert report.without_draw_ids == ["cap_1"]
    document = json.loads((out / COVERAGE_NAME).read_text())
    assert (document["scene_pixels"], document["labelled_pixels"], document["labelled_share"]) == (20, 4, 0.2)
    assert document["frames_without_draw_ids"] == ["cap_1"]
    assert [(s["signature"], s["pixels"], s["frames"]) for s in document["unlabelled_signatures"]] == [
        (ROAD_SIG, 8, 1), (CAR_SIG, 8, 1)]
    assert read_png(out / "frames" / "cap_0" / "labels.png")[0].tolist() == [4, 4, 2, 2, 3, 0]
    assert read_png(out / "frames" / "cap_1" / "labels.png")[0].tolist() == [4, 4, 2, 2, 9, 0]
    meta = json.loads((out / "frames" / "cap_0" / "meta.json").read_text())
    assert meta["labels"]["signatures"] == {"draw_ids": "drawids.png", "scene_pixels": 20, "labelled_pixels": 4}
    again = relabel_dataset(out, load_class_map(ruled), jobs=1)  # skipped frames still count
    assert [f.status for f in again.frames] == [CURRENT, CURRENT] and again.coverage.labelled_pixels == 4

    result = CliRunner().invoke(app, ["relabel", str(out), "--classes", str(ruled), "--force", "-j", "1"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "1 frame without draw ids" in said and "signature rules label 20.0% of the 20 scene pixels" in said
    assert CAR_SIG in said and "label these next" in said


def test_suggest_command_votes_with_the_mapping_the_frames_carry(tmp_path):
    out = synthetic_dataset(tmp_path / "out")
    result = CliRunner().invoke(app, ["signatures", str(out), "--suggest", str(tmp_path / "rules.toml")])
    assert result.exit_code == 0, result.output
    suggested = load_class_map(tmp_path / "rules.toml")
    assert suggested.name == "city_game_signatures"
    assert suggested.rules.exact == {ROAD_SIG: 4, CAR_SIG: 2, TREE_SIG: 9}
    shutil.rmtree(out / "frames" / "cap_1")
    (out / "frames" / "cap_0" / "meta.json").write_text('{"labels": {"mapping": "a"}}')
    (out / "frames" / "other").mkdir()
    (out / "frames" / "other" / "meta.json").write_text('{"labels": {"mapping": "b"}}')
    refused = CliRunner().invoke(app, ["signatures", str(out), "--suggest", str(tmp_path / "again.toml")])
    assert refused.exit_code == 1 and "pass --classes MAP" in refused.stderr and refused.stderr.count("\n") == 1


def test_suggesting_from_frames_without_a_stencil_is_refused_naming_what_is_missing(tmp_path):
    """QA: on frames with draw ids but no stencil.png, `--suggest --classes city_game` wrote a mapping of 0 rules
    and 0 frames, exit 0."""
    out = synthetic_dataset(tmp_path / "out")
    for stencil in out.glob("frames/*/stencil.png"):
        stencil.unlink()
    target = tmp_path / "rules.toml"
    refused = CliRunner().invoke(app, ["signatures", str(out), "--suggest", str(target), "--classes", "city_game"])
    assert refused.exit_code == 1 and refused.stderr.count("\n") == 1, refused.output
    assert "no frame has both draw ids and stencil.png" in refused.stderr and "--outputs ...,stencil,drawids" in \
        " ".join(refused.stderr.split())
    assert not target.exists()


def test_a_mapping_may_hold_more_signature_rules_than_a_profile_may_hold_bytes(tmp_path):
    rules = "".join(f'{i:032x} = "road"   # purity 100.0%, 303,657 px (23.26% of the scene pixels), 6 frames\n'
                    for i in range(16_000))
    path = write_map(tmp_path, CLASSES + "[signatures]\n" + rules)
    assert path.stat().st_size > 1 << 20 and len(load_class_map(path).rules.exact) == 16_000


def test_classes_command_shows_the_signature_rules_of_each_class(tmp_path):
    path = write_map(tmp_path, CLASSES + f'[signatures]\n{TREE_SIG} = "vegetation"\n{SIGN_SIG} = "vegetation"\n'
                                         '[[name_rules]]\nclass = "car"\ntexture = "car_*"\n')
    result = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["classes", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 signatures" in result.output and "texture=car_*" in result.output
    assert "signature rules win where both match" in " ".join(result.output.split())


def test_classes_option_of_signatures_goes_with_suggest(tmp_path):
    result = CliRunner().invoke(app, ["signatures", str(tmp_path), "--classes", "city_game"])
    assert result.exit_code == 2 and "goes with --suggest" in result.output
