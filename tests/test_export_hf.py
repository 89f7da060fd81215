"""The Hugging Face export on plain data: split names datasets accepts, what label values mean, and whole exports
of synthetic frames loaded by `datasets.load_dataset` itself (columns, splits, pixels; a column some frames lack
left out and said so)."""

from __future__ import annotations

from pathlib import Path

import datasets
import numpy as np
import pytest

from rdc_extract.dataset.files import read_png
from rdc_extract.export.base import ExportOptions
from rdc_extract.export.hf import hf_split, label_names
from rdc_extract.export.run import export_dataset
from rdc_extract.labels.classmap import resolve_class_map
from tests.export_frames import CITY, camera, read_json, scene, write_frame, write_index


def load(dest: Path, cache: Path) -> datasets.DatasetDict:
    return datasets.load_dataset(str(dest), cache_dir=str(cache))


def test_split_names_are_datasets_own_and_all_becomes_train():
    assert hf_split("all") == "train" and hf_split("val") == "val" and hf_split("test_2") == "test_2"
    with pytest.raises(ValueError, match="split 'val-2' is not a Hugging Face split name"):
        hf_split("val-2")


def test_label_values_name_the_trainids_or_the_ids_without_them():
    assert label_names(CITY)[0] == "pedestrian" and 255 not in label_names(CITY)
    cityscapes = label_names(resolve_class_map("city_game_cityscapes"))
    assert cityscapes[0] == "road" and cityscapes[13] == "car" and len(cityscapes) == 11


def test_a_synthetic_dataset_loads_in_datasets_with_its_splits_and_pixels(tmp_path):
    out, dest = tmp_path / "out", tmp_path / "hf"
    labels, _ = scene()
    depth = np.arange(labels.size, dtype=np.uint16).reshape(labels.shape)
    for frame_id in ("t1", "t2", "v1"):
        write_frame(out, frame_id, labels, None, depth=depth, meta={"camera": camera()})
    write_frame(out, "other_mapping", labels, None, mapping_sha256="0" * 64)
    write_frame(out, "bad_split", labels, None, depth=depth, meta={"camera": camera()})
    write_index(out, [{"frame_id": "t1", "split": "train"}, {"frame_id": "t2", "split": "train"},
                      {"frame_id": "v1", "split": "val"}, {"frame_id": "other_mapping", "split": "val"},
                      {"frame_id": "bad_split", "split": "val-2"}])

    report = export_dataset(out, dest, "hf", ExportOptions())
    assert report.published and dict(report.exported) == {"train": 2, "val": 1} and not report.notes
    assert [frame_id for frame_id, _ in report.skipped] == ["other_mapping"]
    assert report.failed == [("bad_split", f"{out}/index.csv: split 'val-2' is not a Hugging Face split name "
                                           "(letters, digits and _)")]
    loaded = load(dest, tmp_path / "cache")
    assert sorted(loaded) == ["train", "val"] and loaded["train"].num_rows == 2
    assert loaded["val"].column_names == ["image", "label", "depth", "frame_id", "split", "K", "world_to_camera"]
    assert isinstance(loaded["val"].features["label"], datasets.Image)
    row = loaded["val"][0]
    frame = out / "frames" / row["frame_id"]
    assert row["split"] == "val" and row["K"] == camera()["K"]
    assert np.array_equal(np.asarray(row["image"]), read_png(frame / "rgb.png"))
    assert np.array_equal(np.asarray(row["label"]), read_png(frame / "labels_train.png"))
    assert np.array_equal(np.asarray(row["depth"]), depth)
    assert read_json(dest / "id2label.json")["1"] == "vehicle"


def test_a_column_some_frames_lack_is_left_out_and_said_so(tmp_path):
    out, dest = tmp_path / "out", tmp_path / "hf"
    labels, _ = scene()
    write_frame(out, "with_depth", labels, None, depth=np.ones(labels.shape, np.uint16), meta={"camera": camera()})
    write_frame(out, "without", labels, None)

    report = export_dataset(out, dest, "hf", ExportOptions())
    assert report.ok and dict(report.exported) == {"all": 2}
    assert report.notes == [
        "column 'depth' left out: 1 of 2 frames have no depth_kitti.png (datasets needs one schema for every row)",
        "column 'K' left out: 1 of 2 frames have no camera.K in meta.json (datasets needs one schema for every row)",
        "column 'world_to_camera' left out: 1 of 2 frames have no camera.world_to_camera in meta.json (datasets "
        "needs one schema for every row)"]
    assert not (dest / "train" / "depth").exists()
    loaded = load(dest, tmp_path / "cache")
    assert list(loaded) == ["train"]
    assert loaded["train"].column_names == ["image", "label", "frame_id", "split"]
    assert loaded["train"]["split"] == ["all", "all"]


def test_two_splits_that_would_both_be_train_fail_the_later_frames(tmp_path):
    out = tmp_path / "out"
    labels, _ = scene()
    for frame_id in ("a", "b"):
        write_frame(out, frame_id, labels, None)
    write_index(out, [{"frame_id": "a", "split": "all"}, {"frame_id": "b", "split": "train"}])
    report = export_dataset(out, tmp_path / "hf", "hf", ExportOptions())
    assert dict(report.exported) == {"all": 1}
    assert report.failed == [("b", f"{out}/index.csv: splits 'all' and 'train' would both be Hugging Face split "
                                   "'train'")]
