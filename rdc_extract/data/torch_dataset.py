"""A PyTorch `Dataset` over an extracted dataset: each frame as tensors in the layouts training code expects.

| key | tensor |
| --- | --- |
| `image` | float32 (3, H, W) in [0, 1] (rgb.png) |
| `labels` | int64 (H, W): trainIds, 255 (the mapping's ignore value) where unlabelled; or class ids |
| `depth`, `depth_valid` | float32 (1, H, W) metres, 0 where invalid; bool (1, H, W) |
| `normals`, `normals_valid` | float32 (3, H, W) camera-frame unit normals, 0 where invalid; bool (1, H, W) |
| `instances` | int64 (H, W), 0 = none (instances.png) |
| `K`, `world_to_camera` | float32 (3, 3) and (4, 4) (`camera`) |

plus `frame_id` (a string). Invalid depth and normals are zeros with a mask
beside them, never NaN or inf, so a masked loss stays finite.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any, Literal

import numpy as np

from rdc_extract.data.reader import Dataset, Frame

try:
    import torch
except ModuleNotFoundError as missing:
    raise ModuleNotFoundError("rdc_extract.data.TorchDataset needs PyTorch: pip install 'rdc-extract[torch]' "
                              "(or torch as pytorch.org says for your machine)", name="torch") from missing

DEFAULT_OUTPUTS = ("rgb", "labels", "depth")
Sample = dict[str, Any]


class TorchDataset(torch.utils.data.Dataset):
    """`dataset[i]` → a dict of tensors (module docstring) of the outputs asked for, through `transform` if given.

    `dataset` is a dataset folder or a `rdc_extract.data.Dataset` (e.g. a
    selection of one). `labels` chooses trainIds (default) or class ids.
    `transform(sample) -> sample` runs last, on the whole dict, so a random
    crop or flip can move image, labels and depth together.
    """

    def __init__(self, dataset: Dataset | str | os.PathLike[str], *, outputs: Iterable[str] = DEFAULT_OUTPUTS,
                 labels: Literal["train_ids", "ids"] = "train_ids",
                 transform: Callable[[Sample], Sample] | None = None) -> None:
        self.dataset = dataset if isinstance(dataset, Dataset) else Dataset(dataset)
        self.outputs = tuple(outputs)
        unknown = sorted(set(self.outputs) - set(OUTPUTS))
        if unknown:
            raise ValueError(f"unknown outputs {unknown}; choose from {', '.join(OUTPUTS)}")
        if labels not in ("train_ids", "ids"):
            raise ValueError(f"labels: expected 'train_ids' or 'ids', got {labels!r}")
        self.labels = labels
        self.transform = transform

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> Sample:
        frame = self.dataset[index]
        sample: Sample = {"frame_id": frame.frame_id}
        for output in self.outputs:
            sample.update(_READERS[output](self, frame))
        return self.transform(sample) if self.transform is not None else sample

    def _rgb(self, frame: Frame) -> Sample:
        rgb = np.ascontiguousarray(frame.rgb().transpose(2, 0, 1))
        return {"image": torch.from_numpy(rgb).float().div_(255.0)}

    def _labels(self, frame: Frame) -> Sample:
        return {"labels": torch.from_numpy(frame.labels(self.labels).astype(np.int64))}

    def _depth(self, frame: Frame) -> Sample:
        depth = frame.depth()[None]
        valid = np.isfinite(depth)
        return {"depth": torch.from_numpy(np.where(valid, depth, np.float32(0))), "depth_valid": torch.from_numpy(valid)}

    def _normals(self, frame: Frame) -> Sample:
        normals = np.ascontiguousarray(frame.normals().transpose(2, 0, 1))
        valid = np.isfinite(normals).all(axis=0, keepdims=True)
        return {"normals": torch.from_numpy(np.where(valid, normals, np.float32(0))),
                "normals_valid": torch.from_numpy(valid)}

    def _instances(self, frame: Frame) -> Sample:
        return {"instances": torch.from_numpy(frame.read("instances").astype(np.int64))}

    def _camera(self, frame: Frame) -> Sample:
        K, world_to_camera = frame.K, frame.world_to_camera  # noqa: N806
        if K is None or world_to_camera is None:
            from rdc_extract.errors import DatasetFileError

            raise DatasetFileError(frame.folder, "no camera in this frame's meta.json (docs/dataset.md)")
        return {"K": torch.from_numpy(K.astype(np.float32)),
                "world_to_camera": torch.from_numpy(world_to_camera.astype(np.float32))}


_READERS: dict[str, Callable[[TorchDataset, Frame], Sample]] = {
    "rgb": TorchDataset._rgb, "labels": TorchDataset._labels, "depth": TorchDataset._depth,
    "normals": TorchDataset._normals, "instances": TorchDataset._instances, "camera": TorchDataset._camera,
}
OUTPUTS = tuple(_READERS)
