"""Class mappings: validation errors name file and entry; lookup tables and labelling by known values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from rdc_extract.cli import app
from rdc_extract.errors import ClassMapError
from rdc_extract.labels.classmap import apply_class_map, load_class_map, resolve_class_map, take_colors

SHIPPED = Path(__file__).resolve().parents[1] / "pipelines" / "classes"

HEADER = """
[mapping]
name = "test"
unlabelled_id = 0
"""

ROAD = """
[[classes]]
name = "road"
id = 7
category = "flat"
color = [128, 64, 128]
raw = { value = 4, mask = 0x0F }
"""


def write_map(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "map.toml"
    path.write_text(text, encoding="utf-8")
    return path


def load_error(tmp_path: Path, text: str) -> str:
    path = write_map(tmp_path, text)
    with pytest.raises(ClassMapError) as caught:
        load_class_map(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    return message


@pytest.mark.parametrize("name", ["city_game", "city_game_cityscapes", "gtav", "gtav_cityscapes"])
def test_shipped_mappings_load(name):
    class_map = resolve_class_map(name)
    assert class_map.name == name
    assert class_map.ids.shape == (256,) and class_map.colors.shape == (256, 3)


def test_overlapping_rules_name_both_entries(tmp_path):
    message = load_error(tmp_path, HEADER + ROAD + """
