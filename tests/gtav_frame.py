"""A plain-data model of one GTA V (PC, Direct3D 11) frame, as the public write-ups describe it.

Sources (also cited in pipelines/gtav.toml and mod_scripts/gtav/README.md):
- Adrian Courrèges, "GTA V - Graphics Study" (2015): environment cubemap, shadow cascades (one 1024×4096 depth
  texture), a 240×120 planar reflection, the G-buffer (4 RGBA8 targets + depth-stencil, ~1900 draws), lighting
  into an HDR target, post-processing, then the HUD drawn last into the back buffer.
- GTAVisionExport (umautobots), native/src/export.cpp: the depth-stencil texture is `R32G8X24_TYPELESS`
  (RenderDoc names it `D32S8_TYPELESS`); export.h: `rage_matrices` is world, world-view, world-view-projection,
  view-inverse, in that order.
- 3Dmigoto dumps of GTA V's shaders: `cbuffer rage_matrices : register(b1)` with `row_major float4x4` members
  gWorld, gWorldView, gWorldViewProj, gViewInverse, used as `mul(v, M)` (row vectors).
- GTAVisionExport issue #13: RAGE's camera looks down -z (right-handed view space); near clip 0.15 by default.

Draw counts are scaled down; formats, sizes, order and the constant block are as described. Nothing here
was captured from the game: no D3D11 capture replays on these Linux machines.
"""

from __future__ import annotations

import numpy as np

from rdc_extract.decode.formats import TextureFormat
from rdc_extract.frame.model import Action, Frame, Texture
from rdc_extract.frame.passes import group_passes

SIZE = (1280, 720)

FORMATS = {
    # RenderDoc's names, as ResourceFormat.Name() gives them for the DXGI formats (checked with RenderDoc 1.24).
    "R8G8B8A8_TYPELESS": TextureFormat("R8G8B8A8_TYPELESS", "Regular", "Typeless", 4, 1, False, False),
    "D32S8_TYPELESS": TextureFormat("D32S8_TYPELESS", "D32S8", "Typeless", 2, 0, False, False),
    "R32_TYPELESS": TextureFormat("R32_TYPELESS", "Regular", "Typeless", 1, 4, False, False),
    "R16G16B16A16_FLOAT": TextureFormat("R16G16B16A16_FLOAT", "Regular", "Float", 4, 2, False, False),
    "R8G8B8A8_UNORM": TextureFormat("R8G8B8A8_UNORM", "Regular", "UNorm", 4, 1, False, False),
}

CUBEMAP, SHADOW, REFLECTION, REFLECTION_DEPTH = 1, 2, 3, 4
GBUFFER = (10, 11, 12, 13)
DEPTH, HDR, BACK = 20, 30, 40


def perspective_rh_reversed(fov_y_deg: float, aspect: float, near: float, far: float) -> np.ndarray:
    """A right-handed (looks down -z), reversed-Z, 0..1 projection, column-vector form: near → 1, far → 0."""
    f = 1.0 / np.tan(np.radians(fov_y_deg) / 2.0)
    return np.array([[f / aspect, 0, 0, 0],
                     [0, f, 0, 0],
                     [0, 0, near / (far - near), near * far / (far - near)],
                     [0, 0, -1, 0]], dtype=np.float64)


def look_at(eye: np.ndarray, target: np.ndarray, up: np.ndarray = np.array([0.0, 0.0, 1.0])) -> np.ndarray:
    """World → view (x right, y up, z backwards), column-vector form; GTA V's world is z-up."""
    forward = (target - eye) / np.linalg.norm(target - eye)
    right = np.cross(forward, up)
    right /= np.linalg.norm(right)
    true_up = np.cross(right, forward)
    view = np.eye(4)
    view[:3, :3] = np.stack([right, true_up, -forward])
    view[:3, 3] = -view[:3, :3] @ eye
    return view


