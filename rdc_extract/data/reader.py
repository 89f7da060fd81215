"""Reading an extracted dataset (docs/dataset.md) back as numpy arrays, without RenderDoc.

A `Dataset` lists its frames from `index.csv` (`batch`, `relabel`) or, when
there is none (`extract`), from the frame folders that hold a `meta.json`.
Nothing else is read until asked for: a `Frame` reads its `meta.json` on the
first metadata access and each image when its method is called, so opening
60,000 frames costs one CSV parse or one directory listing.

Conventions of what comes back: images as stored (uint8/uint16, (H, W) or
(H, W, C)); depth as float32 metres with NaN where nothing was drawn (the
files store +inf or 0 there, which must not reach a loss); normals as float32
camera-frame unit vectors with NaN where there are none.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np

from rdc_extract.dataset.files import read_png
from rdc_extract.dataset.names import META_FILE
from rdc_extract.dataset.publish import FRAMES_DIR
from rdc_extract.errors import DatasetFileError, NotADataset

if TYPE_CHECKING:
    from rdc_extract.labels.classmap import ClassMap

INDEX_FILE = "index.csv"
LabelKind = Literal["train_ids", "ids", "color"]
_FORMULA_ESCAPED = ("'=", "'+", "'-", "'@", "'\t", "'\r")   # rdc_extract/batch/index.py escapes these cells


def index_cell(text: str) -> str:
    """An index.csv cell as written before the CSV-injection escape (a leading `'` before = + - @ tab CR)."""
    return text[1:] if text.startswith(_FORMULA_ESCAPED) else text


def read_index(root: Path) -> list[dict[str, str]]:
    """The rows of `root/index.csv` as {column: text}, escapes undone; empty cells stay empty strings."""
    path = root / INDEX_FILE
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = [{key: index_cell(value or "") for key, value in row.items()} for row in csv.DictReader(handle)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DatasetFileError(path, f"cannot read the index ({exc})") from None
    if rows and not {"frame_id", "frame_dir"} <= rows[0].keys():
        raise DatasetFileError(path, "not a dataset index: no frame_id and frame_dir columns (docs/batch.md)")
    return rows


@dataclass(frozen=True)
class Instances:
    """`instances.png` (uint16 (H, W), 0 = none, i = `table[i - 1]`) and the `instances` of instances.json."""

    ids: np.ndarray
    table: list[dict[str, Any]]


@dataclass(frozen=True)
class LabelMapping:
    """Which class mapping made a frame's label images (meta.json `labels`)."""

    name: str
    sha256: str
    files: dict[str, str]   # kind (ids, train_ids, color) → file in the frame folder


