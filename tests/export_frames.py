"""Plain-data frame folders shaped like extracted ones (docs/dataset.md, docs/instances.md), for export tests, and
readers of what exports write (CSV tables, KITTI calibration and depth as KITTI's tools read them)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
from PIL import Image

from rdc_extract.dataset.files import write_json, write_png
from rdc_extract.labels.classmap import resolve_class_map

CITY = resolve_class_map("city_game")
PEDESTRIAN, VEHICLE, ROAD, BUILDING, UNLABELLED = 1, 2, 4, 6, 0  # city_game ids


def scene(height: int = 12, width: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Labels and instances of a small street: road below, a building above, a car (instance 1) with one pixel
    the stencil calls road, a person (instance 2), the building as an instance (3), an unlabelled
    instance (4), and a vehicle pixel belonging to no instance."""
    labels = np.full((height, width), ROAD, np.uint8)
    labels[: height // 2] = BUILDING
    instances = np.zeros((height, width), np.uint16)
    instances[: height // 2] = 3
    instances[7:10, 2:7] = 1
    labels[7:10, 2:7] = VEHICLE
    labels[9, 6] = ROAD
    instances[6:11, 10:12] = 2
    labels[6:11, 10:12] = PEDESTRIAN
    instances[0, 0:3] = 4
    labels[0, 0:3] = UNLABELLED
    labels[11, 15] = VEHICLE
    return labels, instances


def train_ids_and_colours(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """labels_train.png and labels_color.png of city_game labels, as labelling writes them."""
    train_ids, colours = np.full(256, 255, np.uint8), np.zeros((256, 3), np.uint8)
    for label in CITY.classes:
        train_ids[label.id], colours[label.id] = label.train_id, label.color
    return train_ids[labels], colours[labels]


def write_frame(out: Path, frame_id: str, labels: np.ndarray, instances: np.ndarray | None,
                mapping_sha256: str = CITY.sha256, depth: np.ndarray | None = None,
                meta: dict | None = None) -> Path:
    """A finished frame folder: rgb.png, labels.png, labels_train.png, labels_color.png, instances.png/.json
    (unless None), depth_kitti.png (when given), meta.json last (with `meta`'s keys added: camera, scenario)."""
    frame = out / "frames" / frame_id
    height, width = labels.shape
    rgb = np.zeros((height, width, 3), np.uint8)
    rgb[..., 0] = labels * 20
    write_png(frame / "rgb.png", rgb)
    write_png(frame / "labels.png", labels)
    train_ids, colours = train_ids_and_colours(labels)
    write_png(frame / "labels_train.png", train_ids)
    write_png(frame / "labels_color.png", colours)
    if depth is not None:
        write_png(frame / "depth_kitti.png", depth)
    if instances is not None:
        write_png(frame / "instances.png", instances)
        ids, pixels = np.unique(instances[instances > 0], return_counts=True)
        table = [{"id": int(i), "draws": [int(i)], "signatures": [], "class": None, "pixels": int(n),
                  "box": [0, 0, 1, 1]} for i, n in zip(ids, pixels)]
        write_json(frame / "instances.json", {"none": 0, "instances": table})
    write_json(frame / "meta.json", {"frame_id": frame_id, "image": {"width": width, "height": height},
                                     "labels": {"mapping": CITY.name, "mapping_sha256": mapping_sha256},
                                     **(meta or {})})
    return frame


def write_index(out: Path, rows: list[dict[str, str]]) -> None:
    """index.csv with these rows (frame_id first), as batch writes it."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    lines = [",".join(columns)] + [",".join(row.get(c, "") for c in columns) for row in rows]
    (out / "index.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def camera(focal: float = 20.0, width: int = 16, height: int = 12) -> dict:
    """meta.json's `camera` entry of a pinhole camera looking down +z from the origin."""
    return {"K": [[focal, 0.0, (width - 1) / 2], [0.0, focal, (height - 1) / 2], [0.0, 0.0, 1.0]],
            "world_to_camera": np.eye(4).tolist()}


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def read_calib(path: Path) -> dict[str, np.ndarray]:
    """A KITTI calibration file as the object devkit's readers parse it: `key: numbers` per line."""
    entries = {}
    for line in path.read_text(encoding="ascii").splitlines():
        if line.strip():
            key, values = line.split(":", 1)
            entries[key] = np.array([float(value) for value in values.split()])
    return entries


def read_kitti_depth(path: Path) -> np.ndarray:
    """KITTI's depth devkit: metres = png / 256, -1 where the PNG holds 0."""
    png = np.array(Image.open(path), dtype=int)
    depth = png.astype(np.float64) / 256.0
    depth[png == 0] = -1.0
    return depth
