"""Reading extracted datasets for training, without RenderDoc: `Dataset`, `Frame` (docs/training.md).

`TorchDataset` (the PyTorch `Dataset` on top) is imported only when asked
for, so `import rdc_extract.data` needs neither torch nor RenderDoc.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rdc_extract.data.reader import Dataset, Frame, Instances, LabelMapping, read_index

if TYPE_CHECKING:
    from rdc_extract.data.torch_dataset import TorchDataset

__all__ = ["Dataset", "Frame", "Instances", "LabelMapping", "TorchDataset", "read_index"]


def __getattr__(name: str) -> Any:
    if name == "TorchDataset":
        from rdc_extract.data.torch_dataset import TorchDataset

        return TorchDataset
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
