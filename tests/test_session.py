"""Opening captures for replay: real captures through the real RenderDoc, and every bad input."""

from __future__ import annotations

import subprocess
import sys

import pytest

from broken_captures import as_d3d11, random_bytes, truncated
from rdc_extract.errors import ApiNotReplayable, CaptureCorrupt, CaptureNotFound, NotACapture
from rdc_extract.rd.session import configure_headless_egl, open_capture, rasteriser_env


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


def test_replay_initialisation_loads_the_vulkan_loader_first():
    """The loader must be in before replay's own threads dlopen it (rd/session.py says why)."""
    probe = ("from rdc_extract.rd.session import initialise_replay; initialise_replay(); "
             "print('libvulkan.so.1' in open('/proc/self/maps').read())")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "True"
