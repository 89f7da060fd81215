"""relabel: rebuilding a dataset's labels from the stored stencil, on synthetic frame folders.

`make_dataset` writes what extraction writes for labels (stencil.png, labels via
`write_labels` with the native mapping, meta.json last); an end-to-end test on
real `batch` output can call `relabel_dataset` the same way on its out folder.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from rdc_extract.batch.index import write_index
from rdc_extract.batch.manifest import DONE, Manifest
from rdc_extract.dataset.lock import output_lock
from rdc_extract.cli import app
from rdc_extract.dataset.files import read_png, write_json, write_png
from rdc_extract.errors import BatchError, NotADataset
from rdc_extract.labels.classmap import resolve_class_map
from rdc_extract.labels.files import LABEL_FILES, write_labels
from rdc_extract.labels.meta import label_summary, with_label_outputs
from rdc_extract.labels.relabel import CURRENT, FAILED, RELABELLED, SWITCHED, UNFINISHED, relabel_dataset

GAME_VALUES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x82]
UNMAPPED_VALUE, UNMAPPED_BOX = 0x0C, (slice(0, 3), slice(0, 5))  # 15 pixels per frame the game never writes

# The Cityscapes mapping written out by hand from the official table, independently of the mapping file.
CITYSCAPES_ID = {0: 23, 1: 24, 2: 26, 3: 21, 4: 7, 5: 8, 6: 11, 7: 17, 8: 20, 9: 19, 10: 22, 11: 7, 0x82: 1,
                 UNMAPPED_VALUE: 0}
CITYSCAPES_TRAIN = {0: 10, 1: 11, 2: 13, 3: 8, 4: 0, 5: 1, 6: 2, 7: 5, 8: 7, 9: 6, 10: 9, 11: 0, 0x82: 255,
                    UNMAPPED_VALUE: 255}


def synthetic_stencil(rng: np.random.Generator, height: int = 36, width: int = 64) -> np.ndarray:
    stencil = np.zeros((height, width), dtype=np.uint8)
    for _ in range(40):
        y, x = rng.integers(0, height), rng.integers(0, width)
        stencil[y:y + rng.integers(2, 12), x:x + rng.integers(2, 16)] = rng.choice(GAME_VALUES)
    stencil[UNMAPPED_BOX] = UNMAPPED_VALUE
    return stencil


def make_dataset(root: Path, frames: int = 4, seed: int = 0) -> Path:
    """A dataset folder as extraction leaves it, labelled with the native mapping."""
    rng = np.random.default_rng(seed)
    native = resolve_class_map("city_game")
    for i in range(frames):
        frame = root / "frames" / f"day__cap_{i:04d}"
        frame.mkdir(parents=True)
        stencil = synthetic_stencil(rng)
        write_png(frame / "stencil.png", stencil)
        record = write_labels(frame, stencil, native)
        write_json(frame / "meta.json", {"capture": f"day/cap_{i:04d}.rdc", "labels": record,
                                          "outputs": with_label_outputs({"stencil": "stencil.png"}, record)})
    return root


def snapshot(root: Path, names: tuple[str, ...]) -> dict[str, bytes]:
    return {str(f.relative_to(root / "frames")): f.read_bytes()
            for name in names for f in sorted((root / "frames").glob(f"*/{name}"))}


LABEL_NAMES = tuple(LABEL_FILES.values())


@pytest.fixture()
def dataset(tmp_path) -> Path:
    return make_dataset(tmp_path / "out")


def test_cityscapes_relabel_matches_stencil_pixel_for_pixel_beside_the_default(dataset):
    originals = snapshot(dataset, LABEL_NAMES)
    report = relabel_dataset(dataset, resolve_class_map("city_game_cityscapes"), jobs=1)
    assert [f.status for f in report.frames] == [RELABELLED] * 4
    assert snapshot(dataset, LABEL_NAMES) == originals  # the default set (labels.png) is the native one still
    for frame in sorted((dataset / "frames").iterdir()):
        stencil = read_png(frame / "stencil.png")
        folder = frame / "labels" / "city_game_cityscapes"
        ids, train = read_png(folder / "labels.png"), read_png(folder / "labels_train.png")
        for value in np.unique(stencil):
            where = stencil == value
            assert (ids[where] == CITYSCAPES_ID[int(value)]).all(), hex(value)
            assert (train[where] == CITYSCAPES_TRAIN[int(value)]).all(), hex(value)
        colour = read_png(folder / "labels_color.png")
        assert (colour[stencil == 0] == (70, 130, 180)).all()  # sky
        meta = json.loads((frame / "meta.json").read_text())
        assert meta["capture"].startswith("day/")  # the rest of meta.json is kept
        assert meta["labels"]["mapping"] == "city_game" and meta["outputs"]["labels_ids"] == "labels.png"
        assert meta["label_sets"]["default"] == "city_game"
        cityscapes = meta["label_sets"]["sets"]["city_game_cityscapes"]
        assert cityscapes["mapping_sha256"] == report.mapping_sha256
        assert cityscapes["files"]["ids"] == "labels/city_game_cityscapes/labels.png"
        assert meta["label_sets"]["sets"]["city_game"] == meta["labels"]


def test_switching_the_default_moves_files_and_switching_back_restores_them_byte_for_byte(dataset):
    originals = snapshot(dataset, LABEL_NAMES)
    stencils = snapshot(dataset, ("stencil.png",))
    cityscapes, native = resolve_class_map("city_game_cityscapes"), resolve_class_map("city_game")
    relabel_dataset(dataset, cityscapes, jobs=1)
    beside = {key: data for key, data in snapshot(dataset, tuple(f"labels/city_game_cityscapes/{name}"
                                                                  for name in LABEL_NAMES)).items()}
    report = relabel_dataset(dataset, cityscapes, jobs=1, make_default=True)
    assert [f.status for f in report.frames] == [SWITCHED] * 4   # already labelled: files moved, not made again
    changed = snapshot(dataset, LABEL_NAMES)
    assert all(changed[k] != originals[k] for k in originals)
    assert sorted(changed.values()) == sorted(beside.values())
    frame = dataset / "frames" / "day__cap_0000"
    assert not (frame / "labels" / "city_game_cityscapes").exists()
    assert (frame / "labels" / "city_game" / "labels.png").read_bytes() == originals["day__cap_0000/labels.png"]
    meta = json.loads((frame / "meta.json").read_text())
    assert meta["labels"]["mapping"] == meta["label_sets"]["default"] == "city_game_cityscapes"
    assert meta["label_sets"]["sets"]["city_game"]["files"]["ids"] == "labels/city_game/labels.png"
    back = relabel_dataset(dataset, native, jobs=1, make_default=True)
    assert [f.status for f in back.frames] == [SWITCHED] * 4
    assert snapshot(dataset, LABEL_NAMES) == originals
    assert snapshot(dataset, ("stencil.png",)) == stencils  # raw buffers never touched
    assert (frame / "labels" / "city_game_cityscapes" / "labels_train.png").is_file()
    assert not (frame / "labels" / "city_game").exists()


def test_an_interrupted_switch_is_finished_by_running_it_again(dataset, monkeypatch):
    import rdc_extract.labels.relabel as relabel

    originals = snapshot(dataset, LABEL_NAMES)
    cityscapes = resolve_class_map("city_game_cityscapes")
    placed = relabel.place

    def dies_while_moving_to_the_top(frame_dir, record, source, target):
        if target == "":   # the old default is kept by now and meta.json says where; half the top is replaced
            shutil.copyfile(frame_dir / source / "labels.png", frame_dir / "new.png")
            (frame_dir / "new.png").replace(frame_dir / "labels.png")   # as every write: a new file renamed in
            raise OSError("killed")
        return placed(frame_dir, record, source, target)

    monkeypatch.setattr(relabel, "place", dies_while_moving_to_the_top)
    assert relabel_dataset(dataset, cityscapes, jobs=1, make_default=True).count(FAILED) == 4
    monkeypatch.undo()
    report = relabel_dataset(dataset, cityscapes, jobs=1, make_default=True)
    assert [f.status for f in report.frames] == [SWITCHED] * 4
    kept = snapshot(dataset, tuple(f"labels/city_game/{name}" for name in LABEL_NAMES))
    assert sorted(kept.values()) == sorted(originals.values())   # the old default survived the interruption
    relabel_dataset(dataset, resolve_class_map("city_game"), jobs=1, make_default=True)
    assert snapshot(dataset, LABEL_NAMES) == originals


def test_unmapped_values_reported_with_pixel_counts(dataset):
    report = relabel_dataset(dataset, resolve_class_map("city_game_cityscapes"), jobs=1)
    assert report.unmapped == {UNMAPPED_VALUE: (15 * 4, 4)}
    meta = json.loads(next((dataset / "frames").glob("*/meta.json")).read_text())
    assert meta["labels"]["unmapped"] == {str(UNMAPPED_VALUE): 15}


def test_rerun_skips_current_frames_unless_forced(dataset):
    cityscapes = resolve_class_map("city_game_cityscapes")
    relabel_dataset(dataset, cityscapes, jobs=1)
    again = relabel_dataset(dataset, cityscapes, jobs=1)
    assert [f.status for f in again.frames] == [CURRENT] * 4
    assert again.unmapped == {UNMAPPED_VALUE: (60, 4)}  # still reported, from meta.json
    forced = relabel_dataset(dataset, cityscapes, jobs=1, force=True)
    assert [f.status for f in forced.frames] == [RELABELLED] * 4


def test_parallel_run_gives_the_same_files(tmp_path):
    serial, parallel = make_dataset(tmp_path / "a"), make_dataset(tmp_path / "b")
    cityscapes = resolve_class_map("city_game_cityscapes")
    relabel_dataset(serial, cityscapes, jobs=1)
    report = relabel_dataset(parallel, cityscapes, jobs=2)
    assert report.count(RELABELLED) == 4
    assert snapshot(serial, LABEL_NAMES) == snapshot(parallel, LABEL_NAMES)


def test_mapping_without_train_ids_removes_stale_train_labels(dataset):
    relabel_dataset(dataset, resolve_class_map("gtav"), jobs=1)
    assert not list((dataset / "frames").glob("*/labels/gtav/labels_train.png"))
    relabel_dataset(dataset, resolve_class_map("gtav"), jobs=1, make_default=True)
    assert not list((dataset / "frames").glob("*/labels_train.png"))
    assert len(list((dataset / "frames").glob("*/labels/city_game/labels_train.png"))) == 4
    meta = json.loads(next((dataset / "frames").glob("*/meta.json")).read_text())
    assert "train_ids" not in meta["labels"]["files"] and "labels_train_ids" not in meta["outputs"]


def test_unfinished_and_broken_frames(dataset):
    frames = sorted((dataset / "frames").iterdir())
    (frames[0] / "meta.json").unlink()  # extraction did not finish it
    (frames[1] / "stencil.png").unlink()
    report = relabel_dataset(dataset, resolve_class_map("city_game_cityscapes"), jobs=1)
    statuses = {f.frame_id: f.status for f in report.frames}
    assert statuses[frames[0].name] == UNFINISHED and statuses[frames[1].name] == FAILED
    assert "stencil" in report.failed[0].error
    assert not (frames[0] / "meta.json").exists()


def write_batch_outputs(root: Path) -> Path:
    """manifest.jsonl and index.csv as batch leaves them for the dataset's frames; returns the index."""
    with Manifest(root) as manifest:
        for frame in sorted((root / "frames").iterdir()):
            labels = json.loads((frame / "meta.json").read_text())["labels"]
            manifest.append({"status": DONE, "frame_id": frame.name, "capture": f"{frame.name}.rdc",
                             "profile": "city_game", "outputs": with_label_outputs({"stencil": "stencil.png"}, labels),
                             "scenario": {"clock_hour": 9}, "label_mapping": label_summary(labels)})
        return write_index(root, manifest.records.values())


