"""COCO instances and COCO panoptic (docs/export.md): what detectron2, mmdetection and pycocotools read.

Per split:

    DEST/images/<split>/<frame_id>.png             the frame's rgb.png (hard link, else a copy)
    DEST/annotations/instances_<split>.json        images, one annotation per thing instance, thing categories
    DEST/annotations/panoptic_<split>.json         images, segments_info per image, every category with isthing
    DEST/annotations/panoptic_<split>/<frame_id>.png   segment id = R + 256·G + 256²·B, 0 = void

The pure functions (categories, masks → RLE, panoptic segments and their
colour encoding) are separate from the exporter that reads frames and writes
files, so they are tested on plain data. pycocotools (the `export` extra)
encodes the masks: it is what consumers decode them with.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rdc_extract import __version__
from rdc_extract.dataset.files import write_png, write_text
from rdc_extract.errors import ExportError
from rdc_extract.export.base import ExportContext, ExportFrame, Exporter, Need, image_size, read_image
from rdc_extract.export.destination import place_image
from rdc_extract.extract.instances import boxes
from rdc_extract.labels.classmap import ClassMap, LabelClass

#: Class categories whose classes are countable objects by default: Cityscapes' classes with instances
#: (person, rider, car, truck, bus, …) are exactly those of its categories human and vehicle.
THING_CATEGORIES = ("human", "vehicle")
VOID_CATEGORY = "void"
PANOPTIC_VOID = 0
MAX_SEGMENTS = 256**3 - 1

ANNOTATIONS = "annotations"
STUFF_INSTANCES = "instances of stuff classes (in panoptic as stuff)"
VOID_INSTANCES = "instances of void classes, skipped"
SEGMENTS = "panoptic segments"
LINKED, COPIED = "images hard-linked", "images copied"


@dataclass(frozen=True)
class Category:
    """A COCO category: `id` is the class's label id (labels.png value), so predictions map back to labels."""

    id: int
    name: str
    supercategory: str
    isthing: bool
    color: tuple[int, int, int]

    def instances_entry(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "supercategory": self.supercategory}

    def panoptic_entry(self) -> dict[str, Any]:
        return {**self.instances_entry(), "isthing": int(self.isthing), "color": list(self.color)}


def is_void(label: LabelClass, class_map: ClassMap) -> bool:
    """Whether a class is left out of the export (its pixels void): the mapping's unlabelled class, category
    `void`, the ignore trainId, or id 0, which panoptic PNGs reserve for void."""
    return (label.id in (0, class_map.unlabelled_id) or label.category.lower() == VOID_CATEGORY
            or (label.train_id is not None and label.train_id == class_map.ignore_train_id))


def categories(class_map: ClassMap, things: Collection[str] | None = None) -> list[Category]:
    """The mapping's classes that are not void, by id; a thing when named in `things`, else (None) when its
    category is one of THING_CATEGORIES. Raises ExportError for a name in `things` that is no exported class."""
    kept = [label for label in class_map.classes if not is_void(label, class_map)]
    if things is not None:
        names = {label.name for label in kept}
        for name in things:
            if name not in names:
                void = any(label.name == name for label in class_map.classes)
                why = "is void here" if void else "is not one of its classes"
                raise ExportError(class_map.path or Path(class_map.name),
                                  f"--things: class {name!r} {why} (exported classes: {', '.join(sorted(names))})")

    def thing(label: LabelClass) -> bool:
        return label.name in things if things is not None else label.category.lower() in THING_CATEGORIES

    return [Category(label.id, label.name, label.category or label.name, thing(label), label.color)
            for label in sorted(kept, key=lambda label: label.id)]


def majority_labels(instance_ids: np.ndarray, labels: np.ndarray, count: int) -> np.ndarray:
    """The most common label under each instance 1..count (row i-1), as instances.json's `class` is defined."""
    width = int(labels.max(initial=0)) + 1
    table = np.bincount(instance_ids.astype(np.int64).ravel() * width + labels.astype(np.int64).ravel(),
                        minlength=(count + 1) * width).reshape(count + 1, width)
    return table[1:].argmax(axis=1)


def rle(mask: np.ndarray) -> dict[str, Any]:
    """A boolean (H, W) mask as COCO's compressed RLE (`counts` as text), as pycocotools encodes and decodes it."""
    from pycocotools import mask as coco_mask

    encoded = coco_mask.encode(np.asfortranarray(mask, dtype=np.uint8))
    return {"size": [int(n) for n in encoded["size"]], "counts": encoded["counts"].decode("ascii")}


