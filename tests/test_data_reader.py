"""rdc_extract.data: reading extracted datasets back, on real extracted frames and on small hand-made ones."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tifffile

from rdc_extract.data import Dataset, Frame
from rdc_extract.dataset.files import read_png, write_json, write_png
from rdc_extract.dataset.writers import write_depth, write_instances, write_normals, write_rgb
from rdc_extract.errors import DatasetFileError, NotADataset
from rdc_extract.labels.classmap import resolve_class_map
from rdc_extract.labels.files import write_labels
from rdc_extract.labels.meta import with_label_outputs

REPO = Path(__file__).resolve().parents[1]


def test_an_extracted_frame_reads_back_as_written(reader_dataset):
    dataset = Dataset(reader_dataset)
    assert len(dataset) == 1
    frame = dataset[0]
    folder = reader_dataset / "frames" / frame.frame_id
    sidecar = json.loads((REPO / "samples" / "captures" / f"{frame.frame_id}.json").read_text())
    assert frame.size == (360, 640) and frame.K.shape == (3, 3) and frame.world_to_camera.shape == (4, 4)
    assert frame.scenario["weather"] == sidecar["weather"] and frame.label_mapping.name == "city_game"

    assert np.array_equal(frame.rgb(), read_png(folder / "rgb.png"))
    assert np.array_equal(frame.labels(), read_png(folder / "labels_train.png"))
    assert np.array_equal(frame.labels("ids"), read_png(folder / "labels.png"))
    stored = tifffile.imread(folder / "depth.tiff")
    depth = frame.depth()
    assert depth.dtype == np.float32 and np.isinf(stored).any()
    assert np.array_equal(np.isnan(depth), np.isinf(stored)) and np.array_equal(depth[np.isfinite(stored)],
                                                                              stored[np.isfinite(stored)])
    normals = frame.normals()
    drawn = ~np.isnan(normals).any(axis=-1)
    assert normals.shape == (360, 640, 3) and drawn.any() and not drawn.all()
    assert np.allclose(np.linalg.norm(normals[drawn], axis=-1), 1.0, atol=1e-4)
    instances = frame.instances()
    assert instances.ids.dtype == np.uint16 and instances.ids.max() == len(instances.table)

    class_map = dataset.class_map()
    assert class_map.name == "city_game" and class_map.sha256 == frame.label_mapping.sha256


def test_depth_and_normals_from_the_png_files_alone_mark_invalid_pixels_nan(tmp_path):
    depth = np.array([[1.5, np.inf], [300.0, 2.0]], np.float32)
    normals = np.array([[[0, 0, -1], [np.nan] * 3], [[1, 0, 0], [0, -1, 0]]], np.float32)
    frame = _frame(tmp_path, "f", depth=depth, normals=normals)
    (frame.folder / "depth.tiff").unlink()
    (frame.folder / "normals.tiff").unlink()
    meta = frame.meta
    for name in ("depth", "normals"):
        del meta["outputs"][name]
    write_json(frame.folder / "meta.json", meta)

    frame = Frame("f", frame.folder)
    assert frame.depth().tolist()[0][0] == 1.5 and np.isnan(frame.depth()[0, 1])
    assert frame.depth()[1, 0] == pytest.approx(65535 / 256)   # KITTI's largest distance
    read = frame.normals()
    assert np.isnan(read[0, 1]).all() and np.allclose(read[0, 0], [0, 0, -1], atol=1e-4)


def test_a_frame_without_sidecar_labels_or_instances_says_so(tmp_path):
    frame = _frame(tmp_path, "plain", labels=False)
    assert frame.scenario is None and frame.instances() is None and frame.label_mapping is None
    with pytest.raises(DatasetFileError, match=r"plain: no labels in this frame"):
        frame.labels()
    with pytest.raises(DatasetFileError, match=r"plain: no 'normals' output in this frame \(it has: depth, "):
        frame.normals()


def test_missing_files_are_errors_naming_the_file(tmp_path):
    frame = _frame(tmp_path, "f")
    (frame.folder / "rgb.png").unlink()
    with pytest.raises(DatasetFileError, match=r"f/rgb\.png: missing, though meta.json lists it"):
        frame.rgb()
    (frame.folder / "meta.json").write_text("{not json")
    with pytest.raises(DatasetFileError, match=r"f/meta\.json: cannot read the frame's metadata"):
        Frame("f", frame.folder).K
    with pytest.raises(NotADataset, match="no frames/ folder"):
        Dataset(tmp_path / "frames" / "f")


def test_a_mapping_without_train_ids_points_at_the_class_ids(tmp_path):
    frame = _frame(tmp_path, "f")
    meta = frame.meta
    del meta["labels"]["files"]["train_ids"], meta["outputs"]["labels_train_ids"]
    write_json(frame.folder / "meta.json", meta)
    with pytest.raises(DatasetFileError, match=r"no 'train_ids' labels from mapping 'city_game' \(it defines no "
                                               r"trainIds: ask for 'ids'\)"):
        Frame("f", frame.folder).labels()


def test_without_an_index_the_finished_frame_folders_are_the_dataset(tmp_path):
    for name in ("b", "a", "c"):
        _frame(tmp_path, name)
    (tmp_path / "frames" / "c" / "meta.json").unlink()          # unfinished
    (tmp_path / "frames" / ".hidden").mkdir()
    (tmp_path / "frames" / "link").symlink_to(tmp_path / "frames" / "a")
    dataset = Dataset(tmp_path)
    assert dataset.frame_ids == ["a", "b"] and dataset.index() == []
    assert dataset.frame("b").folder == tmp_path / "frames" / "b"
    with pytest.raises(KeyError, match="no frame 'c'"):
        dataset.frame("c")


def test_index_csv_lists_the_frames_with_its_escapes_undone(tmp_path):
    for name in ("-x", "a", "b"):
        _frame(tmp_path, name, scenario={"weather": "rain" if name != "a" else "clear"})
    (tmp_path / "index.csv").write_text("frame_id,capture,profile,frame_dir,scenario.weather\n"
                                        "'-x,-x.rdc,city_game,frames/-x,rain\n"
                                        "b,b.rdc,city_game,frames/b,rain\n", encoding="utf-8")
    dataset = Dataset(tmp_path)
    assert dataset.frame_ids == ["-x", "b"]                     # frame a is not in the index
    assert [row["frame_id"] for row in dataset.index()] == ["-x", "b"]
    assert dataset.frame("-x").scenario == {"weather": "rain"}
    (tmp_path / "index.csv").write_text("a,b\n1,2\n")
    with pytest.raises(DatasetFileError, match=r"index\.csv: not a dataset index"):
        Dataset(tmp_path)


def test_selections_by_scenario_by_ids_and_by_slice(tmp_path):
    for name, weather in (("a", "rain"), ("b", "clear"), ("c", "rain")):
        _frame(tmp_path, name, scenario={"weather": weather})
    _frame(tmp_path, "d")                                        # no sidecar
    rain = Dataset(tmp_path, where=lambda f: (f.scenario or {}).get("weather") == "rain")
    assert rain.frame_ids == ["a", "c"]
    dataset = Dataset(tmp_path)
    assert dataset.select(["c", "a"]).frame_ids == ["a", "c"] and dataset[1:3].frame_ids == ["b", "c"]
    assert dataset[-1].frame_id == "d" and [f.frame_id for f in dataset] == ["a", "b", "c", "d"]
    assert dataset.frame("b") in dataset and dataset.frame("b") not in rain
    with pytest.raises(KeyError, match="no frame 'z'"):
        dataset.select(["a", "z"])


def test_class_map_refuses_a_mapping_that_did_not_make_the_labels(tmp_path):
    _frame(tmp_path, "a")
    dataset = Dataset(tmp_path)
    assert dataset.class_map().name == "city_game"
    with pytest.raises(DatasetFileError, match=r"mapping 'city_game_cityscapes' is not the one that made the labels"):
        dataset.class_map("city_game_cityscapes")


def test_reading_needs_neither_renderdoc_nor_torch(reader_dataset):
    probe = ("import sys, rdc_extract.labels.relabel, rdc_extract.labels.classmap, rdc_extract.data as d; "
             "f = d.Dataset(sys.argv[1])[0]; f.rgb(); f.depth(); f.labels(); "
             "f.normals(); f.instances(); d.Dataset(sys.argv[1]).class_map(); "
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('renderdoc', 'torch') "
             "or m.startswith('rdc_extract.rd')))")
    done = subprocess.run([sys.executable, "-c", probe, str(reader_dataset)], capture_output=True, text=True,
                          cwd=REPO, env={"PATH": "/usr/bin:/bin", "RENDERDOC_PYTHON": "/nonexistent"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_dataset_copy_reads_like_the_original(reader_dataset, tmp_path):
    """Paths come from the dataset folder, not from where it was written."""
    shutil.copytree(reader_dataset, tmp_path / "moved")
    moved = Dataset(tmp_path / "moved")
    assert np.array_equal(moved[0].labels(), Dataset(reader_dataset)[0].labels())


def test_instances_are_read_with_their_table(tmp_path):
    frame = _frame(tmp_path, "f")
    files = write_instances(frame.folder, np.array([[0, 1], [2, 2]], np.uint16),
                            {"instances": [{"id": 1, "pixels": 1}, {"id": 2, "pixels": 2}]})
    meta = frame.meta
    meta["outputs"].update(files)
    write_json(frame.folder / "meta.json", meta)
    instances = Frame("f", frame.folder).instances()
    assert instances.ids.tolist() == [[0, 1], [2, 2]] and [i["pixels"] for i in instances.table] == [1, 2]


def _frame(root: Path, frame_id: str, *, scenario: dict | None = None, labels: bool = True,
           depth: np.ndarray | None = None, normals: np.ndarray | None = None) -> Frame:
    """A frame folder as extraction writes it, from small arrays (2×2 unless given)."""
    folder = root / "frames" / frame_id
    folder.mkdir(parents=True)
    outputs = {**write_rgb(folder, np.arange(12, dtype=np.uint8).reshape(2, 2, 3)),
               **write_depth(folder, depth if depth is not None else np.full((2, 2), 4.0, np.float32))}
    if normals is not None:
        outputs.update(write_normals(folder, normals))
    meta = {"frame_id": frame_id, "image": {"width": 2, "height": 2}, "camera": None, "scenario": scenario}
    if labels:
        stencil = np.array([[1, 2], [3, 0]], np.uint8)
        write_png(folder / "stencil.png", stencil)
        meta["labels"] = write_labels(folder, stencil, resolve_class_map("city_game"))
        outputs = with_label_outputs({**outputs, "stencil": "stencil.png"}, meta["labels"])
    meta["outputs"] = outputs
    write_json(folder / "meta.json", meta)
    return Frame(frame_id, folder)
