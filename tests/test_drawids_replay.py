"""`--outputs ...,drawids` on real captures, checked against RenderDoc's own pixel history on seeded pixels:
the sample game (OpenGL, deferred), neverball and minetest (Vulkan through Zink, forward, no profile);
neverball also for plausibility over the whole image."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import tifffile

from rdc_extract.dataset.files import read_png
from rdc_extract.extract.pipeline import extract_capture
from rdc_extract.rd.loader import load_renderdoc
from rdc_extract.rd.session import open_capture
from tests.corpus import decompressed

SAMPLE = sorted((Path(__file__).resolve().parents[1] / "samples" / "captures").glob("*.rdc"))[:1]
PIXELS = 32
VULKAN_PIXELS = 12  # pixel history costs 0.3-0.9 s a pixel on the Vulkan captures, ~0.25 s on the OpenGL one

pytestmark = pytest.mark.skipif(not SAMPLE, reason="no sample-game captures: run samples/make_captures.sh")


@pytest.fixture(scope="module")
def sample_frame(tmp_path_factory) -> tuple[Path, Path, dict]:
    frame_dir = tmp_path_factory.mktemp("drawids") / "frame"
    meta = extract_capture(SAMPLE[0], frame_dir, outputs=["rgb", "depth", "drawids"])
    return SAMPLE[0], frame_dir, meta


def _read(frame_dir: Path) -> tuple[np.ndarray, dict]:
    return read_png(frame_dir / "drawids.png"), json.loads((frame_dir / "drawids.json").read_text())


def _last_change(history, first: int, last: int, draws: set[int]) -> int | None:
    """The last event in [first, last] whose fragment passed every test and changed the pixel: its colour or
    depth for a draw, its colour for a clear (a depth-only clear leaves the colour an earlier draw made)."""
    def changed(m) -> bool:
        colour = list(m.preMod.col.uintValue) != list(m.postMod.col.uintValue)
        return colour or (m.eventId in draws and m.preMod.depth != m.postMod.depth)

    events = [m.eventId for m in history if first <= m.eventId <= last and m.Passed() and changed(m)]
    return events[-1] if events else None


def _pixel_history_agrees(capture: Path, frame_dir: Path, pixels: int) -> None:
    """The map's draw at seeded pixels is the one RenderDoc's pixel history names; some of them differ."""
    ids, table = _read(frame_dir)
    first, last = table["pass"]["first_event"], table["pass"]["last_event"]
    index = {draw["event_id"]: draw["index"] for draw in table["draws"]}
    rng = np.random.default_rng(14)
    ys, xs = rng.integers(0, ids.shape[0], pixels), rng.integers(0, ids.shape[1], pixels)
    rd = load_renderdoc()
    with open_capture(capture) as session:
        target = session.resource_ids[table["pass"]["targets_compared"][0]["resource_id"]]
        session.controller.SetFrameEvent(last, True)
        expected = [index.get(_last_change(session.controller.PixelHistory(
            target, int(x), int(y), rd.Subresource(0, 0, 0), rd.CompType.Typeless), first, last, set(index)), 0)
            for x, y in zip(xs, ys)]
    assert ids[ys, xs].tolist() == expected
    assert len(set(expected) - {0}) > pixels // 8


def test_every_sampled_pixel_belongs_to_the_draw_renderdocs_pixel_history_names(sample_frame):
    capture, frame_dir, _ = sample_frame
    _pixel_history_agrees(capture, frame_dir, PIXELS)


def test_the_table_counts_the_map_and_lists_the_gbuffer_draws_in_order(sample_frame):
    _, frame_dir, meta = sample_frame
    ids, table = _read(frame_dir)
    assert ids.dtype == np.uint16 and ids.shape == (meta["image"]["height"], meta["image"]["width"])
    assert meta["outputs"]["drawids"] == "drawids.png" and meta["outputs"]["drawids_table"] == "drawids.json"
    counts = np.bincount(ids.ravel(), minlength=len(table["draws"]) + 1)
    assert [draw["pixels"] for draw in table["draws"]] == counts[1:].tolist()
    assert [draw["index"] for draw in table["draws"]] == list(range(1, len(table["draws"]) + 1))
    events = [draw["event_id"] for draw in table["draws"]]
    assert events == sorted(events) and meta["events"]["gbuffer_first"] <= events[0]
    assert events[-1] == meta["events"]["gbuffer_last"] == table["pass"]["last_event"]
    assert all(draw["marker_path"] == ["GBufferPass"] for draw in table["draws"])
    assert counts[0] < ids.size / 4


def test_a_plain_extraction_writes_no_drawids(sample_frame, tmp_path):
    capture, _, _ = sample_frame
    meta = extract_capture(capture, tmp_path / "plain", outputs=["rgb"])
    assert "drawids" not in meta["outputs"] and not (tmp_path / "plain" / "drawids.png").exists()


def test_a_real_games_forward_frame_is_owned_by_its_scene_draws_along_its_depth_edges(tmp_path):
    """neverball (Vulkan through Zink, no profile): pixel history agrees, every pixel with scene depth has a
    draw, a jump in depth between neighbours is a boundary between draws, and no UI draw owns anything."""
    capture = decompressed("neverball", tmp_path)
    meta = extract_capture(capture, tmp_path / "frame", outputs=["depth", "drawids"])
    ids, table = _read(tmp_path / "frame")
    depth = tifffile.imread(tmp_path / "frame" / "depth.tiff")
    assert (ids[np.isfinite(depth)] > 0).all()
    assert all(draw["event_id"] < meta["events"]["first_hud"] for draw in table["draws"])
    both = np.isfinite(depth[:, 1:]) & np.isfinite(depth[:, :-1])
    jump = both & (np.abs(np.log(np.where(both, depth[:, 1:] / np.where(both, depth[:, :-1], 1), 1))) > 0.2)
    assert jump.sum() > 100
    assert (ids[:, 1:][jump] != ids[:, :-1][jump]).mean() > 0.95
    _pixel_history_agrees(capture, tmp_path / "frame", VULKAN_PIXELS)


def test_a_depth_only_clear_before_the_hand_leaves_the_world_to_its_draws(tmp_path):
    """minetest clears depth (not colour) between the world and the wielded hand: the world's pixels stay its
    draws' (a map that let that clear take them owned under a quarter of the image)."""
    capture = decompressed("minetest", tmp_path)
    extract_capture(capture, tmp_path / "frame", outputs=["drawids"])
    ids, _ = _read(tmp_path / "frame")
    assert (ids > 0).mean() > 0.5
    _pixel_history_agrees(capture, tmp_path / "frame", VULKAN_PIXELS)


def test_a_batch_stops_a_draw_id_sweep_that_would_overrun_its_timeout_after_a_few_steps(tmp_path):
    """warzone2100's sweep takes minutes (each step replays the frame up to it): with `--timeout 60` the
    forecast after the first steps stops it, recorded as the timeout it would have become, long before 60 s."""
    from typer.testing import CliRunner

    from rdc_extract.cli import app

    captures = tmp_path / "captures"
    captures.mkdir()
    decompressed("warzone2100", captures)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["batch", str(captures), str(out), "--jobs", "1", "--timeout", "60",
                                      "--outputs", "rgb,depth,drawids"])
    assert result.exit_code != 0
    [record] = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert record["status"] == "failed" and record["cause"] == "timeout (> 60 s)"
    assert "stopped early (raise it, e.g. --timeout" in record["error"] and record["seconds"] < 45