class Frame:
    """One frame folder; metadata from its meta.json (read once, on first use), images read on each call."""

    def __init__(self, frame_id: str, folder: Path) -> None:
        self.frame_id = frame_id
        self.folder = folder

    def __repr__(self) -> str:
        return f"Frame({self.frame_id!r}, {str(self.folder)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Frame) and (self.frame_id, self.folder) == (other.frame_id, other.folder)

    def __hash__(self) -> int:
        return hash((self.frame_id, self.folder))

    @cached_property
    def meta(self) -> dict[str, Any]:
        """The whole meta.json (docs/dataset.md)."""
        path = self.folder / META_FILE
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise DatasetFileError(path, "missing: the frame is unfinished or was removed") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DatasetFileError(path, f"cannot read the frame's metadata ({exc})") from None
        if not isinstance(meta, dict):
            raise DatasetFileError(path, "not a frame's metadata (expected a JSON object)")
        return meta

    @property
    def outputs(self) -> dict[str, str]:
        """{output name: file in the frame folder}, e.g. {"rgb": "rgb.png", "depth": "depth.tiff", …}."""
        return dict(self.meta.get("outputs") or {})

    def has(self, output: str) -> bool:
        return output in self.outputs

    @property
    def size(self) -> tuple[int, int]:
        """(height, width) of the frame's images."""
        image = self.meta.get("image") or {}
        if "height" not in image or "width" not in image:
            raise DatasetFileError(self.folder / META_FILE, "no image size (`image`: width, height)")
        return int(image["height"]), int(image["width"])

    @property
    def K(self) -> np.ndarray | None:  # noqa: N802 (the usual name of the intrinsics)
        """3×3 intrinsics (OpenCV: pixel centres at integer u, v), float64; None when no camera was found."""
        camera = self.meta.get("camera")
        return None if camera is None else np.asarray(camera["K"], dtype=np.float64)

    @property
    def world_to_camera(self) -> np.ndarray | None:
        """4×4 world → OpenCV camera frame (x right, y down, z forward), float64; None without a camera."""
        camera = self.meta.get("camera")
        return None if camera is None else np.asarray(camera["world_to_camera"], dtype=np.float64)

    @property
    def scenario(self) -> dict[str, Any] | None:
        """The capture's sidecar (weather, clock, pose, …: docs/capture.md); None when it had none."""
        return self.meta.get("scenario") or None

    @property
    def label_mapping(self) -> LabelMapping | None:
        """The class mapping of the frame's label images; None when it has no labels."""
        labels = self.meta.get("labels")
        if not labels:
            return None
        return LabelMapping(labels["mapping"], labels["mapping_sha256"], dict(labels.get("files") or {}))

    def path(self, output: str) -> Path:
        """The file of an output (a key of `outputs`); DatasetFileError when the frame does not have it."""
        file = self.outputs.get(output)
        if file is None:
            have = ", ".join(sorted(self.outputs)) or "none"
            raise DatasetFileError(self.folder, f"no {output!r} output in this frame (it has: {have})")
        return self.folder / file

    def read(self, output: str) -> Any:
        """Any output as stored: PNG → uint8/uint16 array, TIFF → float array, JSON → its document."""
        path = self.path(output)
        try:
            if path.suffix == ".png":
                return read_png(path)
            if path.suffix == ".tiff":
                import tifffile

                return tifffile.imread(path)
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise DatasetFileError(path, "missing, though meta.json lists it") from None
        except (OSError, ValueError) as exc:
            raise DatasetFileError(path, f"cannot read it ({exc})") from None

    def rgb(self) -> np.ndarray:
        """uint8 (H, W, 3): the final image before the HUD."""
        return self.read("rgb")

    def labels(self, kind: LabelKind = "train_ids") -> np.ndarray:
        """The label image of `kind`: trainIds (uint8, the mapping's ignore value, usually 255, where unlabelled),
        class ids (uint8) or the colour visualisation (uint8 RGB)."""
        mapping = self.label_mapping
        if mapping is None:
            raise DatasetFileError(self.folder, "no labels in this frame (extracted without the labels output, "
                                                "or its profile has no class mapping)")
        if kind not in mapping.files:
            why = " (it defines no trainIds: ask for 'ids')" if kind == "train_ids" else ""
            raise DatasetFileError(self.folder, f"no {kind!r} labels from mapping {mapping.name!r}{why}")
        return self.read(f"labels_{kind}")

    def depth(self) -> np.ndarray:
        """float32 (H, W) metres along the optical axis; NaN where nothing was drawn (the files' +inf / 0)."""
        from rdc_extract.decode.depth import kitti_u16_to_depth

        kitti_only = self.has("depth_kitti") and not self.has("depth")
        depth = kitti_u16_to_depth(self.read("depth_kitti")) if kitti_only else self.read("depth")
        depth = np.asarray(depth, dtype=np.float32)
        return np.where(np.isfinite(depth) & (depth > 0), depth, np.float32(np.nan))

    def normals(self) -> np.ndarray:
        """float32 (H, W, 3) camera-frame unit normals (OpenCV axes); NaN where there are none."""
        if self.has("normals_u16") and not self.has("normals"):
            from rdc_extract.decode.normals import normals_from_u16_png

            encoded = self.read("normals_u16")
            normals, valid = normals_from_u16_png(encoded), encoded.any(axis=-1)
        else:
            normals = np.asarray(self.read("normals"), dtype=np.float32)
            valid = np.isfinite(normals).all(axis=-1)
        return np.where(valid[..., None], normals, np.float32(np.nan))

    def instances(self) -> Instances | None:
        """The instance map and its table, when the frame was extracted with `instances` (docs/instances.md)."""
        if not self.has("instances"):
            return None
        return Instances(self.read("instances"), list(self.read("instances_table").get("instances") or []))


