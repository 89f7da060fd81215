"""Signature rules on real extractions of the sample game (the shared `drawids_dataset`): rules suggested from the
stencil label the dataset alone as the stencil does, added rules change exactly their signatures' pixels, and
extraction applies a mapping's signature rules as relabel does."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from rdc_extract.cli import app
from rdc_extract.dataset.files import read_png
from rdc_extract.extract.pipeline import extract_to_dataset
from rdc_extract.labels.classmap import load_class_map, resolve_class_map
from rdc_extract.labels.relabel import COVERAGE_NAME, relabel_dataset
from tests.conftest import DRAWIDS_OUTPUTS, SAMPLE_CAPTURES

PIPELINES = Path(__file__).resolve().parents[1] / "pipelines"
LABEL_IMAGES = ("labels.png", "labels_train.png", "labels_color.png")


def _copy(dataset: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(dataset, tmp_path / "out"))


def _frames(out: Path) -> list[Path]:
    return sorted((out / "frames").iterdir())


def _images(out: Path, name: str) -> dict[str, np.ndarray]:
    return {frame.name: read_png(frame / name) for frame in _frames(out)}


def _signature_map(frame: Path) -> np.ndarray:
    """Each pixel's draw signature ('' where no draw left it)."""
    draws = json.loads((frame / "drawids.json").read_text())["draws"]
    return np.array([""] + [d["signature"] for d in draws])[read_png(frame / "drawids.png")]


def _with_rules(tmp_path: Path, name: str, rules: dict[str, str]) -> Path:
    """The game's own mapping plus exact signature rules, under another name."""
    text = (PIPELINES / "classes" / "city_game.toml").read_text().replace('name = "city_game"', f'name = "{name}"', 1)
    path = tmp_path / f"{name}.toml"
    path.write_text(text + "\n[signatures]\n" + "".join(f'{s} = "{c}"\n' for s, c in rules.items()), encoding="utf-8")
    return path


def _shared_signatures(out: Path, count: int) -> list[str]:
    """The `count` largest signatures visible in every frame."""
    pixels: dict[str, list[int]] = {}
    for frame in _frames(out):
        for d in json.loads((frame / "drawids.json").read_text())["draws"]:
            pixels.setdefault(d["signature"], []).append(d["pixels"])
    shared = [s for s, p in pixels.items() if len(p) >= len(_frames(out)) and min(p) > 0]
    return sorted(shared, key=lambda s: -sum(pixels[s]))[:count]


def test_rules_suggested_from_the_stencil_label_the_dataset_alone_as_the_stencil_does(drawids_dataset, tmp_path):
    out = _copy(drawids_dataset, tmp_path)
    stencil_labels = _images(out, "labels.png")
    suggested = tmp_path / "suggested.toml"
    result = CliRunner().invoke(app, ["signatures", str(out), "--suggest", str(suggested)])
    assert result.exit_code == 0, result.output
    signatures_only = tmp_path / "signatures_only.toml"  # the stencil ignored: no class keeps a raw rule
    signatures_only.write_text("".join(line for line in suggested.read_text().splitlines(keepends=True)
                                       if not line.startswith("raw = ")), encoding="utf-8")
    class_map = load_class_map(signatures_only)
    assert not class_map.has_stencil_rules and len(class_map.rules.exact) > 20
    report = relabel_dataset(out, class_map, jobs=1, make_default=True)
    assert not report.failed and report.coverage.labelled_pixels == report.coverage.scene_pixels > 0
    agree = total = 0
    for frame_id, labels in _images(out, "labels.png").items():
        agree += int((labels == stencil_labels[frame_id]).sum())
        total += labels.size
    assert agree >= 0.99 * total
    meta = json.loads((_frames(out)[0] / "meta.json").read_text())
    assert meta["labels"]["source"] == "drawids.png"


def test_added_signature_rules_change_exactly_the_pixels_of_their_signatures(drawids_dataset, tmp_path):
    out = _copy(drawids_dataset, tmp_path)
    before = {name: _images(out, name) for name in LABEL_IMAGES}
    chosen = _shared_signatures(out, 2)
    pole = next(c for c in resolve_class_map("city_game").classes if c.name == "pole")
    mapping = _with_rules(tmp_path, "city_game_poles", {signature: "pole" for signature in chosen})
    result = CliRunner().invoke(app, ["relabel", str(out), "--classes", str(mapping), "--default", "-j", "1"])
    assert result.exit_code == 0, result.output
    for frame in _frames(out):
        covered = np.isin(_signature_map(frame), chosen)
        ids = read_png(frame / "labels.png")
        assert covered.any() and (ids[covered] == pole.id).all()
        assert (read_png(frame / "labels_train.png")[covered] == pole.train_id).all()
        assert (read_png(frame / "labels_color.png")[covered] == pole.color).all()
        for name in LABEL_IMAGES:
            assert np.array_equal(read_png(frame / name)[~covered], before[name][frame.name][~covered])
    document = json.loads((out / COVERAGE_NAME).read_text())
    listed = {s["signature"] for s in document["unlabelled_signatures"]}
    assert not listed & set(chosen) and document["unlabelled_pixels"] == sum(
        s["pixels"] for s in document["unlabelled_signatures"])
    assert 0 < document["labelled_pixels"] < document["scene_pixels"]


def test_extraction_applies_signature_rules_as_relabel_does(drawids_dataset, tmp_path):
    """One code path: a profile whose mapping has signature rules labels a capture at extraction exactly as
    relabel does from the stored stencil and draw ids."""
    out = _copy(drawids_dataset, tmp_path)
    mapping = _with_rules(tmp_path, "city_game_poles", {s: "pole" for s in _shared_signatures(out, 2)})
    profile = tmp_path / "city_game.toml"
    profile.write_text((PIPELINES / "city_game.toml").read_text().replace(
        'classes = "classes/city_game.toml"', f'classes = "{mapping.name}"'), encoding="utf-8")
    capture = SAMPLE_CAPTURES[1]
    meta, extracted = extract_to_dataset(capture, tmp_path / "extracted", profile=str(profile),
                                         outputs=DRAWIDS_OUTPUTS)
    assert meta["labels"]["signatures"]["labelled_pixels"] > 0
    relabel_dataset(out, load_class_map(mapping), jobs=1, make_default=True)
    relabelled = out / "frames" / extracted.name
    for name in LABEL_IMAGES:
        assert (extracted / name).read_bytes() == (relabelled / name).read_bytes()
    assert json.loads((relabelled / "meta.json").read_text())["labels"] == meta["labels"]
