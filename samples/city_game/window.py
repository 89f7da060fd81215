"""Window mode: show each finished frame in an SDL window while rendering stays offscreen.

The game still renders through its surfaceless EGL context, so a frame's GL
calls are the same with or without a window; the window only receives a copy
of the back buffer read after `after_frame`, outside any captured frame.
Imported only for ``--window``, so headless runs never need pygame.
"""

from __future__ import annotations

import os
from types import TracebackType

import numpy as np

from .sim import TICK_S

# SDL would otherwise present its window surface through an OpenGL renderer of its own: a second GL
# context, on a real window. Under renderdoccmd that one died in glXMakeCurrent (X BadAccess) before any
# capture was written. "0" keeps presentation in plain software (XShm on X11).
os.environ.setdefault("SDL_FRAMEBUFFER_ACCELERATION", "0")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
try:
    import pygame
except ImportError as exc:
    raise ImportError("--window needs pygame: .venv/bin/pip install pygame") from exc

TITLE = "city_game"
REAL_TIME_FPS = round(1 / TICK_S)  # never show game time passing faster than real time


class GameWindow:
    """A window the size of the render target; `present` shows a frame and reports whether to go on."""

    def __init__(self, width: int, height: int) -> None:
        pygame.display.init()
        self._screen = pygame.display.set_mode((width, height))
        pygame.display.set_caption(TITLE)
        self._clock = pygame.time.Clock()

    def present(self, image: np.ndarray) -> bool:
        """Show `image` (uint8 (H, W, 3) RGB, rows top-down); False once the player closed the window or hit Escape."""
        height, width, _ = image.shape
        self._screen.blit(pygame.image.frombuffer(image.tobytes(), (width, height), "RGB"), (0, 0))
        pygame.display.flip()
        self._clock.tick(REAL_TIME_FPS)
        pygame.display.set_caption(f"{TITLE} - {self._clock.get_fps():.1f} fps")
        return not any(event.type == pygame.QUIT or (event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE)
                       for event in pygame.event.get())

    def __enter__(self) -> GameWindow:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        pygame.display.quit()
