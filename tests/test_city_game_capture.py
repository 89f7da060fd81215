"""The sample game is capturable: launched under renderdoccmd, a mod captures one frame that replays.

Checks the contract the pipeline relies on: the extra GL calls made through
EGL function pointers (clip control, texture storage, stencil state) are in
the capture, and the replayed G-buffer depth-stencil holds exactly the stencil
classes and reversed-Z depth of the game's own, independent ground-truth render.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
RENDERDOCCMD = shutil.which("renderdoccmd")
pytestmark = pytest.mark.skipif(RENDERDOCCMD is None, reason="renderdoccmd not installed")

CAPTURE_MOD = '''
import os
from rdc_extract.rd.inapp import InAppApi

CAPTURE_FRAMES = (1, 3)  # the second capture of a process must replay as well as the first
_api = None

def on_start(natives):
    global _api
    _api = InAppApi()
    _api.set_capture_path_template(os.environ["CITY_GAME_TEST_CAPTURE"])
    natives.set_weather("rain")

def before_frame(natives):
    if natives.frame_number() in CAPTURE_FRAMES:
        _api.start_frame_capture()

def after_frame(natives):
    if natives.frame_number() in CAPTURE_FRAMES:
        assert _api.end_frame_capture(), "RenderDoc wrote no capture"
    if natives.frame_number() == CAPTURE_FRAMES[0]:
        natives.write_ground_truth(os.environ["CITY_GAME_TEST_CAPTURE"] + "_gt")
'''

# Runs in a fresh interpreter: replay is initialised once per process and a native crash must not kill pytest.
REPLAY_SCRIPT = r'''
import json, os, sys
os.environ["EGL_PLATFORM"] = "surfaceless"
import numpy as np
from rdc_extract.rd.loader import load_renderdoc

rd = load_renderdoc()
rd.InitialiseReplay(rd.GlobalEnvironment(), [])
try:
    cap = rd.OpenCaptureFile()
    assert cap.OpenFile(sys.argv[1], "", None) == rd.ResultCode.Succeeded
    chunks = sorted({c.name for c in cap.GetStructuredData().chunks})
    result, ctrl = cap.OpenCapture(rd.ReplayOptions(), None)
    assert result == rd.ResultCode.Succeeded, result
    sf = ctrl.GetStructuredFile()
    groups = {a.GetName(sf): a for a in ctrl.GetRootActions()}
    last_gbuffer_event = groups["GBufferPass"].children[-1].eventId
    ctrl.SetFrameEvent(last_gbuffer_event, True)
    vertex_buffer = str(ctrl.GetPipelineState().GetVBuffers()[0].resourceId)
    ds = [t for t in ctrl.GetTextures() if t.format.Name() == "D32S8"]
    assert len(ds) == 1, [t.format.Name() for t in ctrl.GetTextures()]
    raw = ctrl.GetTextureData(ds[0].resourceId, rd.Subresource(0, 0, 0))
    pixels = np.frombuffer(bytes(raw), dtype=np.uint32).reshape(ds[0].height, ds[0].width, 2)[::-1]
    np.save(sys.argv[2] + "_depth.npy", pixels[..., 0].copy().view(np.float32))
    np.save(sys.argv[2] + "_stencil.npy", (pixels[..., 1] & 0xFF).astype(np.uint8))
    print(json.dumps({"chunks": chunks, "groups": list(groups), "vertex_buffer": vertex_buffer}))
    ctrl.Shutdown()
    cap.Shutdown()
finally:
    rd.ShutdownReplay()
'''


@pytest.fixture(scope="module")
def captured(tmp_path_factory) -> tuple[list[Path], Path]:
    work = tmp_path_factory.mktemp("citycap")
    mod = work / "capture_one_frame.py"
    mod.write_text(CAPTURE_MOD)
    template = work / "city"
    env = dict(os.environ, CITY_GAME_TEST_CAPTURE=str(template), PYTHONPATH=str(REPO))
    subprocess.run([RENDERDOCCMD, "capture", "-w", "-d", str(REPO), "-c", str(template), sys.executable, "-m",
                    "samples.city_game", "--width", "320", "--height", "180", "--frames", "4", "--mod", str(mod)],
                   env=env, check=True, timeout=120, capture_output=True)
    captures = sorted(work.glob("city*.rdc"), key=lambda p: (len(p.name), p.name))
    assert len(captures) == 2, list(work.iterdir())
    return captures, Path(f"{template}_gt.gt.npz")


def _replay(capture: Path, out: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", REPLAY_SCRIPT, str(capture), str(out)], cwd=REPO,
                          env=dict(os.environ, PYTHONPATH=str(REPO)), check=True, timeout=180,
                          capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_capture_replays_with_the_calls_the_pipeline_needs(captured, tmp_path: Path) -> None:
    (capture, _), gt_path = captured
    out = tmp_path / "replayed"
    report = _replay(capture, out)
    assert report["vertex_buffer"] != "ResourceId::0"
    for call in ("glClipControl", "glTexStorage2D", "glStencilFunc", "glStencilOp", "glFramebufferTexture2D"):
        assert call in report["chunks"], call
    passes = ["ShadowPass", "GBufferPass", "Lighting", "Sky", "Particles", "PostFX", "HUD"]
    assert [g for g in report["groups"] if g in passes] == passes

    gt = np.load(gt_path)
    stencil = np.load(f"{out}_stencil.npy")
    depth = np.load(f"{out}_depth.npy")
    assert np.array_equal(stencil, gt["stencil"])
    assert 0x82 in stencil
    geometry = np.isfinite(gt["depth_m"])
    proj = gt["proj"]
    a, b = proj[2, 2], proj[2, 3]
    assert np.allclose(b / (depth[geometry] + a), gt["depth_m"][geometry], rtol=1e-3)
    assert np.all(depth[~geometry] == 0.0)


def test_second_capture_of_a_process_keeps_its_vertex_arrays(captured, tmp_path: Path) -> None:
    """Regression: releasing the GL context between frames left later captures with empty vertex arrays."""
    (_, second), _ = captured
    assert _replay(second, tmp_path / "second")["vertex_buffer"] != "ResourceId::0"
