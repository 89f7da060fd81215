"""Hugging Face datasets (docs/export.md): an image folder with metadata that `datasets.load_dataset(DEST)` loads.

    DEST/README.md                      dataset card; its YAML header maps each split to its folder (`configs`)
    DEST/id2label.json                  label value → class name, as transformers' segmentation examples read it
    DEST/<split>/metadata.jsonl         one row per frame: image/label/depth file names, frame_id, split, camera
    DEST/<split>/image/<frame_id>.png   the frame's rgb.png
    DEST/<split>/label/<frame_id>.png   labels_train.png (trainIds), or labels.png when the mapping has no trainIds
    DEST/<split>/depth/<frame_id>.png   depth_kitti.png (uint16, metres × 256, 0 = invalid), when every frame has it

The files are plain PNGs and JSON (no package needed to write them): datasets'
imagefolder builder turns each `<column>_file_name` key into an Image column.
A column is written only when every exported frame has it, since datasets
infers one schema per split from the rows and requires the same in every split.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Mapping
from typing import Any

from rdc_extract import __version__
from rdc_extract.dataset.files import write_text
from rdc_extract.dataset.names import LABEL_FILES
from rdc_extract.errors import ExportError
from rdc_extract.export.base import ExportContext, ExportFrame, Exporter, Need, camera_matrix, camera_pose
from rdc_extract.export.coco import COPIED, LINKED
from rdc_extract.export.destination import place_image
from rdc_extract.export.frames import ALL_SPLIT
from rdc_extract.labels.classmap import ClassMap

METADATA = "metadata.jsonl"
DEPTH_FILE = "depth_kitti.png"
HF_SPLIT = re.compile(r"\w+")  # datasets' split names; `all` is its name for every split together
UNSPLIT = "train"
IMAGE, LABEL, DEPTH = "image", "label", "depth"
CAMERA_COLUMNS = ("K", "world_to_camera")


def hf_split(split: str) -> str:
    """The datasets split a frame of `split` goes to: the same name, `train` for the export's `all` (a dataset
    without splits, as datasets names one; it reserves `all`). Raises ValueError for a name datasets refuses."""
    if split == ALL_SPLIT:
        return UNSPLIT
    if not HF_SPLIT.fullmatch(split):
        raise ValueError(f"split {split!r} is not a Hugging Face split name (letters, digits and _)")
    return split


def label_names(class_map: ClassMap) -> dict[int, str]:
    """What each value of the label column means: trainId → the names of its classes (the ignore trainId left
    out), or, for a mapping without trainIds, label id → class name."""
    if not class_map.has_train_ids:
        return {label.id: label.name for label in sorted(class_map.classes, key=lambda label: label.id)}
    names: dict[int, list[str]] = {}
    for label in class_map.classes:
        if label.train_id is not None and label.train_id != class_map.ignore_train_id:
            names.setdefault(label.train_id, []).append(label.name)
    return {value: ", ".join(names[value]) for value in sorted(names)}


def dataset_card(class_map: ClassMap, splits: Mapping[str, int], columns: list[str], source: str) -> str:
    """README.md: the YAML header datasets reads (`configs`: each split's files) and what the columns hold."""
    header = ["---", "configs:", "- config_name: default", "  data_files:"]
    for split in sorted(splits):
        header += [f"  - split: {split}", f"    path: \"{split}/**\""]
    header += ["task_categories:", "- image-segmentation"] + (["- depth-estimation"] if DEPTH in columns else [])
    header += ["tags:", "- synthetic", "- rdc-extract", "---", ""]
    label_kind = ("trainIds" if class_map.has_train_ids else "label ids") + f" of class mapping `{class_map.name}`"
    described = {
        IMAGE: "the frame's final image before the HUD (RGB)",
        LABEL: f"per-pixel {label_kind}"
               + (f"; {class_map.ignore_train_id} = ignore" if class_map.has_train_ids else ""),
        DEPTH: "z-depth, uint16 PNG: metres × 256, 0 = no valid depth (KITTI's encoding)",
        "frame_id": "the frame's folder in the extracted dataset",
        "split": "the frame's split in the extracted dataset (`all`: none assigned)",
        "K": "camera intrinsics, 3×3, pixels (OpenCV: x right, y down, z forward)",
        "world_to_camera": "4×4 world → camera transform (OpenCV camera frame)",
    }
    counts = ", ".join(f"{split}: {count}" for split, count in sorted(splits.items()))
    lines = [f"# {source}", "", f"Frames exported by rdc-extract {__version__} from `{source}` ({counts}).",
             "", "| column | content |", "| --- | --- |"]
    lines += [f"| `{column}` | {described[column]} |" for column in columns]
    lines += ["", "## Label values", "", "| value | class |", "| --- | --- |"]
    lines += [f"| {value} | {name} |" for value, name in label_names(class_map).items()]
    return "\n".join(header + lines) + "\n"


class HfExporter(Exporter):
    name = "hf"
    needs = (Need("rgb.png", "rgb"), Need(LABEL_FILES["ids"], "labels"))

    def __init__(self, context: ExportContext) -> None:
        super().__init__(context)
        assert context.class_map is not None, "the hf export needs the frames' class mapping"
        self.class_map = context.class_map
        self.label_file = LABEL_FILES["train_ids" if self.class_map.has_train_ids else "ids"]
        self.split_of: dict[str, str] = {}   # datasets split → the export's split it holds
        self.rows: dict[str, list[dict[str, Any]]] = {}

    def add_frame(self, frame: ExportFrame) -> Mapping[str, int]:
        try:
            split = hf_split(frame.split)
        except ValueError as exc:
            raise ExportError(self.context.out / "index.csv", str(exc)) from None
        if self.split_of.setdefault(split, frame.split) != frame.split:
            raise ExportError(self.context.out / "index.csv", f"splits {self.split_of[split]!r} and {frame.split!r} "
                                                              f"would both be Hugging Face split {split!r}")
        matrix, pose = camera_matrix(frame), camera_pose(frame)
        folder, mode = self.context.dest / split, self.context.options.images
        file_name = f"{frame.frame_id}.png"
        linked = place_image(frame.path / "rgb.png", folder / IMAGE / file_name, mode)
        place_image(frame.path / self.label_file, folder / LABEL / file_name, mode)
        row: dict[str, Any] = {f"{IMAGE}_file_name": f"{IMAGE}/{file_name}",
                               f"{LABEL}_file_name": f"{LABEL}/{file_name}", f"{DEPTH}_file_name": None,
                               "frame_id": frame.frame_id, "split": frame.split,
                               "K": None if matrix is None else matrix.tolist(),
                               "world_to_camera": None if pose is None else pose.tolist()}
        if (frame.path / DEPTH_FILE).is_file():
            place_image(frame.path / DEPTH_FILE, folder / DEPTH / file_name, mode)
            row[f"{DEPTH}_file_name"] = f"{DEPTH}/{file_name}"
        self.rows.setdefault(split, []).append(row)
        return {LINKED if linked else COPIED: 1}

    def finish(self) -> list[str]:
        rows = [row for split_rows in self.rows.values() for row in split_rows]
        dropped = [key for key in (f"{DEPTH}_file_name", *CAMERA_COLUMNS) if any(row[key] is None for row in rows)]
        for key in dropped:
            missing = sum(row[key] is None for row in rows)
            what = "depth_kitti.png" if key.startswith(DEPTH) else f"camera.{key} in meta.json"
            self.notes.append(f"column {key.removesuffix('_file_name')!r} left out: {missing} of {len(rows)} "
                              f"frames have no {what} (datasets needs one schema for every row)")
        if f"{DEPTH}_file_name" in dropped:
            for split in self.rows:
                shutil.rmtree(self.context.dest / split / DEPTH, ignore_errors=True)
        written = []
        for split, split_rows in sorted(self.rows.items()):
            lines = [json.dumps({key: value for key, value in row.items() if key not in dropped}) for row in split_rows]
            write_text(self.context.dest / split / METADATA, "\n".join(lines) + "\n")
            written.append(f"{split}/ ({len(split_rows)} frames, {METADATA})")
        columns = [key.removesuffix("_file_name") for key in rows[0] if key not in dropped]
        source = self.context.out.resolve().name
        write_text(self.context.dest / "README.md",
                   dataset_card(self.class_map, {split: len(r) for split, r in self.rows.items()}, columns, source))
        labels = {str(value): name for value, name in label_names(self.class_map).items()}
        write_text(self.context.dest / "id2label.json", json.dumps(labels, indent=2) + "\n")
        return [*written, "README.md (dataset card: splits, columns, label values)", "id2label.json"]


EXPORTER = HfExporter
