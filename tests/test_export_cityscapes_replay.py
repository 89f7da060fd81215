"""`rdc-extract export --format cityscapes` on real extractions of the sample game (the shared `drawids_dataset`,
relabelled with the Cityscapes mapping, as split `val`), evaluated by cityscapesScripts itself: its pixel-level
evaluation of the ground truth against itself scores IoU 1.0, class- and instance-wise."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
from typer.testing import CliRunner

from rdc_extract.cli import app
from rdc_extract.dataset.files import read_png
from rdc_extract.labels.classmap import resolve_class_map
from rdc_extract.labels.relabel import relabel_dataset
from tests.export_frames import read_csv, write_index

#: cityscapesScripts 2.3.0 calls np.in1d, which NumPy 2.4 removed (mcordts/cityscapesScripts#196): put it back.
EVALUATE = """
import numpy
if not hasattr(numpy, "in1d"):
    numpy.in1d = lambda a, b, invert=False: numpy.isin(a, b, invert=invert).ravel()
from cityscapesscripts.evaluation import evalPixelLevelSemanticLabeling
evalPixelLevelSemanticLabeling.main()
"""


def test_cityscapes_scripts_score_the_ground_truth_against_itself_at_iou_one(drawids_dataset, tmp_path):
    out = shutil.copytree(drawids_dataset, tmp_path / "out")
    relabel_dataset(out, resolve_class_map("city_game_cityscapes"), jobs=1, make_default=True)
    write_index(out, [{"frame_id": frame.name, "split": "val"} for frame in sorted((out / "frames").iterdir())])
    dest = tmp_path / "cityscapes"
    result = CliRunner().invoke(app, ["export", str(out), str(dest), "--format", "cityscapes"])
    assert result.exit_code == 0 and "note:" not in result.stdout, result.stdout + result.stderr

    predictions, results = tmp_path / "predictions", tmp_path / "results"
    predictions.mkdir(), results.mkdir()
    rows = read_csv(dest / "frames.csv")
    for row in rows:
        ground_truth = dest / "gtFine" / "val" / row["city"] / f"{row['name']}_gtFine_labelIds.png"
        shutil.copyfile(ground_truth, predictions / f"{row['name']}_prediction.png")
        instances = read_png(ground_truth.with_name(f"{row['name']}_gtFine_instanceIds.png"))
        labels = read_png(out / "frames" / row["frame_id"] / "labels.png")
        assert np.array_equal(read_png(ground_truth), labels)
        assert (instances[instances >= 1000] // 1000 == labels[instances >= 1000]).all()
    environment = {**os.environ, "CITYSCAPES_DATASET": str(dest), "CITYSCAPES_RESULTS": str(predictions),
                   "CITYSCAPES_EXPORT_DIR": str(results)}
    evaluation = subprocess.run([sys.executable, "-c", EVALUATE], env=environment, capture_output=True, text=True)
    assert evaluation.returncode == 0, evaluation.stdout + evaluation.stderr
    scores = json.loads((results / "resultPixelLevelSemanticLabeling.json").read_text())
    assert len(rows) == 2 and scores["averageScoreClasses"] == 1.0 and scores["averageScoreCategories"] == 1.0
    assert scores["averageScoreInstClasses"] == 1.0, "the people's instances, weighted as Cityscapes does"
    present = {name for name, score in scores["classScores"].items() if not np.isnan(score)}
    assert {"road", "building", "sky", "person"} <= present
