"""Frames per second of the sample game, headless, without RenderDoc.

    python bench/bench_city_game.py [--width 640 --height 360 --frames 150 --warmup 30]

The first frames pay for llvmpipe compiling shader variants, so they run
before the clock starts; the figure is the steady-state rate of whole frames
(simulation, every render pass and the HUD, glFinish included).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from samples.city_game.game import Game, GameConfig  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--height", type=int, default=360)
    p.add_argument("--frames", type=int, default=150)
    p.add_argument("--warmup", type=int, default=30)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--weather", default="clear")
    args = p.parse_args()
    game = Game(GameConfig(width=args.width, height=args.height, seed=args.seed, weather=args.weather))
    for _ in range(args.warmup):
        game.step()
    start = time.perf_counter()
    for _ in range(args.frames):
        game.step()
    fps = args.frames / (time.perf_counter() - start)
    print(f"city_game {args.width}x{args.height} weather={args.weather}: {fps:.1f} frames/s "
          f"({args.frames} frames after {args.warmup} warm-up)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
