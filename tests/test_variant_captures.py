"""The renderer-variant captures shipped in samples/variants/ replay with RenderDoc as their expected.json says:
the frame structure (passes, formats, the blit, the UI after it) and the conventions (depth direction,
projection, normal encoding) against the game's ground truth for the same frame."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.replay_available import needs_renderdoc
from samples.variant_answers import (CLEAR, DRAWCALL, RENDERERS, RESOLVE, StructureError, answers, split_passes,
                                     the_capture)

REPO = Path(__file__).resolve().parents[1]
VARIANTS = REPO / "samples" / "variants"


pytestmark = needs_renderdoc


def _expected(renderer: str) -> dict[str, Any]:
    return json.loads((VARIANTS / f"{renderer}.expected.json").read_text())


@pytest.fixture(scope="module")
def replay(tmp_path_factory):
    """renderer -> (rdc_extract.rd.dump report, folder of texture bytes at the frame's last event), once each."""
    done: dict[str, tuple[dict[str, Any], Path]] = {}

    def get(renderer: str) -> tuple[dict[str, Any], Path]:
        if renderer not in done:
            out = tmp_path_factory.mktemp(renderer)
            proc = subprocess.run([sys.executable, "-m", "rdc_extract.rd.dump", str(the_capture(VARIANTS / renderer)),
                                   "--out", str(out)], cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                                  check=True, capture_output=True, text=True, timeout=180)
            done[renderer] = json.loads(proc.stdout.strip().splitlines()[-1]), out
        return done[renderer]

    return get


@pytest.mark.parametrize("renderer", RENDERERS)
def test_expected_json_matches_a_fresh_replay(replay, renderer: str) -> None:
    dump, _ = replay(renderer)
    expected = _expected(renderer)
    assert answers(renderer, dump, expected["capture"], expected["ground_truth"]) == expected
    assert all(name.startswith(("Texture ", "Backbuffer ")) for name in expected["texture_names"]), "no names"


@pytest.mark.parametrize("renderer", RENDERERS)
def test_frame_structure(renderer: str) -> None:
    expected = _expected(renderer)
    passes = {p["name"]: p for p in expected["passes"]}
    events = [(p["first_event"], p["last_event"]) for p in expected["passes"]]
    assert events == sorted(events) and all(a <= b for a, b in events)
    ui = expected["passes"][-1]
    assert ui["draws"] == 3 and ui["colour_targets"][0]["format"] == "R8G8B8A8_UNORM"
    assert ui["colour_targets"][0]["resource_id"] == expected["pre_ui_image"]["resource_id"]
    assert expected["pre_ui_image"]["complete_after_event"] < expected["first_ui_event"]
    formats = {name: [t["format"] for t in p["colour_targets"]] for name, p in passes.items()}
    if renderer == "deferred":
        assert formats["GBufferPass"] == ["R8G8B8A8_SRGB", "R10G10B10A2_UNORM", "R8G8B8A8_UNORM", "R16G16B16A16_FLOAT"]
        assert expected["scene_depth"]["format"] == "D32S8"
    elif renderer == "deferred2":
        assert formats["GBuffer"] == ["R8G8B8A8_UNORM", "R16G16_FLOAT"]
        assert expected["scene_depth"]["format"] == "D24S8"
        blit = expected["blit"]
        assert passes["Present"]["blits"] == 1 and blit["event"] == passes["Present"]["first_event"]
        assert blit["source"] == passes["Tonemap"]["colour_targets"][0]
        back_buffer = ui["colour_targets"][0]["resource_id"]
        assert blit["source"]["resource_id"] != blit["destination"]["resource_id"] == back_buffer
        assert blit["source"]["format"] == "R8G8B8A8_UNORM"
    else:
        assert expected["gbuffer_pass"] is None
        assert formats == {"Opaque": ["R8G8B8A8_UNORM"], "Sky": ["R8G8B8A8_UNORM"], "UI": ["R8G8B8A8_UNORM"]}
        assert expected["scene_depth"]["format"] == "D24S8"


def _scene_depth(expected: dict[str, Any], textures: Path) -> np.ndarray:
    """Window depth, rows top-down, from the replayed depth-stencil bytes (RenderDoc's GL layouts)."""
    depth = expected["scene_depth"]
    raw = (textures / f"{depth['resource_id']}.bin").read_bytes()
    h, w = depth["height"], depth["width"]
    if depth["format"] == "D24S8":
        values = (np.frombuffer(raw, np.uint32) >> 8) / float(0xFFFFFF)
    else:  # D32S8: float32 depth, then a uint32 whose low byte is the stencil
        values = np.frombuffer(raw, np.float32)[0::2].astype(np.float64)
    return values.reshape(h, w)[::-1]


@pytest.mark.parametrize("renderer", RENDERERS)
def test_scene_depth_follows_the_stated_convention(replay, renderer: str) -> None:
    _, textures = replay(renderer)
    expected = _expected(renderer)
    conventions = expected["conventions"]
    with np.load(VARIANTS / expected["ground_truth"]) as truth:
        depth_m, proj = truth["depth_m"], truth["proj"]
    depth = _scene_depth(expected, textures)
    sky = np.isinf(depth_m)
    assert np.all(depth[sky] == conventions["depth_clear"])
    if conventions["clip_range"].startswith("-1..1"):
        ndc = depth[~sky] * 2.0 - 1.0
    else:
        ndc = depth[~sky]
    view = np.stack([np.zeros_like(ndc), np.zeros_like(ndc), ndc, np.ones_like(ndc)], axis=-1) @ np.linalg.inv(proj).T
    forward = {"+Z": 1.0, "-Z": -1.0}[conventions["view_forward"]]
    assert np.allclose(forward * view[:, 2] / view[:, 3], depth_m[~sky], rtol=1e-3)


def test_deferred2_normals_decode_as_stated(replay) -> None:
    """The spheremap decoding deferred2.expected.json states, applied to the replayed RG16F G-buffer target,
    gives the ground truth's view-space normals."""
    _, textures = replay("deferred2")
    expected = _expected("deferred2")
    target = expected["passes"][0]["colour_targets"][1]
    assert target["format"] == "R16G16_FLOAT"
    raw = np.frombuffer((textures / f"{target['resource_id']}.bin").read_bytes(), np.float16)
    encoded = raw.reshape(target["height"], target["width"], 2)[::-1].astype(np.float64)
    with np.load(VARIANTS / expected["ground_truth"]) as truth:
        geometry, normal_view = np.isfinite(truth["depth_m"]), truth["normal_view"]
    f = encoded[geometry] * 4.0 - 2.0  # the formula as stated: f = enc * 4 - 2, d = dot(f, f)
    d = np.sum(f * f, axis=1, keepdims=True)
    decoded = np.concatenate([f * np.sqrt(np.maximum(1.0 - d / 4.0, 0.0)), d / 2.0 - 1.0], axis=1)
    error = np.linalg.norm(decoded - normal_view[geometry], axis=1)
    assert np.percentile(error, 99) < 0.01


def _action(event: int, flags: int, outputs: list[int], depth: int = 0) -> dict[str, Any]:
    return {"eventId": event, "name": "", "flags": str(flags), "outputs": outputs, "depth_out": depth, "children": []}


def test_actions_that_do_not_follow_the_declared_frame_are_refused() -> None:
    scene = [_action(1, CLEAR, [7], 8)] + [_action(k, DRAWCALL, [7], 8) for k in range(2, 12)]
    sky_and_ui = [_action(k, DRAWCALL, [7], 8) for k in range(12, 16)]
    passes = split_passes("forward", scene + sky_and_ui)
    assert [(step.name, len(chunk)) for step, chunk in passes] == [("Opaque", 11), ("Sky", 1), ("UI", 3)]
    with pytest.raises(StructureError, match="Sky has"):
        split_passes("forward", scene + [_action(12, RESOLVE, [7])] + sky_and_ui[1:])
    with pytest.raises(StructureError, match="Present"):
        split_passes("deferred2", [_action(1, DRAWCALL, [1, 2], 3), _action(2, DRAWCALL, [4]),
                                   _action(3, DRAWCALL, [5]), _action(4, DRAWCALL, [6])] +
                     [_action(k, DRAWCALL, [6]) for k in range(5, 8)])
