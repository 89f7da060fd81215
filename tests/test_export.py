"""What every export format shares, on plain data: which frames are read and with which split, DEST written whole
or not at all and never over the dataset, the format registry, and the command's one-line errors."""

from __future__ import annotations

import sys

import pytest
from typer.testing import CliRunner

from rdc_extract.cli import app
from rdc_extract.dataset.lock import output_lock, reading_lock
from rdc_extract.errors import BatchError, ExportError, MissingDependency
from rdc_extract.export.destination import StagedDestination, check_destination, place_image
from rdc_extract.batch.index import index_cell
from rdc_extract.export.frames import list_frames
from rdc_extract.export.registry import load_format
from tests.export_frames import scene, write_frame, write_index


@pytest.fixture
def dataset(tmp_path):
    out = tmp_path / "out"
    labels, instances = scene()
    for frame_id in ("a", "b", "c"):
        write_frame(out, frame_id, labels, instances)
    return out


def test_without_an_index_every_finished_frame_is_one_split_all(dataset):
    (dataset / "frames" / "b" / "meta.json").unlink()
    (dataset / "frames" / "link").symlink_to(dataset / "frames" / "a")
    listing = list_frames(dataset)
    assert [(f.frame_id, f.split) for f in listing.frames] == [("a", "all"), ("c", "all")]
    assert dict(listing.skipped) == {"link": f"symbolic link to {dataset / 'frames' / 'a'}, not followed",
                                     "b": "unfinished: no meta.json"}
    assert not listing.failed


def test_index_csv_lists_the_frames_and_gives_their_split(dataset):
    write_index(dataset, [{"frame_id": "a", "split": "train"}, {"frame_id": "b", "split": ""},
                          {"frame_id": "gone", "split": "val"}])
    listing = list_frames(dataset)
    assert [(f.frame_id, f.split) for f in listing.frames] == [("a", "train")]
    assert dict(listing.skipped) == {"b": "no split assigned",
                                     "c": "not listed in index.csv (not a done frame of the batch)"}
    assert [frame_id for frame_id, _ in listing.failed] == ["gone"]
    assert "index.csv: lists gone, but there is no frames/gone/" in listing.failed[0][1]


def test_a_split_is_a_plain_name_and_the_caller_may_give_the_splits(dataset):
    write_index(dataset, [{"frame_id": f, "split": s} for f, s in (("a", "../x"), ("b", "val"), ("c", "val"))])
    listing = list_frames(dataset)
    assert [f.frame_id for f in listing.frames] == ["b", "c"]
    assert listing.failed[0][0] == "a" and "split '../x' of a" in listing.failed[0][1]
    given = list_frames(dataset, splits={"a": "train", "c": "test"})
    assert [(f.frame_id, f.split) for f in given.frames] == [("a", "train"), ("c", "test")]


def test_index_cells_lose_the_csv_injection_escape_only():
    assert index_cell("'=cmd") == "=cmd" and index_cell("'-x") == "-x"
    assert index_cell("'quoted") == "'quoted" and index_cell("plain") == "plain" and index_cell("'") == "'"


def test_dest_must_not_hold_the_dataset_or_sit_in_its_frames(dataset, tmp_path):
    for dest, cause in ((dataset, "holds the dataset"), (tmp_path, "holds the dataset"),
                        (dataset / "frames" / "coco", "inside the dataset's frames/")):
        with pytest.raises(ExportError, match=cause):
            check_destination(dataset, dest, force=True)
    check_destination(dataset, dataset / "exports" / "coco", force=False)  # beside frames/ is fine


def test_an_existing_dest_is_replaced_only_with_force_and_a_file_never(dataset, tmp_path):
    dest = tmp_path / "dest"
    dest.mkdir()
    check_destination(dataset, dest, force=False)  # empty
    (dest / "old.json").write_text("{}")
    with pytest.raises(ExportError, match=r"exists and is not empty \(--force replaces it\)"):
        check_destination(dataset, dest, force=False)
    check_destination(dataset, dest, force=True)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ExportError, match="exists and is not a folder"):
        check_destination(dataset, tmp_path / "file", force=True)
    (tmp_path / "link").symlink_to(dest)
    with pytest.raises(ExportError, match="is a symbolic link"):
        check_destination(dataset, tmp_path / "link", force=True)


def test_a_staged_dest_appears_whole_or_not_at_all(tmp_path):
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "old.json").write_text("old")
    with pytest.raises(RuntimeError), StagedDestination(dest, force=True) as staged:
        (staged.path / "new.json").write_text("new")
        raise RuntimeError("killed half-way")
    assert [p.name for p in tmp_path.iterdir()] == ["dest"] and (dest / "old.json").read_text() == "old"
    with StagedDestination(dest, force=True) as staged:
        (staged.path / "new.json").write_text("new")
        staged.publish()
    assert [p.name for p in dest.iterdir()] == ["new.json"] and [p.name for p in tmp_path.iterdir()] == ["dest"]


def test_images_are_hard_links_unless_copies_are_asked_for(tmp_path):
    source = tmp_path / "rgb.png"
    source.write_bytes(b"png")
    assert place_image(source, tmp_path / "linked" / "a.png", "link") is True
    assert (tmp_path / "linked" / "a.png").stat().st_ino == source.stat().st_ino
    assert place_image(source, tmp_path / "copied" / "a.png", "copy") is False
    assert (tmp_path / "copied" / "a.png").stat().st_ino != source.stat().st_ino
    with pytest.raises(ExportError, match="missing.png: cannot read"):
        place_image(tmp_path / "missing.png", tmp_path / "x.png", "link")


def test_a_format_whose_package_is_missing_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "pycocotools", None)  # import fails as if not installed
    with pytest.raises(MissingDependency, match=r"pip install 'rdc-extract\[export\]'"):
        load_format("coco")


def test_export_keeps_writers_out_while_it_reads(dataset):
    with reading_lock(dataset), pytest.raises(BatchError, match="is using this output folder"):
        with output_lock(dataset):
            pass
    with output_lock(dataset), pytest.raises(BatchError, match="is writing to this output folder"):
        with reading_lock(dataset):
            pass


def test_the_command_refuses_a_bad_dest_or_format_in_one_line(dataset):
    runner = CliRunner()
    inside = runner.invoke(app, ["export", str(dataset), str(dataset / "frames" / "x"), "--format", "coco"])
    assert inside.exit_code == 1 and inside.stderr.count("\n") == 1 and "inside the dataset's frames/" in inside.stderr
    unknown = runner.invoke(app, ["export", str(dataset), str(dataset.parent / "d"), "--format", "voc"])
    assert unknown.exit_code == 2 and "expected one of coco" in unknown.stderr
    missing = runner.invoke(app, ["export", str(dataset.parent / "nowhere"), str(dataset.parent / "d"), "-f", "coco"])
    assert missing.exit_code == 1 and missing.stderr.count("\n") == 1 and "no frames/ folder" in missing.stderr
