"""Decoders against real captures with known values written on purpose (samples/tiny).

Each capture is replayed in a fresh interpreter (a native crash fails the test,
not the run) that dumps every texture's ``GetTextureData`` bytes and format;
the decoding itself then runs here, through the pure decoders only.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rdc_extract.decode.formats import TextureDesc, TextureFormat
from rdc_extract.decode.textures import decode_color, decode_color_u8, decode_depth_stencil
from tests.replay_available import renderdoc_available

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "tiny"


def dump(capture: Path, out: Path) -> dict[str, tuple[bytes, TextureDesc]]:
    if not capture.exists():
        pytest.skip(f"{capture} not shipped")
    if not renderdoc_available():
        pytest.skip("RenderDoc Python module not available")
    proc = subprocess.run(
        [sys.executable, "-m", "rdc_extract.rd.dump", str(capture), "--out", str(out)],
        capture_output=True, text=True, timeout=180, cwd=ROOT,
    )
    assert proc.returncode == 0, f"replay of {capture.name} failed ({proc.returncode}): {proc.stderr[-2000:]}"
    report = json.loads(proc.stdout)
    return {
        t["name"]: (
            (out / f"{t['id']}.bin").read_bytes(),
            TextureDesc(t["width"], t["height"], TextureFormat(**t["format"]), report["api"]),
        )
        for t in report["textures"]
    }


def test_gl_formats_capture_decodes_to_the_values_written(tmp_path):
    textures = dump(ROOT / "rdc_extract" / "probes" / "gl_formats.rdc", tmp_path)
    expected = json.loads((SAMPLES / "gl_formats_expected.json").read_text())
    checked = 0
    for case in expected["textures"]:
        raw, desc = textures[case["label"]]
        assert desc.api == "OpenGL"
        depth_kind = case["kind"] in ("depth", "depth_stencil")
        if depth_kind:
            depth, stencil = decode_depth_stencil(raw, desc)
        else:
            image = decode_color(raw, desc)
        for region in case["regions"]:
            x0, y0, x1, y1 = region["rect"]
            if depth_kind:
                want = region.get("depth_unorm")
                bits = 16 if desc.format.component_bytes == 2 else 24
                tol = 0.0 if want is None else 1.0 / (2**bits - 1)
                np.testing.assert_allclose(depth[y0:y1, x0:x1], region["depth"], atol=tol + 1e-7)
                if "stencil" in region:
                    assert np.all(stencil[y0:y1, x0:x1] == region["stencil"]), (case["label"], region["name"])
            else:
                got = image[y0:y1, x0:x1]
                np.testing.assert_allclose(
                    got, np.broadcast_to(region["value"], got.shape), atol=1e-6,
                    err_msg=f"{case['label']} {region['name']} ({desc.format.name})",
                )
            checked += 1
    assert checked == 4 * len(expected["textures"])


def _expected_gbuffer(expected: dict, key: str, channels: int, dtype) -> np.ndarray:
    """Per-pixel expected target: the nearest quad (depth test LESS) wins, else the clear value 0."""
    h, w = expected["height"], expected["width"]
    out = np.zeros((h, w, channels), dtype=dtype)
    nearest = np.full((h, w), np.inf)
    for quad in expected["gbuffer_quads"]:
        x0, y0, x1, y1 = quad["rect"]
        win = nearest[y0:y1, x0:x1] > quad["depth"]
        out[y0:y1, x0:x1][win] = quad[key]
        nearest[y0:y1, x0:x1][win] = quad["depth"]
    return out


def test_vk_gbuffer_capture_decodes_to_the_values_written(tmp_path):
    textures = dump(ROOT / "rdc_extract" / "probes" / "vk_gbuffer.rdc", tmp_path)
    expected = json.loads((SAMPLES / "vk_gbuffer_expected.json").read_text())

    albedo = decode_color_u8(*textures["gbuffer.albedo"])
    np.testing.assert_array_equal(albedo, _expected_gbuffer(expected, "albedo_srgb8", 4, np.uint8))
    material = decode_color_u8(*textures["gbuffer.material"])
    np.testing.assert_array_equal(material, _expected_gbuffer(expected, "material_unorm8", 4, np.uint8))
    normal = decode_color(*textures["gbuffer.normal"])
    want = _expected_gbuffer(expected, "normal_unorm10", 4, np.float64) / [1023, 1023, 1023, 3]
    np.testing.assert_allclose(normal, want, atol=1e-6)
    emissive = decode_color(*textures["gbuffer.emissive"])
    np.testing.assert_array_equal(emissive, _expected_gbuffer(expected, "emissive", 4, np.float32))
    depth, stencil = decode_depth_stencil(*textures["gbuffer.depth"])
    want_depth = _expected_gbuffer(expected, "depth", 1, np.float32)[..., 0]
    want_depth[want_depth == 0] = expected["clear"]["depth"]
    np.testing.assert_array_equal(depth, want_depth)
    np.testing.assert_array_equal(stencil, _expected_gbuffer(expected, "stencil", 1, np.uint8)[..., 0])


def test_vk_d24s8_depth_stencil_decodes_despite_renderdocs_padding(tmp_path):
    textures = dump(ROOT / "rdc_extract" / "probes" / "vk_gbuffer_d24s8.rdc", tmp_path)
    expected = json.loads((SAMPLES / "vk_gbuffer_expected.json").read_text())
    raw, desc = textures["gbuffer.depth"]
    assert desc.format.layout == "D24S8" and len(raw) == desc.width * desc.height * 5
    depth, stencil = decode_depth_stencil(raw, desc)
    want_depth = _expected_gbuffer(expected, "depth", 1, np.float32)[..., 0]
    want_depth[want_depth == 0] = expected["clear"]["depth"]
    np.testing.assert_allclose(depth, want_depth, atol=1.0 / (2**24 - 1))
    np.testing.assert_array_equal(stencil, _expected_gbuffer(expected, "stencil", 1, np.uint8)[..., 0])