def _without(column: str, rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{key: value for key, value in row.items() if key != column} for row in rows]


def test_manifest_and_index_follow_the_default_and_are_restored(dataset):
    index = write_batch_outputs(dataset)
    original = list(csv.DictReader(index.open(newline="")))
    broken = sorted((dataset / "frames").iterdir())[1]
    (broken / "stencil.png").rename(broken / "stencil.bak")
    report = relabel_dataset(dataset, resolve_class_map("gtav"), jobs=1, make_default=True)
    rows = {r["frame_id"]: r for r in csv.DictReader(index.open(newline=""))}
    assert rows["day__cap_0000"]["label_mapping.mapping"] == rows["day__cap_0000"]["mapping"] == "gtav"
    assert rows["day__cap_0000"]["label_sets"] == '["gtav", "city_game"]'
    assert rows["day__cap_0000"]["label_mapping.mapping_sha256"] == report.mapping_sha256
    assert rows["day__cap_0000"]["outputs.labels_train_ids"] == ""  # gtav has no trainIds: file removed
    assert rows[broken.name]["label_mapping.mapping"] == "city_game"  # failed frame keeps its row
    assert rows[broken.name]["outputs.labels_train_ids"].endswith("labels_train.png")
    assert rows["day__cap_0000"]["scenario.clock_hour"] == "9"
    assert "3 of 4 done frames" in report.index_note
    meta = json.loads((dataset / "frames" / "day__cap_0000" / "meta.json").read_text())
    assert "labels_train_ids" not in meta["outputs"] and meta["outputs"]["stencil"] == "stencil.png"
    # the manifest says it too, so the index a later batch run writes keeps the relabelling
    records = Manifest(dataset).records
    assert records["day__cap_0000.rdc"]["label_mapping"]["mapping"] == "gtav"
    assert records["day__cap_0000.rdc"]["label_sets"] == ["gtav", "city_game"]
    assert records["day__cap_0000.rdc"]["relabelled_at"]
    assert len((dataset / "manifest.jsonl").read_text().splitlines()) == 4  # compacted
    relabelled_index = index.read_bytes()
    assert write_index(dataset, records.values()).read_bytes() == relabelled_index
    (broken / "stencil.bak").rename(broken / "stencil.png")
    relabel_dataset(dataset, resolve_class_map("city_game"), jobs=1, make_default=True)
    restored = list(csv.DictReader(index.open(newline="")))
    assert _without("label_sets", restored) == _without("label_sets", original)
    assert {row["label_sets"] for row in restored} == {'["city_game", "gtav"]', '["city_game"]'}


