"""`--window`: the game shows its frames through SDL, quits on Escape or close, and refuses to start without a display.

Each run is a fresh interpreter, as a player would start it; SDL's dummy video driver stands in for a display.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("moderngl")

REPO = Path(__file__).resolve().parents[1]
GAME = [sys.executable, "-m", "samples.city_game", "--width", "160", "--height", "90", "--window"]
BARE_ENV = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}  # no DISPLAY, WAYLAND_DISPLAY or SDL_VIDEODRIVER

# Records every frame played and, after frame 2, posts the player's input as SDL would deliver it.
QUIT_MOD = '''
import os
import pygame

def after_frame(natives):
    with open(os.environ["PLAYED"], "a") as f:
        f.write(f"{natives.frame_number()} ")
    if natives.frame_number() == 2:
        pygame.event.post({EVENT})
'''
QUIT_EVENTS = {
    "escape": "pygame.event.Event(pygame.KEYDOWN, key=pygame.K_ESCAPE)",
    "close": "pygame.event.Event(pygame.QUIT)",
}


def test_window_mode_runs_and_exits_cleanly(tmp_path: Path) -> None:
    pytest.importorskip("pygame")
    done = subprocess.run(GAME + ["--frames", "5"], cwd=tmp_path, env=dict(BARE_ENV, SDL_VIDEODRIVER="dummy"),
                          timeout=120, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert list(tmp_path.iterdir()) == [], "a window writes nothing either"


@pytest.mark.parametrize("how", sorted(QUIT_EVENTS))
def test_escape_or_closing_the_window_quits(tmp_path: Path, how: str) -> None:
    pytest.importorskip("pygame")
    mod, played = tmp_path / "quit_mod.py", tmp_path / "played.txt"
    mod.write_text(QUIT_MOD.replace("{EVENT}", QUIT_EVENTS[how]))
    env = dict(BARE_ENV, SDL_VIDEODRIVER="dummy", PLAYED=str(played))
    done = subprocess.run(GAME + ["--frames", "100", "--mod", str(mod)], cwd=tmp_path, env=env, timeout=120,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert played.read_text().split() == ["0", "1", "2"], "the frame that saw the input is the last one"


def test_window_without_a_display_is_a_usage_error(tmp_path: Path) -> None:
    assert not {"DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER"} & set(BARE_ENV)
    done = subprocess.run(GAME + ["--frames", "5"], cwd=tmp_path, env=BARE_ENV, timeout=60, capture_output=True,
                          text=True)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "python -m samples.city_game: error: --window needs a display: set DISPLAY or WAYLAND_DISPLAY "
        "(or SDL_VIDEODRIVER, e.g. dummy)"
    ]
    assert done.stdout == ""
