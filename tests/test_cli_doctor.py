"""`rdc-extract doctor`, `--version` and `--help` through the real command line."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from typer.testing import CliRunner

from rdc_extract import __version__
from rdc_extract.cli import app

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
