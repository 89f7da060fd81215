"""Plain-data frame folders shaped like extracted ones (docs/dataset.md, docs/instances.md), for export tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

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


def write_frame(out: Path, frame_id: str, labels: np.ndarray, instances: np.ndarray | None,
                mapping_sha256: str = CITY.sha256) -> Path:
    """A finished frame folder: rgb.png, labels.png, instances.png/.json (unless None), meta.json last."""
    frame = out / "frames" / frame_id
    height, width = labels.shape
    rgb = np.zeros((height, width, 3), np.uint8)
    rgb[..., 0] = labels * 20
    write_png(frame / "rgb.png", rgb)
    write_png(frame / "labels.png", labels)
    if instances is not None:
        write_png(frame / "instances.png", instances)
        ids, pixels = np.unique(instances[instances > 0], return_counts=True)
        table = [{"id": int(i), "draws": [int(i)], "signatures": [], "class": None, "pixels": int(n),
                  "box": [0, 0, 1, 1]} for i, n in zip(ids, pixels)]
        write_json(frame / "instances.json", {"none": 0, "instances": table})
    write_json(frame / "meta.json", {"frame_id": frame_id, "image": {"width": width, "height": height},
                                     "labels": {"mapping": CITY.name, "mapping_sha256": mapping_sha256}})
    return frame


def write_index(out: Path, rows: list[dict[str, str]]) -> None:
    """index.csv with these rows (frame_id first), as batch writes it."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    lines = [",".join(columns)] + [",".join(row.get(c, "") for c in columns) for row in rows]
    (out / "index.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))
