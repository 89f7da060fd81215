"""The Cityscapes export on plain data: Cityscapes' label table and file names as cityscapesScripts has them, the
instanceIds encoding, how frames are named after their game run, and a whole export of synthetic frames (a frame
without instances, one of another mapping skipped, one with mismatched files failed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from cityscapesscripts.helpers.csHelpers import getCsFileInfo
from cityscapesscripts.helpers.labels import id2label
from typer.testing import CliRunner

from rdc_extract.cli import app
from rdc_extract.dataset.files import read_png, write_png
from rdc_extract.errors import ExportError
from rdc_extract.export.base import ExportOptions
from rdc_extract.export.cityscapes import (
    CITYSCAPES_LABELS, cityscapes_mismatch, cityscapes_name, instance_ids_image,
)
from rdc_extract.export.naming import game_frame_number, group_name
from rdc_extract.export.run import export_dataset
from rdc_extract.labels.classmap import load_class_map, resolve_class_map
from tests.export_frames import (
    BUILDING, CITY, PEDESTRIAN, ROAD, VEHICLE, camera, read_csv, read_json, scene, write_frame, write_index,
)

RUN_A = {"scenario": {"game": "city_game", "run_id": "20261125T123148", "frame_number": 60}}
RUN_B = {"scenario": {"game": "city_game", "run_id": "20261126T080000", "frame_number": 7}}


def test_the_label_table_is_cityscapesscripts_and_so_are_the_shipped_cityscapes_mappings():
    assert CITYSCAPES_LABELS == tuple(id2label[i].name for i in range(len(CITYSCAPES_LABELS)))
    for name in ("city_game_cityscapes", "gtav_cityscapes"):
        mapping = resolve_class_map(name)
        assert cityscapes_mismatch(mapping) is None
        for label in mapping.classes:
            theirs = id2label[label.id]
            assert (label.name, label.train_id, label.category, label.color) == (
                theirs.name, theirs.trainId, theirs.category, theirs.color)
    assert cityscapes_mismatch(CITY) == "class 'pedestrian' is id 1, Cityscapes' id 1 is 'ego vehicle'"


def test_file_names_parse_as_cityscapesscripts_parses_them():
    name = cityscapes_name(group_name(RUN_A), 12, game_frame_number(RUN_A, 10**6))
    assert name == "city-game-20261125T123148_000012_000060"
    parsed = getCsFileInfo(f"{name}_gtFine_labelIds.png")
    assert (parsed.city, parsed.sequenceNb, parsed.frameNb, parsed.type, parsed.type2) == (
        "city-game-20261125T123148", "000012", "000060", "gtFine", "labelIds")


def test_a_frames_group_is_its_game_and_run_in_letters_digits_and_dashes():
    assert group_name({"scenario": {"game": "My Game_2", "run_id": 7}}) == "My-Game-2-7"
    assert group_name({"profile": {"name": "warzone2100"}}) == "warzone2100"
    assert group_name({"scenario": {"game": "__"}}) == "frames"
    assert group_name({}) == "frames"
    assert len(group_name({"scenario": {"game": "g" * 100}})) == 64
    assert game_frame_number({"scenario": {"frame_number": 10**6}}, 10**6) == 0
    assert game_frame_number({"scenario": {"frame_number": True}}, 10**6) == 0


def test_instance_ids_are_class_times_1000_plus_k_on_thing_pixels_and_label_ids_elsewhere():
    labels, instances = scene()
    instances[1:3, 12:15] = 5
    labels[1:3, 12:15] = VEHICLE  # a second car: k = 1
    encoded, count = instance_ids_image(labels, instances, {PEDESTRIAN, VEHICLE})
    assert encoded.dtype == np.uint16 and count == 3
    assert (encoded[7:9, 2:7] == 2000).all() and encoded[9, 6] == ROAD  # the car's road pixel keeps its label
    assert (encoded[6:11, 10:12] == 1000).all() and (encoded[1:3, 12:15] == 2001).all()
    assert encoded[11, 15] == VEHICLE  # a vehicle pixel outside every instance: its class id
    assert encoded[0, 5] == BUILDING and (encoded[0, 0:3] == 0).all()  # stuff and void instances: label ids
    things = encoded >= 1000
    assert (encoded[things] // 1000 == labels[things]).all() and (encoded[~things] == labels[~things]).all()
    assert np.array_equal(instance_ids_image(labels, None, {VEHICLE})[0], labels)


def test_more_than_1000_instances_of_a_class_do_not_fit():
    labels = np.full((1, 1001), VEHICLE, np.uint8)
    instances = np.arange(1, 1002, dtype=np.uint16)[None, :]
    with pytest.raises(ValueError, match="more than 1000 instances of class id 2"):
        instance_ids_image(labels, instances, {VEHICLE})


def test_a_synthetic_dataset_exports_the_cityscapes_layout_and_reports_the_rest(tmp_path):
    out, dest = tmp_path / "out", tmp_path / "cityscapes"
    labels, instances = scene()
    with_camera = {**RUN_A, "camera": camera()}
    write_frame(out, "a1", labels, instances, meta=with_camera)
    write_frame(out, "a2", labels, None, meta=RUN_A)
    write_frame(out, "b1", labels, instances, meta=RUN_B)
    write_frame(out, "other_mapping", labels, instances, mapping_sha256="0" * 64, meta=RUN_A)
    bad = write_frame(out, "wrong_size", labels, instances, meta=RUN_B)
    write_png(bad / "instances.png", np.zeros((3, 3), np.uint16))
    write_index(out, [{"frame_id": f, "split": "val" if f == "b1" else "train"}
                      for f in ("a1", "a2", "b1", "other_mapping", "wrong_size")])

    report = export_dataset(out, dest, "cityscapes", ExportOptions())
    assert report.published and dict(report.exported) == {"train": 2, "val": 1}
    assert [frame_id for frame_id, _ in report.skipped] == ["other_mapping"]
    assert report.failed[0][0] == "wrong_size" and "instances.png: 3x3, but rgb.png is 16x12" in report.failed[0][1]
    assert report.counts["thing instances (label id × 1000 + k)"] == 4
    assert report.counts["frames without instances.png (instanceIds = labelIds)"] == 1
    assert report.notes[0].startswith("mapping 'city_game' is not in Cityscapes' label ids")

    table = {row["frame_id"]: row for row in read_csv(dest / "frames.csv")}
    assert table["a1"] == {"frame_id": "a1", "split": "train", "city": "city-game-20261125T123148",
                           "sequence": "0", "frame": "60", "name": "city-game-20261125T123148_000000_000060"}
    assert table["a2"]["name"] == "city-game-20261125T123148_000001_000060"
    assert table["b1"]["name"] == "city-game-20261126T080000_000000_000007"
    a1 = dest / "gtFine" / "train" / "city-game-20261125T123148" / "city-game-20261125T123148_000000_000060"
    image = dest / "leftImg8bit/train/city-game-20261125T123148/city-game-20261125T123148_000000_000060_leftImg8bit.png"
    assert image.stat().st_ino == (out / "frames/a1/rgb.png").stat().st_ino
    assert np.array_equal(read_png(a1.with_name(a1.name + "_gtFine_labelIds.png")), labels)
    assert np.array_equal(read_png(a1.with_name(a1.name + "_gtFine_labelTrainIds.png")),
                          read_png(out / "frames/a1/labels_train.png"))
    assert read_png(a1.with_name(a1.name + "_gtFine_color.png")).shape == (12, 16, 3)
    assert read_png(a1.with_name(a1.name + "_gtFine_instanceIds.png")).max() == 2000
    a2 = a1.with_name("city-game-20261125T123148_000001_000060_gtFine_instanceIds.png")
    assert np.array_equal(read_png(a2), labels)
    cameras = sorted(p.name for p in (dest / "camera").rglob("*.json"))
    assert cameras == ["city-game-20261125T123148_000000_000060_camera.json"]
    (camera_json,) = (dest / "camera").rglob("*.json")
    assert read_json(camera_json)["intrinsic"] == {"fx": 20.0, "fy": 20.0, "u0": 7.5, "v0": 5.5}

    again = CliRunner().invoke(app, ["export", str(out), str(dest), "--format", "cityscapes", "--force"])
    assert again.exit_code == 1 and "failed 1 frames:" in again.stdout and "(train: 2, val: 1)" in again.stdout


def test_a_thing_class_whose_ids_do_not_fit_16_bits_stops_the_export_in_one_line(tmp_path):
    text = Path(CITY.path).read_text(encoding="utf-8").replace("id = 2\n", "id = 65\n", 1)
    mapping_path = tmp_path / "city_game.toml"
    mapping_path.write_text(text, encoding="utf-8")
    labels, instances = scene()
    write_frame(tmp_path / "out", "f", labels, instances, mapping_sha256=load_class_map(mapping_path).sha256)
    with pytest.raises(ExportError, match=r"class 'vehicle' has instances but id 65: .* hold ids up to 64$"):
        export_dataset(tmp_path / "out", tmp_path / "cityscapes", "cityscapes", ExportOptions(classes=str(mapping_path)))
    assert not (tmp_path / "cityscapes").exists() and not list(tmp_path.glob(".tmp-*"))
