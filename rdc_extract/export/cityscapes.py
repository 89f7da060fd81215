"""Cityscapes (docs/export.md): the layout cityscapesScripts and the Cityscapes loaders of training code read.

Per frame, named `<city>_<sequence>_<frame>` (naming.py):

    DEST/leftImg8bit/<split>/<city>/<name>_leftImg8bit.png        the frame's rgb.png
    DEST/gtFine/<split>/<city>/<name>_gtFine_labelIds.png         labels.png (the mapping's ids)
    DEST/gtFine/<split>/<city>/<name>_gtFine_instanceIds.png      uint16: label id, or id × 1000 + k on instance k
    DEST/gtFine/<split>/<city>/<name>_gtFine_color.png            labels_color.png
    DEST/gtFine/<split>/<city>/<name>_gtFine_labelTrainIds.png    labels_train.png, when the mapping has trainIds
    DEST/camera/<split>/<city>/<name>_camera.json                 intrinsics from meta.json's K
    DEST/frames.csv                                               the names back to frame ids

cityscapesScripts reads the ids as Cityscapes' own (its helpers/labels.py);
a mapping in other ids gets a note in the summary. No `_gtFine_polygons.json`:
polygons cannot hold a mask's holes exactly (docs/export.md).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from rdc_extract.dataset.files import write_png, write_text
from rdc_extract.dataset.names import LABEL_FILES
from rdc_extract.errors import ExportError
from rdc_extract.export.base import (
    ExportContext, ExportFrame, Exporter, Need, camera_matrix, camera_pose, image_size, read_image,
)
from rdc_extract.export.coco import COPIED, LINKED, categories, is_void, majority_labels
from rdc_extract.export.destination import place_image
from rdc_extract.export.naming import Numbering, game_frame_number, group_name, write_frame_table
from rdc_extract.labels.classmap import ClassMap

#: Cityscapes' label names by label id 0..33 (cityscapesScripts' helpers/labels.py; a test compares them).
CITYSCAPES_LABELS = (
    "unlabeled", "ego vehicle", "rectification border", "out of roi", "static", "dynamic", "ground", "road",
    "sidewalk", "parking", "rail track", "building", "wall", "fence", "guard rail", "bridge", "tunnel", "pole",
    "polegroup", "traffic light", "traffic sign", "vegetation", "terrain", "sky", "person", "rider", "car",
    "truck", "bus", "caravan", "trailer", "train", "motorcycle", "bicycle",
)
INSTANCE_FACTOR = 1000
MAX_THING_ID = (np.iinfo(np.uint16).max - (INSTANCE_FACTOR - 1)) // INSTANCE_FACTOR  # 64: 64 × 1000 + 999 fits
NUMBER_LIMIT = 10**6  # sequence and frame numbers have six digits

THING_INSTANCES = "thing instances (label id × 1000 + k)"
NO_INSTANCES = "frames without instances.png (instanceIds = labelIds)"
CAMERAS = "camera files"


def cityscapes_name(city: str, sequence: int, frame: int) -> str:
    """`aachen_000012_000019`: how every Cityscapes file of one frame begins."""
    return f"{city}_{sequence:06d}_{frame:06d}"


def instance_ids_image(labels: np.ndarray, instances: np.ndarray | None,
                       things: Collection[int]) -> tuple[np.ndarray, int]:
    """Cityscapes' instanceIds (uint16) and the number of instances in it.

    Each instance of instances.png whose class (the most common label under it) is in `things` gets
    `class × 1000 + k`, k = 0, 1, … per class in instance order, on its pixels that labels.png gives that
    class; every other pixel keeps its label id, as Cityscapes encodes stuff and thing pixels outside any
    instance. So `instanceIds // 1000 == labelIds` wherever instanceIds ≥ 1000. Raises ValueError past
    1000 instances of one class (k would reach the next class's ids).
    """
    encoded = labels.astype(np.uint16)
    if instances is None:
        return encoded, 0
    count = int(instances.max(initial=0))
    class_of = np.concatenate([[0], majority_labels(instances, labels, count)]).astype(np.int64)
    pixel_class = class_of[instances]
    kept = (instances > 0) & np.isin(pixel_class, list(things)) & (labels == pixel_class)
    present = np.flatnonzero(np.bincount(instances[kept].ravel(), minlength=count + 1))
    value = np.zeros(count + 1, np.uint16)
    per_class: dict[int, int] = defaultdict(int)
    for instance in present.tolist():
        label = int(class_of[instance])
        if per_class[label] == INSTANCE_FACTOR:
            raise ValueError(f"more than {INSTANCE_FACTOR} instances of class id {label}: Cityscapes' "
                             f"instanceIds hold {INSTANCE_FACTOR} per class")
        value[instance] = label * INSTANCE_FACTOR + per_class[label]
        per_class[label] += 1
    encoded[kept] = value[instances[kept]]
    return encoded, len(present)


def cityscapes_mismatch(class_map: ClassMap) -> str | None:
    """The first class of the mapping whose id is not Cityscapes' id of that name, or None when all are. Void
    classes (coco.is_void) may have other names: their pixels are ignored; but their ids must be Cityscapes'."""
    for label in sorted(class_map.classes, key=lambda label: label.id):
        expected = CITYSCAPES_LABELS[label.id] if label.id < len(CITYSCAPES_LABELS) else None
        if expected is None or (label.name != expected and not is_void(label, class_map)):
            theirs = f"Cityscapes' id {label.id} is {expected!r}" if expected else "Cityscapes has no such id"
            return f"class {label.name!r} is id {label.id}, {theirs}"
    return None


def camera_document(frame: ExportFrame) -> dict[str, Any] | None:
    """The frame's `_camera.json`: Cityscapes' `intrinsic` block from K (pixels) and meta.json's
    `world_to_camera`; no `extrinsic` (Cityscapes' is the camera on a car, with a stereo baseline)."""
    matrix = camera_matrix(frame)
    if matrix is None:
        return None
    document: dict[str, Any] = {"intrinsic": {"fx": matrix[0, 0], "fy": matrix[1, 1], "u0": matrix[0, 2],
                                              "v0": matrix[1, 2]}}
    pose = camera_pose(frame)
    if pose is not None:
        document["world_to_camera"] = pose.tolist()
    return document


class CityscapesExporter(Exporter):
    name = "cityscapes"
    needs = (Need("rgb.png", "rgb"), Need(LABEL_FILES["ids"], "labels"), Need(LABEL_FILES["color"], "labels"))

    def __init__(self, context: ExportContext) -> None:
        super().__init__(context)
        class_map = context.class_map
        assert class_map is not None, "the cityscapes export needs the frames' class mapping"
        things = [c for c in categories(class_map, context.options.things) if c.isthing]
        for thing in things:
            if thing.id > MAX_THING_ID:
                raise ExportError(class_map.path or Path(class_map.name),
                                  f"class {thing.name!r} has instances but id {thing.id}: Cityscapes' instanceIds "
                                  f"(id × {INSTANCE_FACTOR} + k in 16 bits) hold ids up to {MAX_THING_ID}")
        self.things = {thing.id for thing in things}
        self.train_ids = class_map.has_train_ids
        mismatch = cityscapes_mismatch(class_map)
        if mismatch:
            self.notes.append(f"mapping {class_map.name!r} is not in Cityscapes' label ids ({mismatch}): "
                              "cityscapesScripts reads labelIds as Cityscapes classes; relabel with a mapping in "
                              "Cityscapes ids (e.g. city_game_cityscapes) to evaluate with it")
        self.numbering = Numbering()
        self.rows: list[dict[str, Any]] = []

    def add_frame(self, frame: ExportFrame) -> Mapping[str, int]:
        labels = read_image(frame.path / LABEL_FILES["ids"], (np.uint8,))
        instances_path = frame.path / "instances.png"
        instances = read_image(instances_path, (np.uint16, np.uint8)) if instances_path.is_file() else None
        width, height = image_size(frame.path / "rgb.png")
        for path, image in ((frame.path / LABEL_FILES["ids"], labels), (instances_path, instances)):
            if image is not None and image.shape != (height, width):
                raise ExportError(path, f"{image.shape[1]}x{image.shape[0]}, but rgb.png is {width}x{height}")
        try:
            instance_ids, count = instance_ids_image(labels, instances, self.things)
        except ValueError as exc:
            raise ExportError(instances_path, str(exc)) from None
        camera = camera_document(frame)

        city = group_name(frame.meta)
        sequence = self.numbering.next(city)
        if sequence >= NUMBER_LIMIT:
            raise ExportError(frame.path, f"city {city} has {NUMBER_LIMIT} frames already: Cityscapes numbers "
                                          "sequences with six digits")
        number = game_frame_number(frame.meta, NUMBER_LIMIT)
        name = cityscapes_name(city, sequence, number)
        mode, dest = self.context.options.images, self.context.dest
        ground_truth = dest / "gtFine" / frame.split / city
        linked = place_image(frame.path / "rgb.png", dest / "leftImg8bit" / frame.split / city /
                             f"{name}_leftImg8bit.png", mode)
        place_image(frame.path / LABEL_FILES["ids"], ground_truth / f"{name}_gtFine_labelIds.png", mode)
        place_image(frame.path / LABEL_FILES["color"], ground_truth / f"{name}_gtFine_color.png", mode)
        if self.train_ids:
            place_image(frame.path / LABEL_FILES["train_ids"], ground_truth / f"{name}_gtFine_labelTrainIds.png", mode)
        write_png(ground_truth / f"{name}_gtFine_instanceIds.png", instance_ids)
        if camera is not None:
            write_text(dest / "camera" / frame.split / city / f"{name}_camera.json",
                       json.dumps(camera, indent=2) + "\n")
        self.rows.append({"frame_id": frame.frame_id, "split": frame.split, "city": city, "sequence": sequence,
                          "frame": number, "name": name})
        return {THING_INSTANCES: count, NO_INSTANCES: int(instances is None), CAMERAS: int(camera is not None),
                LINKED if linked else COPIED: 1}

    def finish(self) -> list[str]:
        written = []
        files = "labelIds, instanceIds, color" + (", labelTrainIds" if self.train_ids else "")
        for split in sorted({row["split"] for row in self.rows}):
            frames = sum(row["split"] == split for row in self.rows)
            written += [f"leftImg8bit/{split}/ ({frames} images)", f"gtFine/{split}/ ({files})"]
            if (self.context.dest / "camera" / split).is_dir():
                written.append(f"camera/{split}/")
        written.append(write_frame_table(self.context.dest, list(self.rows[0]), self.rows))
        return written


EXPORTER = CityscapesExporter
