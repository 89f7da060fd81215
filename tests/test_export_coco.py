"""The COCO export on plain data: categories from a class mapping (things, stuff, void), masks → RLE annotations
that pycocotools decodes back, panoptic segments and their id colours, and a whole export of synthetic frames
read back by pycocotools (frames lacking instances skipped, a frame with mismatched files failed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pycocotools import mask as coco_mask
from pycocotools.coco import COCO
from typer.testing import CliRunner

from rdc_extract.cli import app
from rdc_extract.dataset.files import read_png
from rdc_extract.errors import ExportError
from rdc_extract.export.base import ExportOptions
from rdc_extract.export.coco import (
    categories, instance_annotations, majority_labels, panoptic_ids, panoptic_rgb, panoptic_segments,
)
from rdc_extract.export.run import export_dataset
from rdc_extract.labels.classmap import load_class_map, resolve_class_map
from tests.export_frames import BUILDING, CITY, PEDESTRIAN, ROAD, VEHICLE, read_json, scene, write_frame, write_index

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # pycocotools'


def test_categories_are_the_mappings_classes_with_people_and_vehicles_as_things():
    found = categories(CITY)
    assert [c.name for c in found if c.isthing] == ["pedestrian", "vehicle"]
    assert "unlabelled" not in [c.name for c in found]  # void: the unlabelled class
    assert [c.id for c in found] == sorted(c.id for c in CITY.classes if c.name != "unlabelled")
    road = next(c for c in found if c.name == "road")
    assert (road.supercategory, road.color, road.panoptic_entry()["isthing"]) == ("flat", (128, 64, 128), 0)


def test_cityscapes_void_classes_are_left_out_and_things_can_be_named():
    cityscapes = resolve_class_map("city_game_cityscapes")
    found = {c.name: c.isthing for c in categories(cityscapes)}
    assert "ego vehicle" not in found and "unlabeled" not in found  # category void / ignore trainId
    assert found["car"] and found["person"] and not found["sky"] and not found["road"]
    named = categories(CITY, things=("vehicle", "pole"))
    assert [c.name for c in named if c.isthing] == ["vehicle", "pole"]
    with pytest.raises(ExportError, match="--things: class 'tree' is not one of its classes"):
        categories(CITY, things=("tree",))
    with pytest.raises(ExportError, match="--things: class 'unlabelled' is void here"):
        categories(CITY, things=("unlabelled",))


def test_an_instance_takes_the_most_common_label_under_it():
    labels, instances = scene()
    assert majority_labels(instances, labels, 4).tolist() == [VEHICLE, PEDESTRIAN, BUILDING, 0]


def test_annotations_decode_back_to_the_instance_masks():
    _, instances = scene()
    annotations = instance_annotations(instances, {2: PEDESTRIAN, 1: VEHICLE, 9: VEHICLE})
    assert [a["instance_id"] for a in annotations] == [1, 2]  # instance order; 9 has no pixels
    for annotation in annotations:
        mask = instances == annotation["instance_id"]
        rle = annotation["segmentation"]
        assert np.array_equal(coco_mask.decode(rle).astype(bool), mask)
        assert annotation["area"] == mask.sum() == coco_mask.area(rle)
        assert annotation["bbox"] == coco_mask.toBbox(rle).tolist() and annotation["iscrowd"] == 0
    assert annotations[0]["bbox"] == [2, 7, 5, 3] and annotations[0]["category_id"] == VEHICLE


def test_panoptic_things_keep_their_instance_stuff_comes_from_labels_and_the_rest_is_void():
    labels, instances = scene()
    segments, info = panoptic_segments(instances, {1: VEHICLE, 2: PEDESTRIAN}, labels, {ROAD, BUILDING})
    assert [(s["id"], s["category_id"]) for s in info] == [(1, VEHICLE), (2, PEDESTRIAN), (3, ROAD), (4, BUILDING)]
    assert np.array_equal(segments == 1, instances == 1)  # the car's road-labelled pixel stays the car's
    assert np.array_equal(segments == 3, (labels == ROAD) & (instances == 0) | (labels == ROAD) & (instances == 3))
    assert segments[11, 15] == 0 and (segments[0, 0:3] == 0).all()  # a vehicle pixel of no instance; unlabelled
    for segment in info:
        ys, xs = np.nonzero(segments == segment["id"])
        assert segment["area"] == len(ys)
        assert segment["bbox"] == [xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1]


def test_panoptic_ids_are_r_plus_256_g_plus_256_squared_b():
    segments = np.array([[0, 1, 255], [256, 65536 + 2 * 256 + 3, 256**3 - 1]], np.uint32)
    rgb = panoptic_rgb(segments)
    assert rgb.dtype == np.uint8 and rgb[1, 1].tolist() == [3, 2, 1] and rgb[1, 0].tolist() == [0, 1, 0]
    assert np.array_equal(panoptic_ids(rgb), segments)


def test_a_synthetic_dataset_exports_what_pycocotools_reads_and_reports_the_rest(tmp_path):
    out, dest = tmp_path / "out", tmp_path / "coco"
    labels, instances = scene()
    for frame_id in ("f1", "f2"):
        write_frame(out, frame_id, labels, instances)
    write_frame(out, "no_instances", labels, None)
    write_frame(out, "other_mapping", labels, instances, mapping_sha256="0" * 64)
    bad = write_frame(out, "mismatched", labels, instances)
    (bad / "instances.json").write_text('{"instances": [{"id": 1, "pixels": 3}]}')
    write_index(out, [{"frame_id": f, "split": "val" if f == "f2" else "train"}
                      for f in ("f1", "f2", "no_instances", "other_mapping", "mismatched")])

    report = export_dataset(out, dest, "coco", ExportOptions())
    assert report.published and not report.ok and dict(report.exported) == {"train": 1, "val": 1}
    assert dict(report.skipped) == {
        "no_instances": "no instances.png, instances.json (extract with --outputs ...,instances)",
        "other_mapping": "labelled with mapping 'city_game' of other content, not 'city_game' "
                         "(relabel it, or pass that mapping's file with --classes)"}
    assert report.failed[0][0] == "mismatched" and "instances.json: does not match instances.png" in report.failed[0][1]
    assert report.counts["instances of stuff classes (in panoptic as stuff)"] == 2  # the building, twice
    assert report.counts["instances of void classes, skipped"] == 2

    coco = COCO(str(dest / "annotations" / "instances_train.json"))
    assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == ["pedestrian", "vehicle"]
    (image,) = coco.loadImgs(coco.getImgIds())
    assert image["frame_id"] == "f1" and (image["width"], image["height"]) == (16, 12)
    assert (dest / "images" / "train" / image["file_name"]).read_bytes() == (out / "frames/f1/rgb.png").read_bytes()
    for annotation in coco.loadAnns(coco.getAnnIds()):
        assert np.array_equal(coco.annToMask(annotation).astype(bool), instances == annotation["instance_id"])
    panoptic = read_json(dest / "annotations" / "panoptic_val.json")
    (entry,) = panoptic["annotations"]
    decoded = panoptic_ids(read_png(dest / "annotations" / "panoptic_val" / entry["file_name"]))
    assert sorted(np.unique(decoded[decoded > 0]).tolist()) == [s["id"] for s in entry["segments_info"]]
    assert {c["name"]: c["isthing"] for c in panoptic["categories"]}["road"] == 0
    assert not list(tmp_path.glob(".tmp-*"))

    again = CliRunner().invoke(app, ["export", str(out), str(dest), "--format", "coco", "--force"])
    assert again.exit_code == 1, "a failed frame fails the command; the others are exported"
    assert "failed 1 frames:" in again.stdout and "(train: 1, val: 1)" in again.stdout


def test_a_mapping_without_thing_classes_exports_stuff_only_and_says_so(tmp_path):
    text = (Path(CITY.path).read_text(encoding="utf-8")
            .replace('category = "human"', 'category = "people"').replace('category = "vehicle"', 'category = "cars"'))
    mapping_path = tmp_path / "city_game.toml"
    mapping_path.write_text(text, encoding="utf-8")
    mapping = load_class_map(mapping_path)
    labels, instances = scene()
    write_frame(tmp_path / "out", "f", labels, instances, mapping_sha256=mapping.sha256)
    report = export_dataset(tmp_path / "out", tmp_path / "coco", "coco", ExportOptions(classes=str(mapping_path)))
    assert report.ok and report.counts["annotations"] == 0
    assert report.notes == ["mapping 'city_game' has no thing class (category human or vehicle): the instances "
                            "files hold no annotations; --things names the classes of countable objects"]
    (entry,) = read_json(tmp_path / "coco" / "annotations" / "panoptic_all.json")["annotations"]
    assert {s["category_id"] for s in entry["segments_info"]} == {ROAD, BUILDING, VEHICLE, PEDESTRIAN}
