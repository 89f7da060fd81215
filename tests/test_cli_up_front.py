"""Bad options and bad profiles stop `batch`, `extract` and `capture` before any capture is touched.

Each case used to pass the command line and then fail every capture after its
replay (a broken class map, an unknown output), or crash (an overflowing
timeout, deeply nested TOML). Now: one error line, no output folder, nothing
replayed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from rdc_extract.cli import app
from tests.test_batch_isolation import capture_folder

BROKEN_MAP = "[mapping]\nname = 'broken'\n[[classes]]\nname = 'road'\nid = 300\ncolor = '#808080'\n"


def _profile_with_broken_map(tmp_path: Path) -> tuple[Path, Path]:
    """A profile whose [stencil].classes names a class mapping with an out-of-range id: (profile, mapping)."""
    mapping = tmp_path / "profiles" / "classes" / "broken.toml"
    mapping.parent.mkdir(parents=True)
    mapping.write_text(BROKEN_MAP)
    profile = tmp_path / "profiles" / "game.toml"
    profile.write_text("[profile]\nname = 'game'\n[stencil]\nclasses = 'classes/broken.toml'\n")
    return profile, mapping


def _one_error_line(result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith("error: ")
    return result.stderr.strip()


def test_batch_refuses_unknown_outputs_before_any_capture(tmp_path, vk_capture):
    folder = capture_folder(tmp_path, vk_capture, "a.rdc")
    result = CliRunner().invoke(app, ["batch", str(folder), str(tmp_path / "out"), "--outputs", "rgb,nope"])
    line = _one_error_line(result)
    assert "unknown output 'nope'" in line and "available: rgb," in line and "depth" in line
    assert not (tmp_path / "out").exists()


def test_extract_refuses_unknown_outputs_before_reading_the_capture(tmp_path):
    not_a_capture = tmp_path / "empty.rdc"
    not_a_capture.touch()
    result = CliRunner().invoke(app, ["extract", str(not_a_capture), str(tmp_path / "out"), "--outputs", "nope"])
    assert "unknown output 'nope'" in _one_error_line(result)
    assert not (tmp_path / "out").exists()


def test_batch_with_a_profile_whose_class_map_is_broken_stops_before_any_capture(tmp_path, vk_capture):
    folder = capture_folder(tmp_path, vk_capture, "a.rdc")
    profile, mapping = _profile_with_broken_map(tmp_path)
    result = CliRunner().invoke(app, ["batch", str(folder), str(tmp_path / "out"), "--profile", str(profile)])
    line = _one_error_line(result)
    assert line.startswith(f"error: {profile}: [stencil].classes: {mapping}: ") and "id" in line
    assert not (tmp_path / "out").exists()


def test_batch_with_a_broken_installed_profile_stops_before_any_capture(tmp_path, vk_capture, monkeypatch):
    """Without --profile every installed profile is checked, while the workers start: no capture is replayed."""
    folder = capture_folder(tmp_path, vk_capture, "a.rdc")
    profile, mapping = _profile_with_broken_map(tmp_path)
    monkeypatch.setenv("RDC_EXTRACT_PIPELINES", str(profile.parent))
    result = CliRunner().invoke(app, ["batch", str(folder), str(tmp_path / "out")])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    errors = [line for line in result.stderr.splitlines() if not line.startswith("batch: ")]   # beside progress
    assert len(errors) == 1 and errors[0].startswith(f"error: {profile}: [stencil].classes: {mapping}: ")
    assert not (tmp_path / "out" / "frames").exists() and not (tmp_path / "out" / "manifest.jsonl").exists()


@pytest.mark.parametrize("text, cause", [
    ("a = " + "[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ("# " + "x" * (2 << 20), "larger than 1 MiB"),
])
def test_batch_with_an_unreadable_profile_is_one_line(tmp_path, vk_capture, text, cause):
    folder = capture_folder(tmp_path, vk_capture, "a.rdc")
    profile = tmp_path / "huge.toml"
    profile.write_text(text)
    result = CliRunner().invoke(app, ["batch", str(folder), str(tmp_path / "out"), "--profile", str(profile)])
    assert _one_error_line(result).startswith(f"error: {profile}: ") and cause in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("value", ["1e308", "inf", "nan", "604801"])
def test_batch_timeout_must_be_at_most_a_week(tmp_path, vk_capture, value):
    folder = capture_folder(tmp_path, vk_capture, "a.rdc")
    result = CliRunner().invoke(app, ["batch", str(folder), str(tmp_path / "out"), "--timeout", value])
    assert result.exit_code == 2 and "--timeout" in result.output, result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("option, value", [
    ("--time-budget", "1e308"), ("--time-budget", "0"), ("--stall-timeout", "nan"), ("--stall-timeout", "-1"),
    ("--seed", str(2**64)),
])
def test_capture_time_and_seed_options_are_bounded(tmp_path, option, value):
    result = CliRunner().invoke(app, ["capture", "--out", str(tmp_path / "caps"), "--count", "1", option, value,
                                      "--", "true"])
    assert result.exit_code == 2 and option in result.output, result.output
    assert not (tmp_path / "caps").exists()
