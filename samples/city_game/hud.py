"""The HUD: minimap, speedometer and a status line, alpha-blended over the tone-mapped back buffer.

Drawn last, after PostFX, as in GTA V: the image a dataset wants is the back
buffer just before the first HUD draw.
"""

from __future__ import annotations

import moderngl
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .shaders import program, set_uniforms
from .sim import Simulation

TEXT_SIZE = (256, 20)
MAX_SPEED_KMH = 120.0


def _text_pixels(text: str) -> bytes:
    """The status line as 8-bit coverage, top row first."""
    image = Image.new("L", TEXT_SIZE, 0)
    ImageDraw.Draw(image).text((3, 3), text, fill=255, font=ImageFont.load_default())
    return np.asarray(image, dtype=np.uint8).tobytes()


def status_line(sim: Simulation) -> str:
    hours, rem = divmod(int(sim.clock_s), 3600)
    speed = sim.player.vehicle.speed_mps * 3.6
    return f"{hours:02d}:{rem // 60:02d}  {sim.weather.upper()}  {speed:3.0f} km/h  HP {sim.player.health:3.0f}"


class Hud:
    def __init__(self, ctx: moderngl.Context, width: int, height: int) -> None:
        self.ctx, self.size = ctx, (width, height)
        self.prog = program(ctx, "hud.vert", "hud.frag")
        self.vao = ctx.vertex_array(self.prog, [])
        self.text_tex = ctx.texture(TEXT_SIZE, 1)
        self._text = ""

    def _rect(self, x: float, y: float, w: float, h: float) -> tuple[float, float, float, float]:
        """Pixel rectangle (origin top-left) to NDC corners (x0, y0, x1, y1)."""
        width, height = self.size
        return (x / width * 2 - 1, 1 - (y + h) / height * 2, (x + w) / width * 2 - 1, 1 - y / height * 2)

    def draw(self, sim: Simulation) -> None:
        width, height = self.size
        text = status_line(sim)
        if text != self._text:
            self.text_tex.write(_text_pixels(text))
            self._text = text
        self.ctx.enable(moderngl.BLEND)
        self.ctx.blend_func = moderngl.SRC_ALPHA, moderngl.ONE_MINUS_SRC_ALPHA
        layout = sim.layout
        vehicle = sim.player.vehicle
        set_uniforms(self.prog, player_xy=(vehicle.x, vehicle.y), player_heading=vehicle.heading,
                     pitch=layout.pitch, road_half_width=layout.road_half_width, city_size=layout.size,
                     speed_frac=min(vehicle.speed_mps * 3.6 / MAX_SPEED_KMH, 1.0), text_tex=0)
        dial = height * 0.28
        margin = height * 0.04
        for mode, rect in ((0, self._rect(margin, height - margin - dial, dial, dial)),
                           (1, self._rect(width - margin - dial, height - margin - dial, dial, dial)),
                           (2, self._rect(margin, margin, TEXT_SIZE[0] * height / 360, TEXT_SIZE[1] * height / 360))):
            if mode == 2:
                self.text_tex.use(0)
            set_uniforms(self.prog, mode=mode, rect=rect)
            self.vao.render(moderngl.TRIANGLE_STRIP, vertices=4)
        self.ctx.disable(moderngl.BLEND)