class Dataset(Sequence[Frame]):
    """The frames of an extracted dataset folder, in frame-id order.

    `where(frame)` keeps the frames it returns True for (it reads each
    frame's meta.json once, at opening): `Dataset(out, where=lambda f:
    (f.scenario or {}).get("weather") == "rain")`.
    """

    def __init__(self, root: str | os.PathLike[str], *, where: Callable[[Frame], bool] | None = None) -> None:
        self.root = Path(root)
        frames = self.root / FRAMES_DIR
        if not frames.is_dir():
            raise NotADataset.without_frames(self.root)
        entries = self._listed() if (self.root / INDEX_FILE).is_file() else self._scanned(frames)
        if where is not None:
            entries = [(frame_id, folder) for frame_id, folder in entries if where(Frame(frame_id, folder))]
        self._entries: list[tuple[str, Path]] = entries
        self._positions = {frame_id: position for position, (frame_id, _) in enumerate(entries)}

    def _listed(self) -> list[tuple[str, Path]]:
        return sorted((row["frame_id"], self.root / row["frame_dir"]) for row in read_index(self.root))

    @staticmethod
    def _scanned(frames: Path) -> list[tuple[str, Path]]:
        with os.scandir(frames) as entries:
            folders = [Path(entry.path) for entry in entries
                       if not entry.name.startswith(".") and entry.is_dir(follow_symlinks=False)]
        return sorted((folder.name, folder) for folder in folders if (folder / META_FILE).is_file())

    def __len__(self) -> int:
        return len(self._entries)

    @overload
    def __getitem__(self, key: int) -> Frame: ...

    @overload
    def __getitem__(self, key: slice) -> Dataset: ...

    def __getitem__(self, key: int | slice) -> Frame | Dataset:
        if isinstance(key, slice):
            return self._subset(self._entries[key])
        return Frame(*self._entries[key])

    def __iter__(self) -> Iterator[Frame]:
        return (Frame(frame_id, folder) for frame_id, folder in self._entries)

    def __repr__(self) -> str:
        return f"Dataset({str(self.root)!r}, {len(self)} frames)"

    @property
    def frame_ids(self) -> list[str]:
        return [frame_id for frame_id, _ in self._entries]

    def frame(self, frame_id: str) -> Frame:
        """The frame of that id; KeyError naming it when the dataset (or this selection) has no such frame."""
        position = self._positions.get(frame_id)
        if position is None:
            raise KeyError(f"{self.root}: no frame {frame_id!r}")
        return self[position]

    def select(self, frame_ids: Iterable[str]) -> Dataset:
        """The frames with these ids, in dataset order (e.g. those of one split listed in index.csv)."""
        wanted = set(frame_ids)
        missing = wanted - self._positions.keys()
        if missing:
            raise KeyError(f"{self.root}: no frame {sorted(missing)[0]!r} ({len(missing)} unknown ids)")
        return self._subset([entry for entry in self._entries if entry[0] in wanted])

    def index(self) -> list[dict[str, str]]:
        """index.csv's rows (outputs, label mapping, scenario flattened as `scenario.weather`, …: docs/batch.md);
        empty when the dataset has no index."""
        return read_index(self.root) if (self.root / INDEX_FILE).is_file() else []

    def class_map(self, name_or_path: str | os.PathLike[str] | None = None) -> ClassMap:
        """The class mapping the labels were made with (a `rdc_extract.labels.classmap.ClassMap`: class names,
        ids, trainIds, colours), found by name among the installed mappings or given as a .toml path.

        Raises DatasetFileError when the frames carry several mappings or the
        mapping found is not the one that made them (its sha256 differs).
        """
        from rdc_extract.labels.classmap import resolve_class_map

        recorded = self._label_mappings()
        if not recorded:
            raise DatasetFileError(self.root, "no frame has labels")
        if len(recorded) > 1:
            raise DatasetFileError(self.root, f"frames labelled with {len(recorded)} mappings: "
                                              f"{', '.join(sorted(name for name, _ in recorded))}")
        ((name, sha256),) = recorded
        class_map = resolve_class_map(name if name_or_path is None else name_or_path)
        if class_map.sha256 != sha256:
            raise DatasetFileError(class_map.path or self.root, f"mapping {class_map.name!r} is not the one that made "
                                   f"the labels ({name!r}, sha256 {sha256[:12]}…); relabel with it or pass that file")
        return class_map

    def _label_mappings(self) -> set[tuple[str, str]]:
        """(name, sha256) of every mapping the frames' labels come from: from index.csv when it has them."""
        wanted = set(self.frame_ids)
        rows = [row for row in self.index() if row["frame_id"] in wanted]
        if rows and len(rows) == len(wanted) and all("label_mapping.mapping_sha256" in row for row in rows):
            return {(row["label_mapping.mapping"], row["label_mapping.mapping_sha256"])
                    for row in rows if row["label_mapping.mapping"]}
        return {(m.name, m.sha256) for m in (frame.label_mapping for frame in self) if m is not None}

    def _subset(self, entries: list[tuple[str, Path]]) -> Dataset:
        subset = object.__new__(Dataset)
        subset.root, subset._entries = self.root, list(entries)
        subset._positions = {frame_id: position for position, (frame_id, _) in enumerate(subset._entries)}
        return subset
