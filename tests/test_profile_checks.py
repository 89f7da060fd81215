"""Checking a profile: `inspect` lists every check extract makes, with extract's words; extract points to inspect.

Real sample captures through the real replay, with copies of the sample
game's profile that are wrong in one place each (docs/profiles.md,
"Checking a profile").
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from rdc_extract.batch.child import one_line
from rdc_extract.cli import app
from rdc_extract.extract.checks import ProfileCheck, check_camera
from rdc_extract.extract.pipeline import extract_capture
from rdc_extract.profiles.schema import load_profile
from rdc_extract.rd.readback import EventReads

runner = CliRunner()
REPO = Path(__file__).resolve().parents[1]
CAPTURE = sorted((REPO / "samples" / "captures").glob("*.rdc"))[0]
VARIANT = sorted((REPO / "samples" / "variants" / "deferred2").glob("*.rdc"))[0]   # no game profile fits it
PROFILE = REPO / "pipelines" / "city_game.toml"

WRONG_MEMBER = ("camera", "error", "profile 'city_game' [camera]: constant block 'CameraConstants' has no member "
                "'viewx' (has: view, proj, view_proj, camera_pos, near_far), at event 617")
WRONG_CLIP_RANGE = ("depth conventions", "warning", "profile 'city_game' [depth] clip_range = 'minus_one_to_one' "
                    "contradicts the captured pipeline state ('zero_to_one'); used the captured pipeline state's value")


def profile_with(tmp_path: Path, old: str, new: str) -> Path:
    text = PROFILE.read_text()
    assert old in text
    text = text.replace(old, new).replace('classes = "classes/', f'classes = "{REPO}/pipelines/classes/')
    path = tmp_path / "city_game_copy.toml"
    path.write_text(text)
    return path


def inspect_json(*args: str) -> tuple[int, dict]:
    result = runner.invoke(app, ["inspect", *args, "--json"])
    return result.exit_code, json.loads(result.stdout)


def checks(report: dict, verdict: str | None = None) -> list[tuple[str, str, str]]:
    return [(c["topic"], c["verdict"], c["cause"]) for c in report["checks"] if verdict in (None, c["verdict"])]


def test_the_sample_profile_passes_every_check():
    code, report = inspect_json(str(CAPTURE), "--profile", "city_game")
    assert code == 0
    assert {topic for topic, _, _ in checks(report)} == {"gbuffer targets", "camera", "depth conventions", "depth",
                                                          "normals", "stencil"}
    assert checks(report, "error") == [] and checks(report, "warning") == []


def test_a_wrong_camera_member_is_an_error_in_inspect_and_the_same_failure_in_extract(tmp_path):
    profile = profile_with(tmp_path, 'view = "view"', 'view = "viewx"')

    code, report = inspect_json(str(CAPTURE), "--profile", str(profile))
    shown = runner.invoke(app, ["inspect", str(CAPTURE), "--profile", str(profile)])
    extracted = runner.invoke(app, ["extract", str(CAPTURE), str(tmp_path / "out"), "--profile", str(profile)])

    assert code == 1 and report["error"] is None and checks(report, "error") == [WRONG_MEMBER]
    assert ("camera", "ok") not in [(t, v) for t, v, _ in checks(report)]
    assert shown.exit_code == 1 and "viewx" in shown.stdout
    assert shown.stderr == f"error: {CAPTURE}: cannot extract: {WRONG_MEMBER[2]}\n"
    assert extracted.exit_code == 1
    assert extracted.stderr == (f"error: {CAPTURE}: cannot extract: {WRONG_MEMBER[2]} "
                                f"(run: rdc-extract inspect {CAPTURE} --profile {profile} for details)\n")


def test_a_projection_member_that_is_not_a_projection_is_an_error(tmp_path):
    profile = profile_with(tmp_path, 'projection = "proj"', 'projection = "view"')
    code, report = inspect_json(str(CAPTURE), "--profile", str(profile))
    assert code == 1
    assert checks(report, "error") == [("camera", "error", "profile 'city_game' [camera] projection = 'view': member "
                                        "of block 'CameraConstants' at event 617 is not a perspective projection")]


def test_a_wrong_clip_range_is_the_same_warning_in_inspect_and_in_extract(tmp_path):
    profile = profile_with(tmp_path, 'clip_range = "zero_to_one"', 'clip_range = "minus_one_to_one"')

    code, report = inspect_json(str(CAPTURE), "--profile", str(profile))
    meta = extract_capture(CAPTURE, tmp_path / "frame", profile=str(profile), outputs=["depth"])

    assert code == 0 and checks(report, "warning") == [WRONG_CLIP_RANGE]
    assert meta["warnings"] == [WRONG_CLIP_RANGE[2]]


def test_a_frame_the_named_profile_does_not_understand_points_to_inspect_and_a_corrupt_capture_does_not(tmp_path):
    misfit = runner.invoke(app, ["extract", str(VARIANT), str(tmp_path / "out"), "--profile", "city_game"])
    corrupt = tmp_path / "corrupt.rdc"
    corrupt.write_bytes(CAPTURE.read_bytes()[:4096])
    broken = runner.invoke(app, ["extract", str(corrupt), str(tmp_path / "out")])

    assert misfit.exit_code == 1 and misfit.stderr.count("\n") == 1
    assert misfit.stderr.startswith(f"error: {VARIANT}: frame not understood: no pass qualifies as the G-buffer")
    assert misfit.stderr.endswith(f" (run: rdc-extract inspect {VARIANT} --profile city_game for details)\n")
    assert broken.exit_code == 1 and "rdc-extract inspect" not in broken.stderr


def test_auto_detection_lists_every_reason_each_game_profile_was_rejected():
    code, report = inspect_json(str(VARIANT))
    text = runner.invoke(app, ["inspect", str(VARIANT)]).stdout

    assert report["profile"]["name"] == "generic"
    rejected = {r["profile"]: r["reasons"] for r in report["rejected"]}
    assert set(rejected) == {"city_game", "gtav", "warzone2100"}
    assert rejected["gtav"][0] == "API OpenGL not in ['D3D11']"
    # a structure-identified game profile: its [match] rules decide, and a marker-less capture fails them
    assert rejected["warzone2100"][0] == "none of markers ['3D scene - terrain', '3D scene - models']"
    assert rejected["city_game"][0] == "no pass qualifies as the G-buffer under profile 'city_game'"
    assert rejected["city_game"][1].startswith("pass #0 Pass #0 (76 draws): 2 colour targets (needs ≥ 4); colour formats")
    assert report["identification"]["evidence"][0].startswith("G-buffer: pass 0")
    assert "game profiles tried and rejected" in text and "evidence" in text and "API OpenGL not in" in text


def test_batch_failures_point_to_inspect_only_for_what_inspect_can_explain(tmp_path):
    profile = profile_with(tmp_path, 'view = "view"', 'view = "viewx"')
    captures = tmp_path / "captures"
    captures.mkdir()
    (captures / "a.rdc").write_bytes(CAPTURE.read_bytes())
    (captures / "corrupt.rdc").write_bytes(CAPTURE.read_bytes()[:4096])

    result = runner.invoke(app, ["batch", str(captures), str(tmp_path / "out"), "--jobs", "1",
                                 "--profile", str(profile)])

    assert result.exit_code == 1
    with open(tmp_path / "out" / "failures.csv", newline="") as f:
        errors = {Path(row["capture"]).name: row["error"] for row in csv.DictReader(f)}
    assert errors["a.rdc"].startswith(f"{captures / 'a.rdc'}: cannot extract: profile 'city_game' [camera]: ")
    assert errors["a.rdc"].endswith(f" (run: rdc-extract inspect {captures / 'a.rdc'} --profile {profile} for details)")
    assert "rdc-extract inspect" not in errors["corrupt.rdc"]
    assert f"(run: rdc-extract inspect {captures / 'a.rdc'}" in result.stdout.replace("\n", "")


@pytest.mark.parametrize("limit", [60, 500])
def test_a_shortened_error_line_keeps_its_pointer_to_inspect(limit):
    hint = "run: rdc-extract inspect cap.rdc for details"
    line = one_line("cap.rdc: cannot extract: " + "why " * 200 + f"({hint})", limit, hint=hint)
    assert len(line) == limit and line.endswith(f"… ({hint})")


def _camera_checks(blocks: dict, profile_path: Path) -> list[tuple[str, str, str]]:
    result = ProfileCheck()
    camera, _ = check_camera(EventReads(blocks=blocks), load_profile(profile_path), 617, 16 / 9, result)
    assert (camera is None) == any(c.verdict != "ok" for c in result.checks)
    return [(c.topic, c.verdict, c.cause) for c in result.checks]


def _projection() -> np.ndarray:
    return np.array([[1.3, 0, 0, 0], [0, 1.7, 0, 0], [0, 0, 0, 0.1], [0, 0, -1, 0]])


def test_a_named_view_that_is_not_rigid_is_an_error(tmp_path):
    scaled = np.diag([2.0, 2.0, 2.0, 1.0])
    block = {"view": scaled, "proj": _projection(), "near_far": np.array([[0.1, 1000.0, 0, 0]])}
    assert _camera_checks({"CameraConstants": block}, PROFILE) == [
        ("camera", "error", "profile 'city_game' [camera] view = 'view': member of block 'CameraConstants' at event 617 "
                            "is not a rigid view (rotation and translation)")]


def test_a_named_block_that_is_not_bound_and_a_search_that_finds_nothing_are_warnings(tmp_path):
    assert _camera_checks({"Other": {"m": np.eye(4)}}, PROFILE) == [
        ("camera", "warning", "profile 'city_game' [camera] block = 'CameraConstants': no constant block of that name "
                              "is bound at event 617 (bound: Other)")]
    assert _camera_checks({}, REPO / "pipelines" / "generic.toml") == [
        ("camera", "warning", "no perspective camera found among the constant blocks bound at event 617 (bound: none) "
                              "or at the sampled scene draws (none): neither a projection and a view nor a "
                              "view-projection; name them in the profile's [camera]")]
