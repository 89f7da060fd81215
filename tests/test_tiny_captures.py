"""The tiny capture programs (samples/tiny) regenerate on this machine and replay with the known values.

Replay runs in a child process (`python -m rdc_extract.rd.dump`) per capture,
so a native crash in RenderDoc fails one test instead of killing pytest.

The decoding here is deliberately minimal: it pins down the byte layouts that
RenderDoc 1.24 returns from GetTextureData (docs/tiny_captures.md), checked
against values written on purpose.
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

REPO_ROOT = Path(__file__).resolve().parent.parent
TINY = REPO_ROOT / "samples" / "tiny"
SHIPPED = REPO_ROOT / "rdc_extract" / "probes"
CAPTURE_NAMES = ("gl_triangle", "vk_gbuffer", "gl_formats", "vk_gbuffer_d24s8")
MAX_CAPTURE_BYTES = 300 * 1024

sys.path.insert(0, str(REPO_ROOT))
from samples.tiny import gl_formats  # noqa: E402
from samples.tiny.make_captures import build_vk_gbuffer  # noqa: E402

pytestmark = pytest.mark.skipif(
    shutil.which("renderdoccmd") is None
    or (not Path("/usr/lib/python3/dist-packages/renderdoc.so").exists() and "RENDERDOC_PYTHON" not in os.environ),
    reason="RenderDoc (renderdoccmd + python module) is not installed",
)


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return env


def inspect(capture: Path, dump: Path) -> dict:
    """Replay `capture` in a child process; textures' raw bytes land in dump/<id>.bin."""
    result = subprocess.run(
        [sys.executable, "-m", "rdc_extract.rd.dump", str(capture), "--out", str(dump)],
        capture_output=True, text=True, env=_child_env(), timeout=120,
    )
    assert result.returncode == 0, f"replay of {capture} failed ({result.returncode}):\n{result.stderr[-3000:]}"
    report = json.loads(result.stdout)
    report["dump"] = dump
    return report


def texture(report: dict, name: str) -> dict:
    matches = [t for t in report["textures"] if t["name"] == name]
    assert len(matches) == 1, f"{name} not among {[t['name'] for t in report['textures']]}"
    return matches[0]


def raw(report: dict, tex: dict) -> bytes:
    return (report["dump"] / f"{tex['id']}.bin").read_bytes()


def pixels(report: dict, tex: dict, dtype, channels: int = 1, *, bottom_up: bool) -> np.ndarray:
    """(H, W[, C]) array in top-down row order."""
    shape = (tex["height"], tex["width"]) + ((channels,) if channels > 1 else ())
    array = np.frombuffer(raw(report, tex), dtype=dtype).reshape(shape)
    return array[::-1] if bottom_up else array


