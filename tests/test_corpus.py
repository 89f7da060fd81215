"""The real-games corpus (samples/corpus/, made by scripts/make_corpus.sh): replayed, and batch-extracted without a profile."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
from typer.testing import CliRunner

from rdc_extract.cli import app
from rdc_extract.frame.model import REPLAY_CREATED_IDS_FROM
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
    # warzone2100 draws into the window: its final image and depth exist only in replay, numbered by RenderDoc
    # according to what the worker replayed before, so meta.json names them and records no id
    targets = json.loads((out / "frames" / "warzone2100" / "meta.json").read_text())["targets"]
    assert targets["final_image"]["resource_id"] is None and targets["final_image"]["name"] == "Backbuffer Color"
    for game in games:
        meta = json.loads((out / "frames" / game / "meta.json").read_text())
        assert all(t["resource_id"] is None or t["resource_id"] < REPLAY_CREATED_IDS_FROM
                   for t in meta["targets"].values()), game
        assert not re.search(r"#\d{19}", json.dumps(meta["identification"]) + meta["final_image"]["why"]), game


def test_an_output_the_frame_cannot_give_fails_before_any_reading_and_other_outputs_retry_it(tmp_path):
    """minetest's scene depth is D24 without stencil: `stencil` fails right after identification (not after the
    draw-id sweep, as it did), with a cause of its own, and a rerun asking for other outputs retries it."""
    captures = tmp_path / "captures"
    captures.mkdir()
    decompressed("minetest", captures)
    out = tmp_path / "out"
    runner = CliRunner()
    result = runner.invoke(app, ["batch", str(captures), str(out), "--jobs", "1",
                                 "--outputs", "rgb,depth,stencil,drawids"])
    assert result.exit_code != 0
    [failed] = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert failed["cause"] == "output not available"
    assert failed["error"].endswith("output not available: depth target D24 has no stencil to label from")
    assert failed["seconds"] < 8   # identification only; the sweep alone takes longer
    result = runner.invoke(app, ["batch", str(captures), str(out), "--jobs", "1", "--outputs", "rgb,depth"])
    assert result.exit_code == 0, result.stdout + result.stderr
    records = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert (records[-1]["status"], records[-1]["reason"]) == ("done", "retry-other-outputs")
    assert "redone" not in result.stdout   # a failed capture retried, not a done frame redone
