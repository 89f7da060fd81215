"""index.csv: one table whichever commands made the dataset (extract, batch, relabel, split)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from typer.testing import CliRunner

from rdc_extract.batch.index import index_row, read_index, write_index
from rdc_extract.batch.manifest import MANIFEST_NAME, Manifest, frame_facts
from rdc_extract.cli import app
from rdc_extract.dataset.files import write_json
from tests.conftest import SAMPLE_CAPTURES

TOUCH = "rdc_extract.batch.standin:touch_job"


def rows(out: Path) -> dict[str, dict[str, str]]:
    with (out / "index.csv").open(newline="", encoding="utf-8") as handle:
        return {row["frame_id"]: row for row in csv.DictReader(handle)}


def filled(row: dict[str, str]) -> dict[str, str]:
    return {column: cell for column, cell in row.items() if cell}


def finished(out: Path, *frame_ids: str) -> None:
    for frame_id in frame_ids:
        write_json(out / "frames" / frame_id / "meta.json", {"frame_id": frame_id})


def done(frame_id: str, **extra) -> dict:
    return {"status": "done", "frame_id": frame_id, "capture": f"{frame_id}.rdc", "outputs": {"rgb": "rgb.png"},
            **extra}


def test_frame_facts_give_size_intrinsics_and_label_sets_the_default_first():
    meta = {"image": {"width": 640, "height": 360}, "camera": {"K": [[500.0, 0, 320.5], [0, 501.0, 180.5], [0, 0, 1]]},
            "labels": {"mapping": "b"},
            "label_sets": {"default": "b", "sets": {"a": {}, "b": {}, "c": {}}}}
    facts = frame_facts(meta)
    assert facts == {"image": {"width": 640, "height": 360},
                     "intrinsics": {"fx": 500.0, "fy": 501.0, "cx": 320.5, "cy": 180.5}, "label_sets": ["b", "a", "c"]}
    row = index_row({"frame_id": "f", "capture": "f.rdc", "label_mapping": {"mapping": "b"}, **facts})
    assert (row["width"], row["fx"], row["cy"], row["mapping"], row["label_sets"]) == (
        640, 500.0, 180.5, "b", '["b", "a", "c"]')
    assert frame_facts({"camera": None, "labels": {"mapping": "m"}}) == {
        "image": None, "intrinsics": None, "label_sets": ["m"]}


def test_rewriting_keeps_splits_and_rows_no_record_names_while_their_frame_is_finished(tmp_path):
    finished(tmp_path, "by_batch", "by_extract", "gone_from_manifest")
    write_index(tmp_path, [done("by_batch"), done("gone_from_manifest")], rows=[index_row(done("by_extract"))])
    table = read_index(tmp_path, as_written=True)
    for frame_id, split in (("by_batch", "train"), ("by_extract", "val"), ("gone_from_manifest", "test")):
        table[frame_id]["split"] = split
    write_index(tmp_path, previous=table)
    shutil.rmtree(tmp_path / "frames" / "gone_from_manifest")
    failed = {"status": "failed", "frame_id": "by_batch", "capture": "by_batch.rdc"}
    write_index(tmp_path, [done("by_batch", profile="p"), done("new")])
    assert {frame_id: row["split"] for frame_id, row in rows(tmp_path).items()} == {
        "by_batch": "train", "by_extract": "val", "new": ""}   # a frame with no meta.json left goes
    assert rows(tmp_path)["by_batch"]["profile"] == "p"
    write_index(tmp_path, [failed])
    assert set(rows(tmp_path)) == {"by_extract"}   # the manifest names by_batch as failed: no row


def test_cells_read_back_are_written_back_byte_for_byte(tmp_path):
    finished(tmp_path, "f")
    scenario = {"weather": "=cmd", "x": -1.5, "n": -3, "text": "-x", "plain": "a,b \"c\""}
    first = write_index(tmp_path, [], rows=[index_row(done("f", scenario=scenario))]).read_bytes()
    assert write_index(tmp_path).read_bytes() == first
    assert read_index(tmp_path)["f"]["scenario.weather"] == "=cmd"


def test_extract_batch_split_and_extract_again_keep_one_consistent_index(drawids_dataset, tmp_path, gl_capture):
    out = tmp_path / "out"
    shutil.copytree(drawids_dataset, out)
    first, second = (capture.stem for capture in SAMPLE_CAPTURES[:2])
    extracted = rows(out)
    assert set(extracted) == {first, second}
    for row in extracted.values():   # extract wrote the rows, with what a loader needs besides the files
        assert row["profile"] == "city_game" and row["mapping"] == "city_game" and row["split"] == ""
        assert int(row["width"]) > 0 and int(row["height"]) > 0 and row["label_sets"] == '["city_game"]'
        assert float(row["fx"]) > 0 and float(row["cy"]) > 0   # extracted with depth: the camera's intrinsics
        assert row["scenario.seed"] and (out / row["outputs.rgb"]).is_file()

    captures = tmp_path / "captures"
    captures.mkdir()
    for name in ("other.rdc", SAMPLE_CAPTURES[1].name):   # the second one makes the frame extract made
        shutil.copyfile(gl_capture, captures / name)
    runner = CliRunner()
    result = runner.invoke(app, ["batch", str(captures), str(out), "--jobs", "1", "--job", TOUCH])
    assert result.exit_code == 0, result.output
    batched = rows(out)
    assert set(batched) == {first, second, "other"}
    assert filled(batched[first]) == filled(extracted[first])    # kept as extract wrote it
    assert batched[second]["capture"] == SAMPLE_CAPTURES[1].name and batched[second]["width"] == ""

    assert runner.invoke(app, ["split", str(out), "--ratios", "1"]).exit_code == 0
    assert {row["split"] for row in rows(out).values()} == {"all"}
    result = runner.invoke(app, ["extract", str(SAMPLE_CAPTURES[1]), str(out), "--outputs", "rgb"])
    assert result.exit_code == 0, result.output
    record = Manifest(out).records[SAMPLE_CAPTURES[1].name]
    assert record["profile"] == "city_game" and record["extracted_at"]   # the batch's record says so too
    again = rows(out)
    assert again[second]["profile"] == "city_game" and again[second]["split"] == "all" and again[second]["width"]
    assert len((out / MANIFEST_NAME).read_text().splitlines()) == 2
    rerun = runner.invoke(app, ["batch", str(captures), str(out), "--jobs", "1", "--job", TOUCH])
    assert rerun.exit_code == 0, rerun.output
    assert rows(out) == again   # nothing redone, every row and split kept


def test_export_puts_every_frame_in_all_until_split_assigns_some(tmp_path):
    from rdc_extract.export.frames import list_frames

    finished(tmp_path, "a", "b")
    write_index(tmp_path, [done("a"), done("b")])
    assert [(frame.frame_id, frame.split) for frame in list_frames(tmp_path).frames] == [("a", "all"), ("b", "all")]
    table = read_index(tmp_path, as_written=True)
    table["a"]["split"] = "train"
    write_index(tmp_path, previous=table)
    listing = list_frames(tmp_path)
    assert [(frame.frame_id, frame.split) for frame in listing.frames] == [("a", "train")]
    assert listing.skipped == [("b", "no split assigned")]