@pytest.fixture(scope="module")
def fresh_captures(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tiny_captures")
    result = subprocess.run(
        [sys.executable, "-m", "samples.tiny.make_captures", "--out", str(out)],
        cwd=REPO_ROOT, capture_output=True, text=True, env=_child_env(), timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def replayed(fresh_captures, tmp_path_factory) -> dict[str, dict]:
    return {
        name: inspect(fresh_captures / f"{name}.rdc", tmp_path_factory.mktemp(f"dump_{name}"))
        for name in CAPTURE_NAMES
    }


def test_make_captures_writes_small_captures(fresh_captures):
    for name in CAPTURE_NAMES:
        path = fresh_captures / f"{name}.rdc"
        assert path.read_bytes()[:4] == b"RDOC"
        assert path.stat().st_size < MAX_CAPTURE_BYTES
    assert sorted(p.name for p in fresh_captures.iterdir()) == sorted(f"{n}.rdc" for n in CAPTURE_NAMES)


def test_make_captures_refuses_to_overwrite(fresh_captures):
    result = subprocess.run(
        [sys.executable, "-m", "samples.tiny.make_captures", "--out", str(fresh_captures), "--only", "gl_triangle"],
        cwd=REPO_ROOT, capture_output=True, text=True, env=_child_env(), timeout=120,
    )
    assert result.returncode == 1
    assert "--force" in result.stderr


@pytest.mark.parametrize("name", CAPTURE_NAMES)
def test_shipped_capture_replays(name, tmp_path):
    path = SHIPPED / f"{name}.rdc"
    assert path.stat().st_size < MAX_CAPTURE_BYTES
    report = inspect(path, tmp_path)
    assert report["api"] == ("Vulkan" if name.startswith("vk") else "OpenGL")
    assert report["textures"]


def test_gl_triangle(replayed):
    report = replayed["gl_triangle"]
    assert report["api"] == "OpenGL"
    tex = texture(report, "tiny.triangle.colour")
    assert (tex["width"], tex["height"], tex["format"]["name"]) == (64, 64, "R8G8B8A8_UNORM")
    image = pixels(report, tex, np.uint8, 4, bottom_up=True)
    # Triangle (-1,-1), (1,-1), (-1,1): bottom-left half covered, top-right corner is the clear colour.
    assert image[1, 62].tolist() == [26, 51, 76, 255]
    assert image[62, 1].tolist() != [26, 51, 76, 255]
    assert image[62, 1, 3] == 255


# ---- vk_gbuffer ----

def _vk_expected() -> dict:
    return json.loads((TINY / "vk_gbuffer_expected.json").read_text())


def test_vk_expected_json_matches_program(tmp_path):
    exe = build_vk_gbuffer(tmp_path)
    described = subprocess.run([str(exe), "--describe"], capture_output=True, text=True, check=True).stdout
    assert json.loads(described) == _vk_expected()


def _vk_gbuffer_reference(expected: dict) -> dict[str, np.ndarray]:
    """Per-pixel G-buffer contents from the quad table: draw order, depth test LESS."""
    h, w = expected["height"], expected["width"]
    ref = {
        "albedo": np.zeros((h, w, 4), np.uint8),
        "normal": np.zeros((h, w, 4), np.uint16),
        "material": np.zeros((h, w, 4), np.uint8),
        "emissive": np.zeros((h, w, 4), np.float16),
        "depth": np.full((h, w), expected["clear"]["depth"], np.float32),
        "stencil": np.zeros((h, w), np.uint8),
    }
    for quad in expected["gbuffer_quads"]:
        x0, y0, x1, y1 = quad["rect"]
        region = (slice(y0, y1), slice(x0, x1))
        passes = quad["depth"] < ref["depth"][region]
        for key, field in (("albedo", "albedo_srgb8"), ("normal", "normal_unorm10"),
                           ("material", "material_unorm8"), ("emissive", "emissive")):
            ref[key][region][passes] = quad[field]
        ref["depth"][region][passes] = quad["depth"]
        ref["stencil"][region][passes] = quad["stencil"]
    return ref


def test_vk_gbuffer_formats_and_known_values(replayed):
    report = replayed["vk_gbuffer"]
    expected = _vk_expected()
    assert report["api"] == "Vulkan"
    names = {
        "gbuffer.albedo": "R8G8B8A8_SRGB", "gbuffer.normal": "R10G10B10A2_UNORM",
        "gbuffer.material": "R8G8B8A8_UNORM", "gbuffer.emissive": "R16G16B16A16_FLOAT",
        "gbuffer.depth": "D32S8", "backbuffer": "B8G8R8A8_UNORM",
    }
    for name, fmt in names.items():
        tex = texture(report, name)
        assert (tex["format"]["name"], tex["width"], tex["height"]) == (fmt, 64, 48)
    assert texture(report, "backbuffer")["format"]["bgra"] is True

    ref = _vk_gbuffer_reference(expected)
    albedo = pixels(report, texture(report, "gbuffer.albedo"), np.uint8, 4, bottom_up=False)
    np.testing.assert_array_equal(albedo, ref["albedo"])
    packed = pixels(report, texture(report, "gbuffer.normal"), "<u4", bottom_up=False)
    normal = np.stack([packed & 0x3FF, (packed >> 10) & 0x3FF, (packed >> 20) & 0x3FF, packed >> 30], axis=-1)
    np.testing.assert_array_equal(normal, ref["normal"])
    material = pixels(report, texture(report, "gbuffer.material"), np.uint8, 4, bottom_up=False)
    np.testing.assert_array_equal(material, ref["material"])
    emissive = pixels(report, texture(report, "gbuffer.emissive"), "<f2", 4, bottom_up=False)
    np.testing.assert_array_equal(emissive, ref["emissive"])
    depth_stencil = pixels(report, texture(report, "gbuffer.depth"), np.dtype([("d", "<f4"), ("s", "<u4")]),
                           bottom_up=False)
    np.testing.assert_array_equal(depth_stencil["d"], ref["depth"])
    np.testing.assert_array_equal(depth_stencil["s"] & 0xFF, ref["stencil"])
    assert not (depth_stencil["s"] >> 8).any()


def test_vk_gbuffer_frame_structure(replayed):
    """Three render passes: G-buffer (4 colour + depth, 3 draws), lighting (1 draw), HUD (1 draw)."""
    report = replayed["vk_gbuffer"]
    ids = {t["name"]: t["id"] for t in report["textures"]}
    gbuffer = [ids[f"gbuffer.{n}"] for n in ("albedo", "normal", "material", "emissive")]

    def flatten(actions):
        for action in actions:
            yield action
            yield from flatten(action["children"])

    draws = [a for a in flatten(report["actions"]) if a["name"].startswith("vkCmdDraw")]
    assert [d["outputs"] for d in draws] == [gbuffer] * 3 + [[ids["backbuffer"]]] * 2
    assert [d["depth_out"] for d in draws[:3]] == [ids["gbuffer.depth"]] * 3
    passes = [a["name"] for a in flatten(report["actions"]) if a["name"].startswith("vkCmdBeginRenderPass")]
    assert len(passes) == 3


def test_vk_d24s8_readback_layout(replayed):
    """Vulkan D24_UNORM_S8_UINT: W*H uint32 (depth = low 24 bits, stencil = high 8), then W*H zero bytes."""
    report = replayed["vk_gbuffer_d24s8"]
    ref = _vk_gbuffer_reference(_vk_expected())
    tex = texture(report, "gbuffer.depth")
    assert (tex["format"]["name"], tex["format"]["layout"]) == ("D24S8", "D24S8")
    data = raw(report, tex)
    w, h = tex["width"], tex["height"]
    assert len(data) == w * h * 5
    u = np.frombuffer(data[: w * h * 4], "<u4").reshape(h, w)
    np.testing.assert_array_equal(u & 0xFFFFFF, np.round(ref["depth"].astype(np.float64) * (2**24 - 1)))
    np.testing.assert_array_equal(u >> 24, ref["stencil"])
    assert not any(data[w * h * 4:])


# ---- gl_formats ----

def test_gl_formats_expected_json_is_current():
    on_disk = json.loads((TINY / "gl_formats_expected.json").read_text())
    assert on_disk == json.loads(json.dumps(gl_formats.expected_description()))


RENDERDOC_NAMES = {
    "GL_RGBA8": "R8G8B8A8_UNORM", "GL_SRGB8_ALPHA8": "R8G8B8A8_SRGB", "GL_RGB10_A2": "R10G10B10A2_UNORM",
    "GL_R11F_G11F_B10F": "R11G11B10_FLOAT", "GL_RGBA16F": "R16G16B16A16_FLOAT",
    "GL_RGBA32F": "R32G32B32A32_FLOAT", "GL_R8": "R8_UNORM", "GL_R16": "R16_UNORM", "GL_R32F": "R32_FLOAT",
    "GL_DEPTH_COMPONENT16": "D16", "GL_DEPTH_COMPONENT24": "D24", "GL_DEPTH24_STENCIL8": "D24S8",
    "GL_DEPTH_COMPONENT32F": "D32", "GL_DEPTH32F_STENCIL8": "D32S8",
}


def _small_float(bits: np.ndarray, mantissa_bits: int) -> np.ndarray:
    """Unsigned 11-bit / 10-bit floats (5-bit exponent, bias 15) to float64."""
    exponent = (bits >> mantissa_bits).astype(np.int64)
    mantissa = (bits & ((1 << mantissa_bits) - 1)).astype(np.float64) / (1 << mantissa_bits)
    return np.where(exponent == 0, mantissa * 2.0**-14, (1 + mantissa) * 2.0 ** (exponent - 15))


def _decode_gl(report: dict, tex: dict, internal_format: str) -> dict[str, np.ndarray]:
    """The documented GetTextureData layouts for OpenGL (rows bottom-up), as top-down arrays."""
    def px(dtype, channels=1):
        return pixels(report, tex, dtype, channels, bottom_up=True)

    if internal_format in ("GL_RGBA8", "GL_SRGB8_ALPHA8"):
        return {"stored": px(np.uint8, 4)}
    if internal_format == "GL_R8":
        return {"stored": px(np.uint8)[..., None]}
    if internal_format == "GL_R16":
        return {"stored": px("<u2")[..., None]}
    if internal_format == "GL_RGB10_A2":
        u = px("<u4")
        return {"stored": np.stack([u & 0x3FF, (u >> 10) & 0x3FF, (u >> 20) & 0x3FF, u >> 30], axis=-1)}
    if internal_format == "GL_R11F_G11F_B10F":
        u = px("<u4")
        return {"value": np.stack([_small_float(u & 0x7FF, 6), _small_float((u >> 11) & 0x7FF, 6),
                                   _small_float(u >> 22, 5)], axis=-1)}
    if internal_format == "GL_RGBA16F":
        return {"value": px("<f2", 4)}
    if internal_format == "GL_RGBA32F":
        return {"value": px("<f4", 4)}
    if internal_format == "GL_R32F":
        return {"value": px("<f4")[..., None]}
    if internal_format == "GL_DEPTH_COMPONENT16":
        return {"depth_unorm": px("<u2")}
    if internal_format in ("GL_DEPTH_COMPONENT24", "GL_DEPTH24_STENCIL8"):
        u = px("<u4")  # 4 bytes per pixel even without stencil; the low byte is junk then
        return {"depth_unorm": u >> 8, "stencil": u & 0xFF}
    if internal_format == "GL_DEPTH_COMPONENT32F":
        return {"depth": px("<f4")}
    if internal_format == "GL_DEPTH32F_STENCIL8":
        pair = px(np.dtype([("d", "<f4"), ("s", "<u4")]))
        return {"depth": pair["d"], "stencil": pair["s"] & 0xFF}
    raise AssertionError(internal_format)


def test_gl_formats_labels_formats_and_known_values(replayed):
    report = replayed["gl_formats"]
    assert report["api"] == "OpenGL"
    description = gl_formats.expected_description()
    assert len(description["textures"]) == 14
    for entry in description["textures"]:
        tex = texture(report, entry["label"])
        internal_format = entry["gl_internal_format"]
        assert tex["format"]["name"] == RENDERDOC_NAMES[internal_format]
        assert (tex["width"], tex["height"]) == (entry["width"], entry["height"])
        decoded = _decode_gl(report, tex, internal_format)
        for region in entry["regions"]:
            x0, y0, x1, y1 = region["rect"]
            for key, got in decoded.items():
                if key not in region:
                    continue
                want = np.asarray(region[key])
                block = got[y0:y1, x0:x1]
                if key in ("value", "depth") and internal_format in ("GL_RGBA32F", "GL_R32F",
                                                                     "GL_DEPTH_COMPONENT32F",
                                                                     "GL_DEPTH32F_STENCIL8"):
                    want = want.astype(np.float32)
                assert (block == want).all(), (
                    f"{entry['label']} {region['name']} {key}: expected {want.tolist()}, "
                    f"got {np.unique(block.reshape(-1, *want.shape), axis=0).tolist()}"
                )
