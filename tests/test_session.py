"""Opening captures for replay: real captures through the real RenderDoc, and every bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from broken_captures import as_d3d11, random_bytes, truncated
from rdc_extract.errors import ApiNotReplayable, CaptureCorrupt, CaptureNotFound, NotACapture
from rdc_extract.rd.session import (
    RENDERDOC_REPLAY_ENV, configure_headless_egl, open_capture, preset_replay_environment, rasteriser_env,
)


def test_opens_real_opengl_capture(gl_capture):
    with open_capture(gl_capture) as session:
        assert session.api == "OpenGL"
        assert len(session.controller.GetRootActions()) > 0


def test_opens_real_vulkan_capture(vk_capture):
    with open_capture(vk_capture) as session:
        assert session.api == "Vulkan"
        assert len(session.controller.GetRootActions()) > 0


@pytest.mark.parametrize(
    ("make", "error", "cause"),
    [
        (lambda src, tmp: random_bytes(tmp / "noise.rdc"), NotACapture, "no RenderDoc header"),
        (lambda src, tmp: truncated(src, tmp / "half.rdc"), CaptureCorrupt, "corrupted"),
        (lambda src, tmp: tmp, NotACapture, "is a directory"),
        (lambda src, tmp: tmp / "missing.rdc", CaptureNotFound, "does not exist"),
        (lambda src, tmp: (tmp / "empty.rdc").touch() or tmp / "empty.rdc", NotACapture, "empty"),
        (lambda src, tmp: as_d3d11(src, tmp / "d3d11.rdc"), ApiNotReplayable, "D3D11"),
    ],
    ids=["random-bytes", "truncated", "directory", "missing", "empty", "d3d11-on-linux"],
)
def test_bad_inputs_raise_typed_errors_naming_the_file(gl_capture, tmp_path, make, error, cause):
    path = make(gl_capture, tmp_path)
    with pytest.raises(error) as caught:
        with open_capture(path):
            pass
    assert str(path) in str(caught.value)
    assert cause in str(caught.value)
    assert "\n" not in str(caught.value)


def test_headless_egl_only_without_a_display():
    env: dict[str, str] = {}
    assert configure_headless_egl(env) and env["EGL_PLATFORM"] == "surfaceless"
    with_display = {"DISPLAY": ":0"}
    assert not configure_headless_egl(with_display) and "EGL_PLATFORM" not in with_display
    chosen = {"EGL_PLATFORM": "x11"}
    assert not configure_headless_egl(chosen) and chosen["EGL_PLATFORM"] == "x11"


def test_rasteriser_gets_the_worker_share_of_cores_unless_the_user_chose():
    assert rasteriser_env(1, {}) == {"LP_NUM_THREADS": "0"}   # rasterise on the replay thread itself
    assert rasteriser_env(4, {}) == {"LP_NUM_THREADS": "4"}
    assert rasteriser_env(1, {"LP_NUM_THREADS": "8"}) == {"LP_NUM_THREADS": "8"}


def test_replay_sets_renderdocs_environment_before_renderdoc_does(gl_capture, vk_capture):
    """RenderDoc's threads must find its variables already set, so they never grow `environ` (rd/session.py)."""
    probe = """
import ctypes, json, os, sys
from rdc_extract.rd.session import RENDERDOC_REPLAY_ENV, initialise_replay, open_capture
def names():
    environ = ctypes.POINTER(ctypes.c_char_p).in_dll(ctypes.CDLL(None), "environ")
    found, i = set(), 0
    while environ[i]:
        found.add(environ[i].split(b"=", 1)[0].decode()); i += 1
    return found
before = names()
initialise_replay()
preset = all(name in os.environ for name in RENDERDOC_REPLAY_ENV)  # only Python's own setenv shows up here
for capture in sys.argv[1:]:
    with open_capture(capture):
        pass
unknown = sorted(names() - before - set(RENDERDOC_REPLAY_ENV) - {"EGL_PLATFORM"})
print(json.dumps({"preset": preset, "unknown": unknown}))
"""
    clean = {name: value for name, value in os.environ.items() if name not in RENDERDOC_REPLAY_ENV}
    result = subprocess.run([sys.executable, "-c", probe, str(gl_capture), str(vk_capture)],
                            capture_output=True, text=True, timeout=120, env=clean)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"preset": True, "unknown": []}


def test_preset_keeps_values_already_chosen():
    env = {"NODEVICE_SELECT": "0"}
    preset_replay_environment(env)
    assert env == {**RENDERDOC_REPLAY_ENV, "NODEVICE_SELECT": "0"}