def test_a_dataset_without_a_manifest_gets_an_index_row_per_labelled_frame(dataset):
    report = relabel_dataset(dataset, resolve_class_map("city_game_cityscapes"), jobs=1)
    rows = list(csv.DictReader((dataset / "index.csv").open(newline="")))
    assert [row["frame_id"] for row in rows] == [f"day__cap_{i:04d}" for i in range(4)]
    assert {(row["capture"], row["mapping"], row["label_sets"]) for row in rows[:1]} == {
        ("day/cap_0000.rdc", "city_game", '["city_game", "city_game_cityscapes"]')}
    assert rows[0]["outputs.labels_ids"] == "frames/day__cap_0000/labels.png"
    assert "4 frames" in report.index_note


def test_relabel_refuses_a_dataset_a_batch_is_writing(dataset):
    with output_lock(dataset), pytest.raises(BatchError, match="is using this output folder"):
        relabel_dataset(dataset, resolve_class_map("gtav"), jobs=1)


def test_not_a_dataset(tmp_path):
    with pytest.raises(NotADataset, match="no frames/ folder"):
        relabel_dataset(tmp_path, resolve_class_map("city_game"))


def test_relabel_command(dataset):
    runner = CliRunner()
    result = runner.invoke(app, ["relabel", str(dataset), "--classes", "city_game_cityscapes", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "relabelled" in result.output and "0x0c" in result.output and "60" in result.output
    strict = runner.invoke(app, ["relabel", str(dataset), "--classes", "city_game_cityscapes", "--strict"])
    assert strict.exit_code == 1
    assert "already current" in strict.output


def test_relabel_command_fails_on_broken_frame_and_non_dataset(dataset, tmp_path):
    (next((dataset / "frames").iterdir()) / "stencil.png").unlink()
    runner = CliRunner()
    result = runner.invoke(app, ["relabel", str(dataset), "-c", "city_game_cityscapes", "-j", "1"])
    assert result.exit_code == 1 and "failed frames" in result.output
    missing = runner.invoke(app, ["relabel", str(tmp_path / "nothing"), "-c", "city_game"])
    assert missing.exit_code == 1 and "not a dataset" in missing.output


def test_relabel_never_follows_a_symlinked_frame_folder_out_of_the_dataset(dataset, tmp_path):
    outside = make_dataset(tmp_path / "elsewhere", frames=1, seed=1)
    (dataset / "frames" / "intruder").symlink_to(next((outside / "frames").iterdir()))
    before = {p: p.read_bytes() for p in outside.rglob("*") if p.is_file()}
    labels_before = snapshot(dataset, LABEL_NAMES)

    result = CliRunner().invoke(app, ["relabel", str(dataset), "-c", "city_game_cityscapes", "-j", "1", "--default"])

    assert result.exit_code == 0, result.output
    assert {p: p.read_bytes() for p in outside.rglob("*") if p.is_file()} == before
    assert "symbolic links in frames/, not followed" in result.output and "intruder" in result.output
    relabelled = snapshot(dataset, LABEL_NAMES)
    assert relabelled.keys() == labels_before.keys() and relabelled != labels_before  # the real frames were done


def test_relabel_refuses_a_frames_folder_that_is_a_symlink(tmp_path):
    outside = make_dataset(tmp_path / "elsewhere", frames=1)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "frames").symlink_to(outside / "frames")
    with pytest.raises(NotADataset, match="frames/ is a symbolic link"):
        relabel_dataset(tmp_path / "out", resolve_class_map("city_game_cityscapes"), jobs=1)


def _made_with(dataset: Path, profiles: list[str], game: str | None = None) -> None:
    for frame, profile in zip(sorted((dataset / "frames").iterdir()), profiles):
        meta = json.loads((frame / "meta.json").read_text())
        meta["profile"] = {"name": profile}
        if game is not None:
            meta["scenario"] = {"game": game}
        write_json(frame / "meta.json", meta)


def test_a_mapping_for_another_game_is_named_in_one_warning_line(dataset):
    _made_with(dataset, ["city_game"] * 3 + ["generic"])
    report = relabel_dataset(dataset, resolve_class_map("gtav"), jobs=1)
    warning = report.game_warning()
    assert warning == (f"{resolve_class_map('gtav').path}: mapping 'gtav' is for game 'gtav', but 4 of 4 frames "
                       "are of other games: profile 'city_game' (3), profile 'generic' (1)")
    assert report.count(RELABELLED) == 4   # a warning, not a refusal
    own_game = relabel_dataset(dataset, resolve_class_map("city_game_cityscapes"), jobs=1).game_warning()
    assert own_game.endswith("but 1 of 4 frames are of other games: profile 'generic' (1)")   # no sidecar game


def test_frames_whose_sidecars_name_their_game_are_counted_by_that_game(dataset):
    """Games without a profile are all made by `generic`: the warning names the games their sidecars name."""
    _made_with(dataset, ["generic"] * 3, game="minetest")
    warning = relabel_dataset(dataset, resolve_class_map("gtav"), jobs=1).game_warning()
    assert warning.endswith("but 3 of 4 frames are of other games: 'minetest' (3)")


def test_a_frame_of_the_generic_profile_is_of_the_game_its_sidecar_names(dataset):
    _made_with(dataset, ["generic"] * 4, game="gtav")
    assert relabel_dataset(dataset, resolve_class_map("gtav"), jobs=1).game_warning() is None


def test_relabel_command_warns_once_about_another_games_mapping(dataset):
    _made_with(dataset, ["city_game"] * 4)
    result = CliRunner().invoke(app, ["relabel", str(dataset), "-c", "gtav_cityscapes", "-j", "1"])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [f"warning: {resolve_class_map('gtav_cityscapes').path}: mapping 'gtav_cityscapes' is for "
                        "game 'gtav', but 4 of 4 frames are of other games: profile 'city_game' (4)"]
    assert "in frames/<frame_id>/labels/gtav_cityscapes/" in result.stdout
    assert "relabel" in result.stdout and "--classes gtav_cityscapes --default" in result.stdout   # the next command


def test_relabel_fills_in_the_size_and_intrinsics_an_older_batch_did_not_record(dataset):
    frame = dataset / "frames" / "day__cap_0000"
    meta = json.loads((frame / "meta.json").read_text())
    write_json(frame / "meta.json", {**meta, "image": {"width": 64, "height": 36},
                                     "camera": {"K": [[50.0, 0, 32.0], [0, 50.0, 18.0], [0, 0, 1]]}})
    index = write_batch_outputs(dataset)   # records as an older batch wrote them: no size, no intrinsics
    assert next(csv.DictReader(index.open(newline="")))["width"] == ""
    relabel_dataset(dataset, resolve_class_map("city_game_cityscapes"), jobs=1)
    row = next(csv.DictReader(index.open(newline="")))
    assert (row["frame_id"], row["width"], row["height"], row["fx"], row["cy"]) == (
        "day__cap_0000", "64", "36", "50.0", "18.0")