def instance_annotations(instance_ids: np.ndarray, category_of: Mapping[int, int]) -> list[dict[str, Any]]:
    """One COCO annotation (no `id`/`image_id` yet) per instance in `category_of` (instance id → category id),
    in instance order: RLE segmentation, area, bbox [x, y, w, h], iscrowd 0, and its instances.png value."""
    count = int(instance_ids.max(initial=0))
    areas = np.bincount(instance_ids.ravel(), minlength=count + 1)
    instance_boxes = boxes(instance_ids, count)
    annotations = []
    for instance, category in sorted(category_of.items()):
        if not 0 < instance <= count or not areas[instance]:
            continue
        annotations.append({"category_id": int(category), "segmentation": rle(instance_ids == instance),
                            "area": int(areas[instance]), "bbox": instance_boxes[instance - 1].tolist(),
                            "iscrowd": 0, "instance_id": int(instance)})
    return annotations


def panoptic_segments(instance_ids: np.ndarray, things: Mapping[int, int], labels: np.ndarray,
                      stuff: Collection[int]) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """The panoptic segment map (uint32, 0 = void) and its segments_info.

    Thing segments are the instances in `things` (instance id → category id), numbered 1, 2, … in instance
    order, each covering all its instance's pixels. Every other pixel whose label is in `stuff` (category ids)
    joins its class's one stuff segment, numbered on in category id order. The rest is void: pixels of void
    classes, and pixels of thing classes outside every exported instance (no instance to give them to).
    """
    segment_of_instance = np.zeros(int(instance_ids.max(initial=0)) + 1, np.uint32)
    categories_of: list[int] = []
    for instance, category in sorted(things.items()):
        if 0 < instance < len(segment_of_instance):
            categories_of.append(int(category))
            segment_of_instance[instance] = len(categories_of)
    segments = segment_of_instance[instance_ids]
    free = segments == PANOPTIC_VOID
    for category in sorted(int(c) for c in np.unique(labels[free]) if int(c) in stuff):
        categories_of.append(category)
        segments[free & (labels == category)] = len(categories_of)
    if len(categories_of) > MAX_SEGMENTS:
        raise ValueError(f"{len(categories_of)} panoptic segments; a panoptic PNG holds {MAX_SEGMENTS}")
    areas = np.bincount(segments.ravel(), minlength=len(categories_of) + 1)
    segment_boxes = boxes(segments, len(categories_of))
    info = [{"id": number, "category_id": category, "iscrowd": 0, "bbox": segment_boxes[number - 1].tolist(),
             "area": int(areas[number])}
            for number, category in enumerate(categories_of, start=1) if areas[number]]
    return segments, info


def panoptic_rgb(segments: np.ndarray) -> np.ndarray:
    """Segment ids (H, W) → the panoptic PNG's uint8 RGB: id = R + 256·G + 256²·B."""
    ids = segments.astype(np.uint32)
    return np.stack([ids & 0xFF, (ids >> 8) & 0xFF, (ids >> 16) & 0xFF], axis=-1).astype(np.uint8)


def panoptic_ids(rgb: np.ndarray) -> np.ndarray:
    """The inverse of `panoptic_rgb`: a panoptic PNG's uint8 RGB → segment ids (H, W) uint32."""
    wide = rgb.astype(np.uint32)
    return wide[..., 0] + (wide[..., 1] << 8) + (wide[..., 2] << 16)


@dataclass
class _Split:
    """What one split's JSON files will hold."""

    images: list[dict[str, Any]]
    annotations: list[dict[str, Any]]
    panoptic: list[dict[str, Any]]


