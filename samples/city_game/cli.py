"""Command line: ``python -m samples.city_game [options]``. Writes nothing unless asked.

Rendering is always offscreen through EGL, so the game runs headless by default.
``--window`` also shows every finished frame in a window (pygame); the frames rendered,
and so what RenderDoc captures, are the same either way.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from .game import Game, GameConfig
from .mods import discover_mods
from .sim import WEATHERS


def _clock(text: str) -> tuple[int, int]:
    hours, _, minutes = text.partition(":")
    return int(hours), int(minutes or 0)


def _has_display(env: Mapping[str, str]) -> bool:
    """Whether SDL can open a window: an X11 or Wayland display, or a video driver chosen by hand (e.g. dummy)."""
    return any(env.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER"))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m samples.city_game", description=__doc__)
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--height", type=int, default=360)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--frames", type=int, default=300, help="frames to play (1/30 s of game time each)")
    p.add_argument("--mod", dest="mods", action="append", default=[], metavar="FILE",
                   help="load a mod script (repeatable)")
    p.add_argument("--mods-dir", default=None, help="also load every *.py in this folder")
    p.add_argument("--renderer", choices=("deferred", "deferred2", "forward"), default="deferred",
                   help="deferred: 4-target G-buffer, reversed Z (default); deferred2: 2-target G-buffer, "
                        "left-handed, D24S8, off-screen image blitted to the back buffer; forward: no G-buffer")
    p.add_argument("--no-markers", action="store_true", help="no debug groups and no object labels")
    p.add_argument("--no-hud", action="store_true")
    p.add_argument("--weather", choices=WEATHERS, default=None)
    p.add_argument("--time", type=_clock, default=None, metavar="HH:MM", help="initial clock")
    p.add_argument("--screenshot", type=Path, default=None, help="write the last frame as PNG")
    p.add_argument("--ground-truth", type=Path, default=None, metavar="DIR",
                   help="write DIR/frame_NNNNNN.gt.npz for every frame")
    p.add_argument("--benchmark", action="store_true", help="print frames per second at the end")
    p.add_argument("--window", action="store_true",
                   help="also show each frame in a window (needs pygame and a display; Escape quits)")
    args = p.parse_args(argv)
    if args.window and not _has_display(os.environ):
        p.exit(2, f"{p.prog}: error: --window needs a display: set DISPLAY or WAYLAND_DISPLAY "
                  "(or SDL_VIDEODRIVER, e.g. dummy)\n")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    config = GameConfig(width=args.width, height=args.height, seed=args.seed, frames=args.frames,
                        mods=discover_mods(args.mods, args.mods_dir), markers=not args.no_markers,
                        hud=not args.no_hud, screenshot=args.screenshot, ground_truth_dir=args.ground_truth,
                        weather=args.weather, clock=args.time, renderer=args.renderer)
    game = Game(config)
    if args.window:
        from .window import GameWindow  # pygame only when a window is asked for

        with GameWindow(args.width, args.height) as window:
            fps = game.run(present=window.present)
    else:
        fps = game.run()
    if args.benchmark:
        print(f"{fps:.1f} frames/s at {args.width}x{args.height}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
