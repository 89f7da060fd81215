"""The sample game: determinism, stencil classes against an independent ground truth, HUD placement, mods."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("moderngl")

from samples.city_game import classes as C  # noqa: E402
from samples.city_game.camera import depth_to_distance  # noqa: E402
from samples.city_game.game import Game, GameConfig  # noqa: E402
from samples.city_game.sim import Simulation  # noqa: E402
from samples.city_game.world import FIRST_STATIC_OBJECT, CityLayout  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
W, H = 320, 180


def _game(**kwargs) -> Game:
    return Game(GameConfig(width=W, height=H, **kwargs))


def _play(game: Game, frames: int) -> None:
    for _ in range(frames):
        game.step()


@pytest.fixture(scope="module")
def game() -> Game:
    g = _game(seed=3)
    _play(g, 12)
    return g


def test_same_seed_same_frame(game: Game) -> None:
    other = _game(seed=3)
    _play(other, 12)
    assert np.array_equal(game.renderer.read_back_buffer(), other.renderer.read_back_buffer())
    different = _game(seed=4)
    _play(different, 12)
    assert not np.array_equal(game.renderer.read_back_buffer(), different.renderer.read_back_buffer())


def test_stencil_matches_independent_ground_truth(game: Game) -> None:
    stencil = game.renderer.read_gbuffer_stencil()
    depth = game.renderer.read_gbuffer_depth()
    gt_depth_m, gt_stencil, _ = game.renderer.ground_truth()
    assert np.array_equal(stencil, gt_stencil)
    sky = gt_stencil == 0
    assert np.all(np.isinf(gt_depth_m[sky])) and np.all(depth[sky] == 0.0)
    decoded = depth_to_distance(depth)
    assert np.allclose(decoded[~sky], gt_depth_m[~sky], rtol=1e-3)


def test_classes_appear_where_expected(game: Game) -> None:
    stencil = game.renderer.read_gbuffer_stencil()
    assert np.mean(stencil[: H // 4] == 0) > 0.05, "sky above the street"
    assert not np.any(stencil[H // 2:] == 0), "no sky below the horizon"
    player = stencil[int(H * 0.6):int(H * 0.9), int(W * 0.4):int(W * 0.6)]
    assert np.mean(player == C.PLAYER_VEHICLE) > 0.5, "the player's car right in front of the camera"
    lower = stencil[H // 2:]
    for cls in (C.ROAD, C.LANE_MARKING, C.SIDEWALK):
        assert np.any(lower == cls), C.BY_ID[cls].name
    g = _game(seed=1)
    _play(g, 40)
    seen = set(np.unique(g.renderer.read_gbuffer_stencil()).tolist())
    expected = {c.id for c in C.CLASSES} | {C.PLAYER_VEHICLE}  # every class, sky (0) and the player
    assert seen == expected, f"missing {expected - seen}, unexpected {seen - expected}"


def test_hud_is_drawn_after_the_tone_mapped_image() -> None:
    with_hud, without = _game(seed=2), _game(seed=2, hud=False)
    with_hud.renderer.keep_pre_hud = True
    _play(with_hud, 3)
    _play(without, 3)
    pre_hud = with_hud.renderer.pre_hud_image
    assert np.array_equal(pre_hud, without.renderer.read_back_buffer())
    final = with_hud.renderer.read_back_buffer()
    changed = np.any(final != pre_hud, axis=2)
    assert changed[H - H // 4:, : W // 4].mean() > 0.3, "minimap bottom-left"
    assert changed[H - H // 4:, W - W // 4:].mean() > 0.3, "speedometer bottom-right"
    assert changed[H // 4: H - H // 3, W // 4: W - W // 4].sum() == 0, "nothing over the middle of the road"


def test_mod_changes_weather_and_clock(tmp_path: Path) -> None:
    mod = tmp_path / "night_rain.py"
    mod.write_text(
        "seen = []\n"
        "def on_start(natives):\n"
        "    natives.set_weather('rain')\n"
        "    natives.set_clock(22, 30)\n"
        "def on_tick(natives, dt):\n"
        "    seen.append((natives.get_weather(), natives.get_clock(), dt))\n"
    )
    modded, plain = _game(seed=5, mods=[mod]), _game(seed=5)
    modded.mods.call("on_start", modded.natives)
    _play(modded, 4)
    _play(plain, 4)
    weather, (hours, minutes), dt = modded.mods.mods[0].seen[-1]
    assert weather == "rain" and (hours, minutes) == (22, 30) and dt == pytest.approx(1 / 30)
    night = modded.renderer.read_back_buffer().astype(float)
    day = plain.renderer.read_back_buffer().astype(float)
    assert night.mean() < day.mean() * 0.7, "night is darker"
    assert np.array_equal(modded.renderer.read_gbuffer_stencil(), plain.renderer.read_gbuffer_stencil()), \
        "weather and time change the picture, not the G-buffer's meaning"


def test_unattended_run_ends_badly_and_natives_prevent_it() -> None:
    def outcome(protect: bool) -> list[str]:
        sim = Simulation(7, CityLayout())
        sim.player.invincible = sim.player.doors_locked = protect
        kinds = []
        for _ in range(2000):
            kinds += [e.kind for e in sim.tick()]
        return kinds

    assert {"player_died", "player_pulled_out"} & set(outcome(False))
    protected = outcome(True)
    assert not {"player_died", "player_pulled_out"} & set(protected)
    assert "vehicle_collision" in protected


def test_ground_truth_file(tmp_path: Path, game: Game) -> None:
    game.natives.write_ground_truth(str(tmp_path / "f"))
    game.step()
    data = np.load(tmp_path / "f.gt.npz")
    assert data["depth_m"].dtype == np.float32 and data["depth_m"].shape == (H, W)
    assert data["stencil"].dtype == np.uint8 and data["stencil"].shape == (H, W)
    assert data["view"].shape == (4, 4) and data["proj"].dtype == np.float64
    assert float(data["near"]) == pytest.approx(0.1) and float(data["far"]) == pytest.approx(1000.0)
    sky = np.isinf(data["depth_m"])
    assert sky[: H // 4].mean() > 0.05 and not sky[H // 2:].any(), "row 0 is the top of the image (sky)"
    assert np.array_equal(data["stencil"], game.renderer.read_gbuffer_stencil())
    instance, ids = data["instance"], data["instance_ids"]
    assert instance.dtype == np.uint32 and instance.shape == (H, W) and np.array_equal(instance == 0, sky)
    assert ids.tolist() == sorted(set(np.unique(instance).tolist()) - {0})
    for object_id, stencil in zip(ids, data["instance_stencil"]):
        assert (data["stencil"][instance == object_id] == stencil).all(), "one object, one class"
    assert 2000 in ids.tolist(), "the player's car"
    assert (ids >= FIRST_STATIC_OBJECT).sum() > 10, "buildings, trees, road pieces each an object of their own"


def test_cli_writes_nothing_unless_asked(tmp_path: Path) -> None:
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
    args = [sys.executable, "-m", "samples.city_game", "--width", "160", "--height", "90", "--frames", "3"]
    subprocess.run(args, cwd=tmp_path, env=env, check=True, timeout=60)
    assert list(tmp_path.iterdir()) == []
    shot, gt = tmp_path / "shot.png", tmp_path / "gt"
    subprocess.run(args + ["--screenshot", str(shot), "--ground-truth", str(gt), "--no-markers"], cwd=tmp_path,
                   env=env, check=True, timeout=60)
    assert shot.stat().st_size > 0
    assert sorted(p.name for p in gt.iterdir()) == [f"frame_{k:06d}.gt.npz" for k in range(3)]
