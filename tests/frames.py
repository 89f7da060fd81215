"""Plain-data frames shaped like real ones, for testing pass grouping and identification."""

from __future__ import annotations

from rdc_extract.decode.formats import TextureFormat
from rdc_extract.frame.model import Action, Frame, Texture
from rdc_extract.frame.passes import group_passes

FORMATS = {
    "R8G8B8A8_SRGB": TextureFormat("R8G8B8A8_SRGB", "Regular", "UNormSRGB", 4, 1, False, True),
    "R8G8B8A8_UNORM": TextureFormat("R8G8B8A8_UNORM", "Regular", "UNorm", 4, 1, False, False),
    "R10G10B10A2_UNORM": TextureFormat("R10G10B10A2_UNORM", "R10G10B10A2", "UNorm", 4, 0, False, False),
    "R16G16B16A16_FLOAT": TextureFormat("R16G16B16A16_FLOAT", "Regular", "Float", 4, 2, False, False),
    "D32S8": TextureFormat("D32S8", "D32S8", "Depth", 2, 0, False, False),
    "D32": TextureFormat("D32", "Regular", "Depth", 1, 4, False, False),
}

GBUFFER_FORMATS = ["R8G8B8A8_SRGB", "R10G10B10A2_UNORM", "R8G8B8A8_UNORM", "R16G16B16A16_FLOAT"]


class FrameBuilder:
    """Appends actions with increasing event ids; textures are made on first use."""

    def __init__(self, api: str = "OpenGL") -> None:
        self.api = api
        self.actions: list[Action] = []
        self.textures: dict[int, Texture] = {}
        self.event = 0

    def texture(self, rid: int, fmt: str, size: tuple[int, int] = (640, 360), swap: bool = False) -> int:
        self.textures[rid] = Texture(rid, f"Texture {rid}", size[0], size[1], FORMATS[fmt], swap)
        return rid

    def add(self, kind: str, colour: tuple[int, ...], depth: int | None = None, markers: tuple[str, ...] = (),
            vertices: int = 300, count: int = 1, **flags) -> None:
        for _ in range(count):
            self.event += 1
            self.actions.append(Action(self.event, f"{kind}{self.event}", kind, markers, colour, depth,
                                       vertex_count=vertices if kind == "draw" else 0, **flags))

    def frame(self) -> Frame:
        built = Frame("test.rdc", self.api, self.actions, self.textures)
        built.passes = group_passes(self.actions)
        return built


def deferred_frame(markers: bool = True, hud_draws: int = 5) -> Frame:
    """Shadow map → G-buffer (4 MRT + D32S8) → lighting (HDR) → tone map → HUD, like the sample game."""
    b = FrameBuilder()
    shadow = b.texture(1, "D32", (2048, 2048))
    gbuffer = tuple(b.texture(10 + i, fmt) for i, fmt in enumerate(GBUFFER_FORMATS))
    depth = b.texture(20, "D32S8")
    hdr = b.texture(30, "R16G16B16A16_FLOAT")
    back = b.texture(40, "R8G8B8A8_UNORM")
    mark = (lambda name: (name,)) if markers else (lambda name: ())
    b.add("clear", (), shadow, mark("ShadowPass"))
    b.add("draw", (), shadow, mark("ShadowPass"), count=30)
    b.add("clear", gbuffer, depth, mark("GBufferPass"))
    b.add("draw", gbuffer, depth, mark("GBufferPass"), count=50)
    b.add("draw", (hdr,), None, mark("Lighting"), vertices=3)
    b.add("draw", (back,), None, mark("PostFX"), vertices=3)
    b.add("draw", (back,), None, mark("HUD"), vertices=24, count=hud_draws)
    return b.frame()
