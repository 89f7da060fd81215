"""`rdc-extract inspect` on real captures through the real replay."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from rdc_extract.cli import app
from rdc_extract.inspect import SCHEMA

runner = CliRunner()


def _inspect_json(*args: str) -> tuple[int, dict]:
    result = runner.invoke(app, ["inspect", *args, "--json"])
    return result.exit_code, json.loads(result.stdout)


def test_vulkan_capture_made_in_this_run_is_identified_by_the_generic_profile(vk_capture_made_now):
    code, report = _inspect_json(str(vk_capture_made_now))
    # Identified, but it binds no camera block and generic states no near/far: extract could not write depth.
    assert report["error"] is None and code == 1
    assert [c["cause"] for c in report["checks"] if c["verdict"] == "error"] == [
        "no metric depth: no perspective camera found among the constant blocks bound at the scene's draws "
        "(neither a projection and a view nor a view-projection), and the profile states no [depth] near_m/far_m"]
    assert report["schema"] == SCHEMA and report["api"] == "Vulkan"
    assert report["profile"]["name"] == "generic" and "no game profile matched" in report["profile"]["why"]
    found = report["identification"]
    gbuffer = report["passes"][found["gbuffer_pass"]]
    assert gbuffer["draws"] == 3 and len(gbuffer["colour_targets"]) == 4
    textures = {t["resource_id"]: t for t in report["textures"]}
    assert textures[found["depth_target"]]["format"] == "D32S8"
    assert textures[found["target_roles"]["albedo"]]["format"] == "R8G8B8A8_SRGB"
    assert textures[found["back_buffer"]]["name"] == "backbuffer"
    # Lighting/tone map is one full-screen triangle; the HUD quad follows it.
    assert found["first_hud_event"] > found["final_image_event"] > found["gbuffer_last_event"]


def test_draws_flag_lists_every_action(vk_capture_made_now):
    _, report = _inspect_json(str(vk_capture_made_now), "--draws")
    assert sum(a["kind"] == "draw" for a in report["actions"]) == 5


def test_unidentifiable_frame_exits_non_zero_with_candidates(gl_capture):
    result = runner.invoke(app, ["inspect", str(gl_capture)])
    assert result.exit_code == 1
    assert "frame not understood" in result.stderr and str(gl_capture) in result.stderr
    assert "no depth target" in result.stdout and "no scene depth" in result.stderr
    code, report = _inspect_json(str(gl_capture))
    assert code == 1 and report["identification"] is None
    assert report["candidates"][0]["reasons"] == ["no depth target"]


def test_bad_capture_is_a_one_line_error(tmp_path):
    bogus = tmp_path / "bogus.rdc"
    bogus.write_bytes(b"nope")
    result = runner.invoke(app, ["inspect", str(bogus)])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: {bogus}: not a RenderDoc capture: no RenderDoc header (starts with 6e6f7065)"


def test_unknown_profile_is_reported(gl_capture):
    result = runner.invoke(app, ["inspect", str(gl_capture), "--profile", "nosuch"])
    assert result.exit_code == 1 and "no profile named 'nosuch'" in result.stderr


SAMPLE_CAPTURES = sorted((Path(__file__).resolve().parents[1] / "samples" / "captures").glob("*.rdc"))


@pytest.mark.parametrize("capture", SAMPLE_CAPTURES, ids=[p.stem[-12:] for p in SAMPLE_CAPTURES])
def test_sample_captures_are_identified_by_auto_detection_and_by_generic(capture):
    code, auto = _inspect_json(str(capture))
    assert code == 0, auto["error"]
    assert auto["profile"]["name"] == "city_game"
    found = auto["identification"]
    gbuffer = auto["passes"][found["gbuffer_pass"]]
    assert len(gbuffer["colour_targets"]) >= 4 and gbuffer["depth_target"] is not None
    assert set(found["target_roles"]) == {"albedo", "normals", "material", "emissive"}
    assert found["gbuffer_last_event"] < found["final_image_event"] < found["first_hud_event"]
    code, generic = _inspect_json(str(capture), "--profile", "generic")
    assert code == 0 and generic["profile"]["name"] == "generic"
    assert generic["identification"]["gbuffer_pass"] == found["gbuffer_pass"]
    assert generic["identification"]["final_image_event"] == found["final_image_event"]


SAMPLE_CAPTURES = sorted((Path(__file__).resolve().parents[1] / "samples" / "captures").glob("*.rdc"))
needs_samples = pytest.mark.skipif(not SAMPLE_CAPTURES, reason="no sample-game captures: run samples/make_captures.sh")


@needs_samples
def test_at_event_lists_the_bound_targets_and_constant_blocks_with_member_values():
    capture = str(SAMPLE_CAPTURES[0])
    _, plain = _inspect_json(capture)
    found = plain["identification"]
    event = found["gbuffer_last_event"]

    code, report = _inspect_json(capture, "--at", str(event))

    assert code == 0 and "at" not in plain
    at = report["at"]
    assert at["event_id"] == event and at["kind"] == "draw"
    assert at["colour_targets"][:4] == [found["target_roles"][r] for r in ("albedo", "normals", "material", "emissive")]
    assert at["depth_target"] == found["depth_target"]
    camera = {(b["stage"], b["name"]): b["members"] for b in at["constant_blocks"]}[("Vertex", "CameraConstants")]
    assert len(camera["view"]) == len(camera["view"][0]) == 4 and camera["proj"][3][2] == -1
    assert camera["near_far"][:2] == pytest.approx([0.1, 1000.0])
    text = runner.invoke(app, ["inspect", capture, "--at", str(event)]).stdout
    assert "CameraConstants" in text and "near_far" in text


@needs_samples
def test_at_an_event_without_an_action_is_a_one_line_error():
    result = runner.invoke(app, ["inspect", str(SAMPLE_CAPTURES[0]), "--at", "1"])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {SAMPLE_CAPTURES[0]}: no action at event 1 (actions span events ")


@needs_samples
def test_preview_writes_a_visible_thumbnail_of_every_pass_target(tmp_path):
    from rdc_extract.dataset.files import read_png

    result = runner.invoke(app, ["inspect", str(SAMPLE_CAPTURES[0]), "--preview", str(tmp_path / "p")])

    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "p").iterdir())
    assert f"{len(names)} previews written to" in result.stdout
    gbuffer = [n for n in names if n.startswith("pass01_")]
    assert any(n.endswith("GBuffer.Albedo.png") for n in gbuffer)
    assert any(n.endswith("_depth.png") for n in gbuffer) and any(n.endswith("_stencil.png") for n in gbuffer)
    for name in names:
        image = read_png(tmp_path / "p" / name)
        assert max(image.shape[:2]) <= 256 and len(np.unique(image)) > 1, name   # not blank
