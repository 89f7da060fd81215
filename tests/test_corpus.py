"""The real-games corpus (samples/corpus/, made by scripts/make_corpus.sh): replayed, and batch-extracted without a profile."""

from __future__ import annotations

import json
import shutil

import numpy as np
from typer.testing import CliRunner

from rdc_extract.cli import app
from tests.corpus import CORPUS, decompressed


def test_neverball_capture_replays_with_its_zink_vulkan_draws(tmp_path):
    capture = decompressed("neverball", tmp_path)
    result = CliRunner().invoke(app, ["inspect", str(capture), "--json"])
    report = json.loads(result.stdout)
    assert result.exit_code == 0, result.stderr
    assert report["api"] == "Vulkan"
    assert sum(p["draws"] for p in report["passes"]) > 50


def test_batch_without_a_profile_extracts_every_corpus_capture(tmp_path):
    """Issue 13's "done when": every capture done, pre-UI RGB, metric depth, K and a rigid pose; forward renderers say so."""
    captures = tmp_path / "captures"
    captures.mkdir()
    games = sorted(path.name.removesuffix(".rdc.zst") for path in CORPUS.glob("*.rdc.zst"))
    for game in games:
        decompressed(game, captures)
        shutil.copyfile(CORPUS / f"{game}.json", captures / f"{game}.json")  # capture_sha256 is checked too
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["batch", str(captures), str(out), "--jobs", "2"])
    assert result.exit_code == 0, result.stdout + result.stderr
    records = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert sorted(r["frame_id"] for r in records if r["status"] == "done") == games
    for game in games:
        meta = json.loads((out / "frames" / game / "meta.json").read_text())
        assert meta["capture"]["verified"]
        assert meta["renderer"] == "forward (no G-buffer)"
        assert meta["final_image"]["first_ui_event"] is not None or game == "minetest_nohud"
        assert {"rgb", "depth"} <= set(meta["outputs"])
        assert meta["camera"] is not None and meta["camera"]["source"].startswith("view-projection split")
        pose = np.array(meta["camera"]["world_to_camera"])
        assert np.allclose(pose[:3, :3] @ pose[:3, :3].T, np.eye(3), atol=1e-4) and np.linalg.det(pose[:3, :3]) > 0
        K = np.array(meta["camera"]["K"])
        assert K[0, 0] > 0 and abs(K[0, 0] - K[1, 1]) < 1e-3 * K[0, 0]
