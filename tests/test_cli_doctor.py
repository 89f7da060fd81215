"""`rdc-extract doctor`, `--version` and `--help` through the real command line."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from typer.testing import CliRunner

from rdc_extract import __version__
from rdc_extract.cli import app
from rdc_extract.doctor import mesa_shader_cache

runner = CliRunner()


def _rdc_extract(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "rdc_extract", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)


def test_version_and_help():
    assert runner.invoke(app, ["--version"]).stdout.strip() == f"rdc-extract {__version__}"
    result = runner.invoke(app, ["-h"])
    assert result.exit_code == 0 and "doctor" in result.stdout


def test_doctor_json_reports_opengl_and_vulkan_replaying():
    result = _rdc_extract("doctor", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["can_extract"] is True
    assert report["renderdoc_version"].startswith("1.")
    replays = {check["api"]: check["replays"] for check in report["apis"]}
    assert replays == {"OpenGL": True, "Vulkan": True}, report["apis"]
    for check in report["apis"]:
        assert re.fullmatch(r"\d+ actions, \d+ textures read back", check["detail"]), check["detail"]
    assert report["cpu_count"] >= 1


def test_doctor_without_renderdoc_fails_with_one_line_naming_what_was_tried():
    env = {"PATH": "/usr/bin:/bin", "RENDERDOC_PYTHON": "/nonexistent"}
    result = _rdc_extract("doctor", env=env)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "/nonexistent/renderdoc.so" in lines[0]


def test_help_works_without_renderdoc():
    result = _rdc_extract("--help", env={"PATH": "/usr/bin:/bin", "RENDERDOC_PYTHON": "/nonexistent"})
    assert result.returncode == 0 and "doctor" in result.stdout


def test_mesa_shader_cache_lookup_follows_mesa(tmp_path):
    chosen = mesa_shader_cache({"MESA_SHADER_CACHE_DIR": str(tmp_path / "c")}, home="/nonexistent")
    assert chosen == {"folder": str(tmp_path / "c" / "mesa_shader_cache"), "enabled": True, "writable": True}
    xdg = mesa_shader_cache({"XDG_CACHE_HOME": str(tmp_path)})
    assert xdg["folder"] == str(tmp_path / "mesa_shader_cache")
    default = mesa_shader_cache({}, home=str(tmp_path))
    assert default["folder"] == str(tmp_path / ".cache" / "mesa_shader_cache") and default["writable"]
    assert mesa_shader_cache({"MESA_SHADER_CACHE_DISABLE": "true"}, home=str(tmp_path))["enabled"] is False
    (tmp_path / "a_file").write_text("")
    blocked = mesa_shader_cache({"MESA_SHADER_CACHE_DIR": str(tmp_path / "a_file")})
    assert blocked["writable"] is False


def test_batch_warns_when_the_shader_cache_cannot_be_used(tmp_path):
    (tmp_path / "captures").mkdir()
    result = _rdc_extract("batch", str(tmp_path / "captures"), str(tmp_path / "out"),
                          env={**os.environ, "MESA_SHADER_CACHE_DISABLE": "true"})
    assert result.returncode == 0, result.stderr
    assert "warning: Mesa's shader cache is disabled by the environment" in result.stderr


def test_doctor_says_what_a_python_other_than_renderdoc_s_can_do():
    from rdc_extract.doctor import replay_python_note

    assert replay_python_note((3, 11)) is None
    note = replay_python_note((3, 12))
    assert "Python 3.12" in note and "built for Python 3.11" in note and "rdc_extract.data" in note