class CocoExporter(Exporter):
    name = "coco"
    needs = (Need("rgb.png", "rgb"), Need("labels.png", "labels"), Need("instances.png", "instances"),
             Need("instances.json", "instances"))
    requires = {"pycocotools": "pycocotools>=2.0.7"}

    def __init__(self, context: ExportContext) -> None:
        super().__init__(context)
        assert context.class_map is not None, "the coco export needs the frames' class mapping"
        self.categories = categories(context.class_map, context.options.things)
        self.things = {c.id for c in self.categories if c.isthing}
        self.stuff = {c.id for c in self.categories if not c.isthing}
        if not self.things:
            self.notes.append(f"mapping {context.class_map.name!r} has no thing class (category "
                              f"{' or '.join(THING_CATEGORIES)}): the instances files hold no annotations; "
                              "--things names the classes of countable objects")
        self.splits: dict[str, _Split] = defaultdict(lambda: _Split([], [], []))
        self.images = 0
        self.annotations = 0

    def add_frame(self, frame: ExportFrame) -> dict[str, int]:
        labels = read_image(frame.path / "labels.png", (np.uint8,))
        instance_ids = read_image(frame.path / "instances.png", (np.uint16, np.uint8))
        listed = _listed_instances(frame.path / "instances.json", instance_ids)
        width, height = image_size(frame.path / "rgb.png")
        for name, image in (("labels.png", labels), ("instances.png", instance_ids)):
            if image.shape != (height, width):
                raise ExportError(frame.path / name, f"{image.shape[1]}x{image.shape[0]}, but rgb.png is "
                                                     f"{width}x{height}")
        classes = majority_labels(instance_ids, labels, int(instance_ids.max(initial=0)))
        things = {instance: int(classes[instance - 1]) for instance in listed
                  if int(classes[instance - 1]) in self.things}
        stuff_instances = sum(int(classes[instance - 1]) in self.stuff for instance in listed)
        segments, segments_info = panoptic_segments(instance_ids, things, labels, self.stuff)

        split = self.splits[frame.split]
        self.images += 1
        file_name = f"{frame.frame_id}.png"
        split.images.append({"id": self.images, "file_name": file_name, "width": width, "height": height,
                             "frame_id": frame.frame_id})
        annotations = instance_annotations(instance_ids, things)
        for annotation in annotations:
            self.annotations += 1
            split.annotations.append({"id": self.annotations, "image_id": self.images, **annotation})
        split.panoptic.append({"image_id": self.images, "file_name": file_name, "segments_info": segments_info})
        write_png(self.context.dest / ANNOTATIONS / f"panoptic_{frame.split}" / file_name, panoptic_rgb(segments))
        linked = place_image(frame.path / "rgb.png", self.context.dest / "images" / frame.split / file_name,
                             self.context.options.images)
        return {ANNOTATIONS: len(annotations), STUFF_INSTANCES: stuff_instances,
                VOID_INSTANCES: len(listed) - len(things) - stuff_instances, SEGMENTS: len(segments_info),
                LINKED if linked else COPIED: 1}

    def finish(self) -> list[str]:
        info = {"description": f"exported by rdc-extract {__version__} from {self.context.out.name}",
                "version": __version__}
        written = []
        for name, split in sorted(self.splits.items()):
            images = {"info": info, "licenses": [], "images": split.images}
            instances = {**images, "annotations": split.annotations,
                         "categories": [c.instances_entry() for c in self.categories if c.isthing]}
            panoptic = {**images, "annotations": split.panoptic,
                        "categories": [c.panoptic_entry() for c in self.categories]}
            for kind, document in (("instances", instances), ("panoptic", panoptic)):
                path = self.context.dest / ANNOTATIONS / f"{kind}_{name}.json"
                write_text(path, json.dumps(document, separators=(",", ":")) + "\n")
            written += [f"images/{name}/ ({len(split.images)} images)",
                        f"{ANNOTATIONS}/instances_{name}.json ({len(split.annotations)} annotations)",
                        f"{ANNOTATIONS}/panoptic_{name}.json + panoptic_{name}/ ({len(split.panoptic)} PNGs)"]
        return written


def _listed_instances(path: Path, instance_ids: np.ndarray) -> list[int]:
    """The instance ids instances.json lists, checked against instances.png: the same ids, the same pixels."""
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
        records: Sequence[Mapping[str, Any]] = table["instances"]
        listed = {int(record["id"]): int(record["pixels"]) for record in records}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ExportError(path, f"not an instance table (docs/instances.md): {type(exc).__name__}: {exc}") from None
    pixels = np.bincount(instance_ids.ravel())
    present = {int(i): int(n) for i, n in enumerate(pixels) if i and n}
    if present != {i: n for i, n in listed.items() if n}:
        differ = sorted(set(present.items()) ^ {(i, n) for i, n in listed.items() if n})[0]
        raise ExportError(path, f"does not match instances.png (instance {differ[0]}: pixels differ or it is "
                                "missing from one of them): the two files are not of one extraction")
    return sorted(present)


EXPORTER = CocoExporter