[[classes]]
name = "lane"
id = 8
color = [255, 255, 255]
raw = [{ value = 11 }, { range = [0x10, 0x1F] }]
""")
    # 0x14 & 0x0F == 4 (road) and 0x14 is in lane's range
    assert "[[classes]] #2 'lane'" in message and "[[classes]] #1 'road'" in message
    assert "20 (0x14)" in message and "overlap" in message


@pytest.mark.parametrize("colour, shown", [("[300, 0, 0]", "[300, 0, 0]"), ("[1, 2]", "[1, 2]"),
                                           ('"red"', "'red'"), ('"#12345"', "'#12345'")])
def test_bad_colours(tmp_path, colour, shown):
    message = load_error(tmp_path, HEADER + ROAD.replace("[128, 64, 128]", colour))
    assert "[[classes]] #1 'road'.color: expected a colour [r, g, b]" in message
    assert message.endswith(f"got {shown}")


def test_hex_colour_accepted(tmp_path):
    class_map = load_class_map(write_map(tmp_path, HEADER + ROAD.replace("[128, 64, 128]", '"#804080"')))
    assert class_map.classes[0].color == (128, 64, 128)


def test_duplicate_ids(tmp_path):
    message = load_error(tmp_path, HEADER + ROAD + ROAD.replace('"road"', '"street"').replace("value = 4", "value = 5"))
    assert "[[classes]] #2 'street': id 7 already used by [[classes]] #1 'road'" in message


def test_duplicate_names(tmp_path):
    message = load_error(tmp_path, HEADER + ROAD + ROAD.replace("id = 7", "id = 9").replace("value = 4", "value = 5"))
    assert "[[classes]] #2 'road': name already used" in message


@pytest.mark.parametrize("text, expected", [
    (HEADER + ROAD.replace("category", "categroy"), "[[classes]] #1 'road': unknown key 'categroy'"),
    (HEADER.replace("unlabelled_id", "unlabeled_id") + ROAD, "[mapping]: unknown key 'unlabeled_id'"),
    (HEADER + ROAD + "\n[extra]\nx = 1\n", "top level: unknown key 'extra'"),
    (HEADER + ROAD.replace("mask = 0x0F", "mask = 0x0F, val = 3"), "[[classes]] #1 'road'.raw: unknown key 'val'"),
])
def test_unknown_keys(tmp_path, text, expected):
    assert expected in load_error(tmp_path, text)


@pytest.mark.parametrize("source", ["labels", "labels_color", "../stencil", "Stencil"])
def test_source_is_a_raw_map_name_not_a_label_file_or_a_path(tmp_path, source):
    message = load_error(tmp_path, HEADER + f'source = "{source}"\n' + ROAD)
    assert "[mapping].source: expected the stem of a raw id map" in message and repr(source) in message


@pytest.mark.parametrize("rule, expected", [
    ("{ value = 0x14, mask = 0x0F }", "'road'.raw.value: expected values within mask 0x0f"),
    ("{ value = 4, values = [5] }", "'road'.raw: expected exactly one of value, values, range"),
    ("{ range = [9, 3] }", "'road'.raw.range: expected [lo, hi]"),
    ("{ values = [] }", "'road'.raw.values: expected a non-empty list"),
    ("{ value = 256 }", "'road'.raw.value: expected an integer 0..255"),
    ("[{ value = 4 }, { value = 999 }]", "'road'.raw[1].value: expected an integer 0..255"),
])
def test_bad_raw_rules(tmp_path, rule, expected):
    assert expected in load_error(tmp_path, HEADER + ROAD.replace("{ value = 4, mask = 0x0F }", rule))


def test_train_ids_all_or_none(tmp_path):
    text = HEADER + ROAD.replace("id = 7", "id = 7\ntrain_id = 0") + ROAD.replace('"road"', '"x"').replace(
        "id = 7", "id = 9").replace("value = 4", "value = 5")
    assert "[[classes]] #2 'x': train_id missing" in load_error(tmp_path, text)


@pytest.mark.parametrize("name", ["a/b", ".hidden", "x" * 129, ""])
def test_a_mapping_name_can_name_a_folder(tmp_path, name):
    message = load_error(tmp_path, HEADER.replace('"test"', f'"{name}"') + ROAD)
    assert "[mapping].name: expected a mapping name that can name a folder (labels/<name>/)" in message


def test_the_game_a_mapping_is_for_is_optional_kept_and_outside_the_hash(tmp_path):
    plain = load_class_map(write_map(tmp_path, HEADER + ROAD))
    for_game = load_class_map(write_map(tmp_path, HEADER + 'game = "city_game"\n' + ROAD))
    assert (plain.game, for_game.game) == (None, "city_game") and plain.sha256 == for_game.sha256
    assert "[mapping].game: expected the name of the game profile" in load_error(tmp_path, HEADER + 'game = ""\n' + ROAD)
    assert "[mapping].game: expected a string" in load_error(tmp_path, HEADER + "game = 3\n" + ROAD)
    assert {resolve_class_map(name).game for name in ("city_game", "city_game_cityscapes")} == {"city_game"}
    assert {resolve_class_map(name).game for name in ("gtav", "gtav_cityscapes")} == {"gtav"}


def test_missing_file_and_bad_toml(tmp_path):
    with pytest.raises(ClassMapError, match="no such class-mapping file"):
        load_class_map(tmp_path / "absent.toml")
    assert "not valid TOML" in load_error(tmp_path, "[mapping\n")
    assert "expected at least one [[classes]] entry" in load_error(tmp_path, HEADER)


def test_lookup_tables_of_cityscapes_mapping():
    m = resolve_class_map("city_game_cityscapes")
    expected = {  # raw stencil value → (id, trainId, colour), from the official Cityscapes table
        0x00: (23, 10, (70, 130, 180)), 0x01: (24, 11, (220, 20, 60)), 0x02: (26, 13, (0, 0, 142)),
        0x82: (1, 255, (0, 0, 0)), 0x03: (21, 8, (107, 142, 35)), 0x04: (7, 0, (128, 64, 128)),
        0x0B: (7, 0, (128, 64, 128)), 0x05: (8, 1, (244, 35, 232)), 0x06: (11, 2, (70, 70, 70)),
        0x07: (17, 5, (153, 153, 153)), 0x08: (20, 7, (220, 220, 0)), 0x09: (19, 6, (250, 170, 30)),
        0x0A: (22, 9, (152, 251, 152)), 0x84: (7, 0, (128, 64, 128)),
        0x0C: (0, 255, (0, 0, 0)),  # not drawn by the game: uncovered
    }
    for raw, (class_id, train_id, colour) in expected.items():
        assert (m.ids[raw], m.train_ids[raw], tuple(m.colors[raw])) == (class_id, train_id, colour), hex(raw)
    assert not m.covered[0x0C] and m.covered[0x82]


def test_native_mapping_is_the_low_four_bits():
    m = resolve_class_map("city_game")
    values = np.arange(256)
    covered = (values & 0x0F) <= 11
    assert np.array_equal(m.covered, covered)
    assert np.array_equal(m.ids[covered], (values & 0x0F)[covered])
    assert m.ids[0x82] == 2


def test_apply_class_map_counts_unmapped():
    m = resolve_class_map("city_game_cityscapes")
    raw = np.array([[0x04, 0x04, 0x0C], [0x82, 0x0D, 0x0C]], dtype=np.uint8)
    images = apply_class_map(raw, m)
    assert images.ids.tolist() == [[7, 7, 0], [1, 0, 0]]
    assert images.train_ids.tolist() == [[0, 0, 255], [255, 255, 255]]
    assert images.color.shape == (2, 3, 3) and images.color.dtype == np.uint8
    assert images.unmapped == {0x0C: 2, 0x0D: 1}


def test_apply_class_map_without_train_ids_and_bad_input():
    m = resolve_class_map("gtav")
    images = apply_class_map(np.array([[0x82, 0x89, 0x07, 0x04]], dtype=np.uint8), m)
    assert images.train_ids is None
    assert images.ids.tolist() == [[2, 1, 7, 0]] and images.unmapped == {4: 1}
    with pytest.raises(ValueError):
        apply_class_map(np.zeros((2, 2), dtype=np.uint16), m)


def test_hash_ignores_comments_but_not_meaning(tmp_path):
    a = load_class_map(write_map(tmp_path, HEADER + ROAD))
    b = load_class_map(write_map(tmp_path, "# a comment\n" + HEADER + ROAD.replace("[128, 64, 128]", '"#804080"')))
    c = load_class_map(write_map(tmp_path, HEADER + ROAD.replace("id = 7", "id = 6")))
    assert a.sha256 == b.sha256 != c.sha256


def test_classes_command_prints_table_and_legend(tmp_path):
    legend = tmp_path / "legend.png"
    result = CliRunner().invoke(app, ["classes", str(SHIPPED / "city_game_cityscapes.toml"), "--legend", str(legend)])
    assert result.exit_code == 0, result.output
    assert "traffic light" in result.output and "& 0x8F == 0x82" in result.output
    assert "12-15" in result.output  # uncovered raw values are listed
    from rdc_extract.dataset.files import read_png

    image = read_png(legend)
    assert image.ndim == 3 and image.shape[0] == 24 * 13
    assert (image == (220, 20, 60)).all(axis=-1).any()  # the person swatch


def test_classes_command_reports_invalid_mapping(tmp_path):
    path = write_map(tmp_path, HEADER + ROAD + ROAD.replace('"road"', '"x"'))
    result = CliRunner().invoke(app, ["classes", str(path)])
    assert result.exit_code == 1
    assert "id 7 already used" in result.output


@pytest.mark.parametrize("shape", [(36, 64), (5,), (0, 7)])
def test_take_colors_is_take_along_the_rows(shape):
    rng = np.random.default_rng(11)
    colors = rng.integers(0, 256, size=(270, 3)).astype(np.uint8)
    index = rng.integers(0, 270, size=shape)
    out = take_colors(colors, index)
    expected = np.take(colors, index, axis=0)
    assert out.dtype == np.uint8 and out.flags.c_contiguous and out.tobytes() == expected.tobytes()
    assert out.shape == expected.shape
    with pytest.raises(IndexError):
        take_colors(colors, np.array([[270]]))
