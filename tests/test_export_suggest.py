"""Which export a command suggests next: the richest format some frame has every file for (plain index rows)."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

from typer.testing import CliRunner

from rdc_extract.cli import app
from rdc_extract.export.registry import suggested_export

PIPELINES = Path(__file__).resolve().parents[1] / "pipelines"


def _row(frame: str, *files: str) -> dict[str, str]:
    return {"frame_id": frame, **{f"outputs.{name}": f"frames/{frame}/{name}" for name in files}}


def test_the_richest_format_some_frame_has_the_files_for_is_suggested():
    depth = _row("a", "rgb.png", "depth.tiff", "depth_kitti.png")
    labels = _row("b", "rgb.png", "depth_kitti.png", "labels.png", "labels_color.png", "labels_train.png")
    instances = _row("c", "rgb.png", "labels.png", "labels_color.png", "instances.png", "instances.json")
    assert suggested_export("out", [depth]) == "rdc-extract export out DEST --format kitti"
    assert suggested_export("out", [depth, labels]) == "rdc-extract export out DEST --format cityscapes"
    assert suggested_export("out", [depth, labels, instances]) == "rdc-extract export out DEST --format coco"


def test_no_suggestion_when_no_frame_has_the_files_of_any_format():
    assert suggested_export("out", [_row("a", "rgb.png", "normals.tiff")]) is None
    assert suggested_export("out", []) is None


def test_a_frame_without_labels_is_told_both_ways_to_get_them(tmp_path):
    """A profile with no class mapping (a game read from its frame's structure) writes no labels: the hint names
    draw-call labels too, not only an output that such a profile refuses."""
    from rdc_extract.export.base import ExportFrame
    from rdc_extract.export.registry import load_format
    from rdc_extract.export.report import ExportReport
    from rdc_extract.export.run import _with_needs

    (tmp_path / "rgb.png").write_bytes(b"")
    (tmp_path / "depth_kitti.png").write_bytes(b"")
    report = ExportReport("cityscapes", tmp_path, tmp_path / "dest")
    frame = ExportFrame("f", tmp_path, {}, "train")
    assert _with_needs(load_format("cityscapes"), [frame], report) == []
    assert report.skipped == [("f", "no labels.png, labels_color.png (extract with --outputs ...,labels; or label by "
                                    "draw call: --outputs ...,drawids, then relabel (docs/classes.md))")]
    assert _with_needs(load_format("kitti"), [frame], report) == [frame]


def test_after_relabelling_with_a_mapping_file_the_proposed_export_names_that_file(drawids_dataset, tmp_path):
    """A mapping of one's own is found by its file only: an export proposed without it failed ("no class mapping
    named 'mine'"); the proposed command now runs as printed."""
    out = Path(shutil.copytree(drawids_dataset, tmp_path / "out"))
    mine = tmp_path / "mine.toml"
    mine.write_text((PIPELINES / "classes" / "city_game.toml").read_text().replace('name = "city_game"',
                                                                                   'name = "mine"', 1))
    runner = CliRunner()
    result = runner.invoke(app, ["relabel", str(out), "--classes", str(mine), "--default"])
    assert result.exit_code == 0, result.stdout + result.stderr
    proposed = next(line for line in result.stdout.splitlines() if line.startswith("next: ")).removeprefix("next: ")
    argv = shlex.split(proposed.replace("DEST", str(tmp_path / "dest")))
    assert argv[-2:] == ["--classes", str(mine)], proposed
    exported = runner.invoke(app, argv[1:])
    assert exported.exit_code == 0, exported.stdout + exported.stderr


def test_a_mapping_named_but_not_installed_says_to_give_its_file(tmp_path):
    result = CliRunner().invoke(app, ["classes", "no_such_mapping"])
    assert result.exit_code != 0 and "give the path of its .toml file" in result.stderr
