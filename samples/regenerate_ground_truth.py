"""Rewrite the ground truth of sample-game captures by replaying the game to the captured frame, not recapturing.

    python -m samples.regenerate_ground_truth samples/captures      # every <capture>.json sidecar there
    python -m samples.regenerate_ground_truth samples/captures --check   # compare only, write nothing

The game is deterministic for a seed: each capture's sidecar gives the world seed, the frame number and the
clock and weather its capture mod set at start (mod_scripts/city_game/autocapture.py, whose player settings
are repeated here). The game runs headless without RenderDoc to that frame and renders its ground truth
again. The new file replaces `<capture>.gt.npz` only when its `depth_m`, `stencil`, `view`, `proj`, `near`
and `far` equal the shipped ones exactly: the proof that it is the captured frame. The `.rdc` files are not
touched.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from rdc_extract.capture.sidecar import read_sidecar

from .city_game.game import Game, GameConfig

#: What the shipped ground truth already held: the new render must reproduce each exactly.
PROOF_ARRAYS = ("depth_m", "stencil", "view", "proj", "near", "far")
AUTOPILOT_MPS = 11.0  # mod_scripts/city_game/autocapture.py


class _ReplayMod:
    """The capture mod's effect on the game, without RenderDoc: the same player settings, clock and weather at
    start, and a ground-truth request at the captured frame."""

    def __init__(self, hour: int, minute: int, weather: str, frame: int, prefix: str) -> None:
        self.hour, self.minute, self.weather, self.frame, self.prefix = hour, minute, weather, frame, prefix

    def on_start(self, natives) -> None:
        natives.set_player_invincible(True)
        natives.set_vehicle_doors_locked(True)
        natives.set_autopilot(True, speed=AUTOPILOT_MPS)
        natives.set_clock(self.hour, self.minute)
        natives.set_weather(self.weather)

    def after_frame(self, natives) -> None:
        if natives.frame_number() == self.frame:
            natives.write_ground_truth(self.prefix)
            natives.quit()


def render_again(sidecar_path: Path, prefix: str, width: int, height: int) -> Path:
    """Play the sidecar's launch to its frame and write `<prefix>.gt.npz`."""
    sidecar = read_sidecar(sidecar_path)
    step = sidecar.plan_step or {}
    if not {"hour", "minute", "weather"} <= set(step):
        raise SystemExit(f"{sidecar_path}: no plan step with the clock and weather set at start")
    game = Game(GameConfig(width=width, height=height, seed=sidecar.seed, frames=sidecar.frame_number + 1))
    game.mods.mods = [_ReplayMod(int(step["hour"]), int(step["minute"]), str(step["weather"]),
                                 sidecar.frame_number, prefix)]
    game.run()
    return Path(f"{prefix}.gt.npz")


def differences(shipped: Path, new: Path) -> list[str]:
    """The proof arrays that are not exactly equal between the two files, and what the shipped file holds that
    the new one lacks (another renderer's `normal_view`)."""
    with np.load(shipped) as old, np.load(new) as now:
        return [name for name in PROOF_ARRAYS
                if name not in old or name not in now or not np.array_equal(old[name], now[name])] + \
            sorted(set(old.files) - set(now.files))


def regenerate(folder: Path, check_only: bool) -> bool:
    """Every capture of `folder` with a sidecar and a shipped ground truth; True when all were the same frame."""
    ok = True
    for sidecar_path in sorted(folder.glob("*.json")):
        shipped = sidecar_path.with_suffix(".gt.npz")
        if not shipped.is_file():
            continue
        with np.load(shipped) as old:
            height, width = old["depth_m"].shape
        with tempfile.TemporaryDirectory(prefix="regenerate_gt_") as scratch:
            new = render_again(sidecar_path, str(Path(scratch) / "frame"), width, height)
            different = differences(shipped, new)
            if different:
                ok = False
                print(f"{shipped.name}: NOT the captured frame ({', '.join(different)} differ); left as it was")
                continue
            if check_only:
                print(f"{shipped.name}: the same frame")
                continue
            with np.load(new) as arrays:
                contents = {name: arrays[name] for name in arrays.files}
            camera = {name: contents.pop(name) for name in ("view", "proj", "near", "far")}
            tmp = shipped.with_name(shipped.name + ".tmp.npz")
            np.savez_compressed(tmp, **contents, **camera)
            os.replace(tmp, shipped)
            print(f"{shipped.name}: the same frame; rewritten with {', '.join(sorted(contents))}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m samples.regenerate_ground_truth", description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--check", action="store_true", help="compare with the shipped ground truth, write nothing")
    args = parser.parse_args(argv)
    return 0 if regenerate(args.folder, args.check) else 1


if __name__ == "__main__":
    sys.exit(main())
