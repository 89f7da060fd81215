"""rdc_extract.data.TorchDataset on real extracted frames, and the docs' training example as written (with torch)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rdc_extract.data import Dataset

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def test_samples_come_in_training_layouts_with_invalid_depth_masked(torch, reader_dataset):
    from rdc_extract.data import TorchDataset

    data = TorchDataset(reader_dataset, outputs=("rgb", "labels", "depth", "normals", "instances", "camera"))
    sample, frame = data[0], Dataset(reader_dataset)[0]
    assert sample["frame_id"] == frame.frame_id
    assert sample["image"].shape == (3, 360, 640) and sample["image"].dtype == torch.float32
    assert 0 <= sample["image"].min() and sample["image"].max() <= 1
    assert sample["labels"].dtype == torch.int64 and np.array_equal(sample["labels"].numpy(), frame.labels())
    assert 255 in sample["labels"] or (frame.labels() != 255).all()
    depth, valid = sample["depth"], sample["depth_valid"]
    assert depth.shape == valid.shape == (1, 360, 640) and torch.isfinite(depth).all()
    assert np.array_equal(valid[0].numpy(), ~np.isnan(frame.depth())) and (depth[~valid] == 0).all()
    assert not valid.all() and valid.any()
    assert sample["normals"].shape == (3, 360, 640) and torch.isfinite(sample["normals"]).all()
    assert sample["normals_valid"].shape == (1, 360, 640)
    assert sample["instances"].dtype == torch.int64 and sample["instances"].max() > 0
    assert sample["K"].shape == (3, 3) and sample["world_to_camera"].shape == (4, 4)
    batch = next(iter(torch.utils.data.DataLoader(data, batch_size=2)))
    assert batch["image"].shape == (1, 3, 360, 640) and batch["frame_id"] == [frame.frame_id]


def test_the_transform_sees_the_whole_sample_and_outputs_are_checked(torch, reader_dataset):
    from rdc_extract.data import TorchDataset

    data = TorchDataset(reader_dataset, outputs=("labels",), labels="ids",
                        transform=lambda sample: {**sample, "labels": sample["labels"][:10, :20]})
    assert data[0]["labels"].shape == (10, 20) and set(data[0]) == {"frame_id", "labels"}
    with pytest.raises(ValueError, match=r"unknown outputs \['colour'\]"):
        TorchDataset(reader_dataset, outputs=("rgb", "colour"))


def test_without_torch_the_import_names_the_extra(reader_dataset):
    probe = ("import sys; sys.modules['torch'] = None; import rdc_extract.data as d; d.Dataset(sys.argv[1])[0].rgb()\n"
             "try:\n    d.TorchDataset\nexcept ModuleNotFoundError as e:\n    print(e)")
    done = subprocess.run([sys.executable, "-c", probe, str(reader_dataset)], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert "needs PyTorch: pip install 'rdc-extract[torch]'" in done.stdout


def test_the_training_doc_runs_as_written(torch, reader_dataset, tmp_path):
    """docs/training.md's Python blocks, in order, in a folder holding the dataset as `out`, with a second frame
    whose capture had no sidecar (extract records `scenario: null`), the case the old example failed on with
    KeyError."""
    frames = shutil.copytree(reader_dataset, tmp_path / "out") / "frames"
    (first,) = frames.iterdir()
    second = shutil.copytree(first, frames / "without_sidecar")
    meta = json.loads((second / "meta.json").read_text())
    meta.update(frame_id=second.name, scenario=None)
    (second / "meta.json").write_text(json.dumps(meta))
    blocks = re.findall(r"```python\n(.*?)```", (REPO / "docs" / "training.md").read_text(), re.S)
    assert len(blocks) >= 3
    done = subprocess.run([sys.executable, "-c", "\n".join(blocks)], capture_output=True, text=True, cwd=tmp_path,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    losses = [float(line.split()[0]) for line in done.stdout.splitlines()[1:]]
    assert losses and all(np.isfinite(losses)), done.stdout
