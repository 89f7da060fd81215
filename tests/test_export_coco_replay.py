"""`rdc-extract export --format coco` on real extractions of the sample game (the shared `drawids_dataset`, with
labels and instances), read back by pycocotools: each annotation's mask is its instance's in instances.png, and
each panoptic PNG decodes to exactly the segments its JSON lists, with the frame's labels under the stuff."""

from __future__ import annotations

import numpy as np
import pytest
from pycocotools.coco import COCO
from typer.testing import CliRunner

from rdc_extract.cli import app
from rdc_extract.dataset.files import read_png
from rdc_extract.export.coco import panoptic_ids
from tests.export_frames import read_json

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # pycocotools'


@pytest.fixture(scope="module")
def exported(drawids_dataset, tmp_path_factory):
    dest = tmp_path_factory.mktemp("export") / "coco"
    result = CliRunner().invoke(app, ["export", str(drawids_dataset), str(dest), "--format", "coco"])
    assert result.exit_code == 0, result.stdout + result.stderr
    return drawids_dataset, dest, result.stdout


def test_instances_load_in_pycocotools_and_each_mask_is_the_frames_instance(exported):
    out, dest, summary = exported
    coco = COCO(str(dest / "annotations" / "instances_all.json"))
    images = coco.loadImgs(coco.getImgIds())
    assert sorted(image["frame_id"] for image in images) == sorted(p.name for p in (out / "frames").iterdir())
    assert {c["name"] for c in coco.loadCats(coco.getCatIds())} == {"pedestrian", "vehicle"}
    for image in images:
        frame = out / "frames" / image["frame_id"]
        instances = read_png(frame / "instances.png")
        table = {record["id"]: record for record in read_json(frame / "instances.json")["instances"]}
        annotations = coco.loadAnns(coco.getAnnIds(imgIds=image["id"]))
        assert annotations, "every sample capture shows cars or people"
        for annotation in annotations:
            record = table[annotation["instance_id"]]
            assert np.array_equal(coco.annToMask(annotation).astype(bool), instances == annotation["instance_id"])
            assert annotation["bbox"] == record["box"] and annotation["area"] == record["pixels"]
            assert coco.loadCats(annotation["category_id"])[0]["name"] == record["class"]["name"]
        assert (dest / "images" / "all" / image["file_name"]).stat().st_ino == (frame / "rgb.png").stat().st_ino
    assert "images hard-linked: 2" in summary


def test_each_panoptic_png_decodes_to_the_segments_listed(exported):
    out, dest, _ = exported
    panoptic = read_json(dest / "annotations" / "panoptic_all.json")
    things = {c["id"] for c in panoptic["categories"] if c["isthing"]}
    images = {image["id"]: image for image in panoptic["images"]}
    for entry in panoptic["annotations"]:
        frame = out / "frames" / images[entry["image_id"]]["frame_id"]
        segments = panoptic_ids(read_png(dest / "annotations" / "panoptic_all" / entry["file_name"]))
        labels = read_png(frame / "labels.png")
        ids, areas = np.unique(segments[segments > 0], return_counts=True)
        info = entry["segments_info"]
        assert ids.tolist() == [s["id"] for s in info] and areas.tolist() == [s["area"] for s in info]
        assert any(s["category_id"] in things for s in info) and any(s["category_id"] not in things for s in info)
        for segment in info:
            if segment["category_id"] not in things:
                assert (labels[segments == segment["id"]] == segment["category_id"]).all()