def rage_matrices(world: np.ndarray, view: np.ndarray, proj: np.ndarray) -> dict[str, np.ndarray]:
    """The block's members as RenderDoc shows them: HLSL row_major matrices used as `mul(v, M)`, i.e. the
    transposes of the column-vector matrices, in float32 like the game's."""
    members = {"gWorld": world, "gWorldView": view @ world, "gWorldViewProj": proj @ view @ world,
               "gViewInverse": np.linalg.inv(view)}
    return {name: m.T.astype(np.float32) for name, m in members.items()}


class _Builder:
    def __init__(self) -> None:
        self.actions: list[Action] = []
        self.textures: dict[int, Texture] = {}

    def texture(self, rid: int, fmt: str, size: tuple[int, int] = SIZE, swap: bool = False) -> None:
        self.textures[rid] = Texture(rid, f"Texture {rid}", size[0], size[1], FORMATS[fmt], swap)

    def add(self, kind: str, colour: tuple[int, ...], depth: int | None, vertices: int = 900, count: int = 1) -> list[int]:
        events = []
        for _ in range(count):
            event = len(self.actions) + 1
            self.actions.append(Action(event, f"{kind}{event}", kind, (), colour, depth,
                                       vertex_count=vertices if kind == "draw" else 0))
            events.append(event)
        return events


def gtav_frame(hud_coverage: tuple[float, ...] = (0.004, 0.02, 0.001)) -> tuple[Frame, dict[str, int]]:
    """The frame, and the events a test checks: the G-buffer's last draw, the final image (the last full-screen
    draw: lens distortion) and the first HUD quad. GTA V sets no debug markers (`has_markers` is False)."""
    b = _Builder()
    b.texture(CUBEMAP, "R16G16B16A16_FLOAT", (128, 128))
    b.texture(SHADOW, "R32_TYPELESS", (1024, 4096))
    b.texture(REFLECTION, "R16G16B16A16_FLOAT", (240, 120))
    b.texture(REFLECTION_DEPTH, "D32S8_TYPELESS", (240, 120))
    for rid in GBUFFER:
        b.texture(rid, "R8G8B8A8_TYPELESS")
    b.texture(DEPTH, "D32S8_TYPELESS")
    b.texture(HDR, "R16G16B16A16_FLOAT")
    b.texture(BACK, "R8G8B8A8_UNORM", swap=True)

    b.add("draw", (CUBEMAP,), None, count=6)                        # environment cubemap, forward
    b.add("clear", (), SHADOW)
    b.add("draw", (), SHADOW, count=40)                             # 4 shadow cascades in one depth texture
    b.add("clear", (REFLECTION,), REFLECTION_DEPTH)
    b.add("draw", (REFLECTION,), REFLECTION_DEPTH, count=25)        # planar reflection, 240×120
    b.add("clear", GBUFFER, DEPTH)
    gbuffer = b.add("draw", GBUFFER, DEPTH, count=80)               # the G-buffer (~1900 draws in the game)
    b.add("draw", (HDR,), None, vertices=3, count=4)                # deferred lighting, full-screen
    b.add("draw", (HDR,), DEPTH, count=10)                          # forward: transparent, water
    b.add("draw", (BACK,), None, vertices=3)                        # tone mapping + FXAA
    final = b.add("draw", (BACK,), None, vertices=4)                # lens distortion: a full-screen quad
    hud = b.add("draw", (BACK,), None, vertices=4, count=len(hud_coverage))  # HUD quads: as few vertices
    b.add("present", (), None)

    frame = Frame("gtav_20260101T000000_r01_f000400.rdc", "D3D11", b.actions, b.textures)
    frame.passes = group_passes(b.actions)
    frame.screen_coverage = {final[0] - 1: 1.0, final[0]: 1.0, **dict(zip(hud, hud_coverage))}
    return frame, {"gbuffer_last": gbuffer[-1], "final": final[0], "hud": hud[0]}
