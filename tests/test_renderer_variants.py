"""The sample game's renderer variants (`--renderer deferred2|forward`) draw the same city with other engines'
conventions; their depth buffers and G-buffer normals decode, with the documented conventions, to the
ground truth the game writes for them."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("moderngl")

from samples.city_game.game import Game, GameConfig  # noqa: E402

W, H = 320, 180
FRAMES = 8
VARIANTS = ("deferred2", "forward")


def _played(renderer: str, **kwargs) -> Game:
    game = Game(GameConfig(width=W, height=H, seed=3, renderer=renderer, **kwargs))
    for _ in range(FRAMES):
        game.step()
    return game


@pytest.fixture(scope="module")
def games() -> dict[str, Game]:
    return {renderer: _played(renderer) for renderer in ("deferred", *VARIANTS)}


def window_depth_to_distance(depth: np.ndarray, proj: np.ndarray) -> np.ndarray:
    """Distance along the view axis from GL window depth (-1..1 clip range) through the inverse projection."""
    ndc = np.stack([np.zeros_like(depth), np.zeros_like(depth), depth * 2.0 - 1.0, np.ones_like(depth)], axis=-1)
    view = ndc.astype(np.float64) @ np.linalg.inv(proj).T
    return np.abs(view[..., 2] / view[..., 3])


def decode_spheremap(encoded: np.ndarray) -> np.ndarray:
    """The documented deferred2 decoding: Lambert azimuthal, pole at -Z (the left-handed view's camera side)."""
    f = encoded.astype(np.float64) * 4.0 - 2.0
    d = np.sum(f * f, axis=-1, keepdims=True)
    return np.concatenate([f * np.sqrt(np.maximum(1.0 - d / 4.0, 0.0)), d / 2.0 - 1.0], axis=-1)


@pytest.mark.parametrize("renderer", VARIANTS)
def test_scene_depth_decodes_to_ground_truth(games: dict[str, Game], renderer: str) -> None:
    game = games[renderer]
    truth = game.renderer.ground_truth_arrays()
    cam = game.renderer.last_camera
    depth = game.renderer.read_scene_depth()
    sky = np.isinf(truth["depth_m"])
    assert 0.02 < sky.mean() < 0.5 and not sky[H // 2:].any(), "sky above the street, none below the horizon"
    assert np.array_equal(depth == 1.0, sky), "cleared to 1.0 (far) where nothing was drawn"
    distance = window_depth_to_distance(depth[~sky], cam.proj)
    assert np.allclose(distance, truth["depth_m"][~sky], rtol=1e-3)


@pytest.mark.parametrize(("renderer", "forward_z"), [("deferred2", 1.0), ("forward", -1.0)])
def test_handedness(games: dict[str, Game], renderer: str, forward_z: float) -> None:
    """deferred2's view is left-handed (the camera looks down +Z, w = +z); forward's is right-handed (-Z)."""
    game = games[renderer]
    cam = game.renderer.last_camera
    assert cam.proj[3, 2] == forward_z and np.isclose(np.linalg.det(cam.view[:3, :3]), 1.0)
    depth = game.renderer.read_scene_depth()
    drawn = depth < 1.0
    ys, xs = np.nonzero(drawn)
    ndc = np.stack([(xs + 0.5) / W * 2 - 1, 1 - (ys + 0.5) / H * 2, depth[drawn] * 2 - 1, np.ones(len(xs))], axis=-1)
    view = ndc @ np.linalg.inv(cam.proj).T
    points = view[:, :3] / view[:, 3:]
    assert np.all(np.sign(points[:, 2]) == forward_z), "everything drawn lies along the view's forward axis"
    normals = game.renderer.ground_truth_arrays()["normal_view"][drawn]
    assert np.mean(np.sum(normals * -points, axis=1) > 0) > 0.99, "visible surfaces face the camera"


def test_deferred2_normals_are_view_space_spheremap(games: dict[str, Game]) -> None:
    renderer = games["deferred2"].renderer
    truth = renderer.ground_truth_arrays()
    raw = renderer.gbuffer_fbo.read(components=2, attachment=1, dtype="f2")
    encoded = np.frombuffer(raw, np.float16).reshape(H, W, 2)[::-1]
    geometry = np.isfinite(truth["depth_m"])
    error = np.linalg.norm(decode_spheremap(encoded[geometry]) - truth["normal_view"][geometry], axis=-1)
    assert np.percentile(error, 99) < 0.01
    assert np.all(encoded[~geometry] == 0)


@pytest.mark.parametrize("renderer", VARIANTS)
def test_same_scene_as_the_deferred_renderer(games: dict[str, Game], renderer: str) -> None:
    """Same seed, same frame: the ground truth agrees with the default renderer's up to rasterisation edges."""
    ours, theirs = games[renderer].renderer.ground_truth_arrays(), games["deferred"].renderer.ground_truth_arrays()
    assert np.mean(ours["stencil"] == theirs["stencil"]) > 0.995
    both = np.isfinite(ours["depth_m"]) & np.isfinite(theirs["depth_m"])
    assert np.median(np.abs(ours["depth_m"][both] / theirs["depth_m"][both] - 1.0)) < 1e-4


@pytest.mark.parametrize("renderer", VARIANTS)
def test_ui_is_drawn_into_the_back_buffer_after_the_final_image(renderer: str) -> None:
    with_ui, without = _played(renderer, markers=False), _played(renderer, hud=False)
    with_ui.renderer.keep_pre_hud = True
    with_ui.step()
    without.step()
    pre_ui = with_ui.renderer.pre_hud_image
    assert np.array_equal(pre_ui, without.renderer.read_back_buffer())
    changed = np.any(with_ui.renderer.read_back_buffer() != pre_ui, axis=2)
    assert changed[H - H // 4:, : W // 4].mean() > 0.3 and changed[H - H // 4:, W - W // 4:].mean() > 0.3
    assert changed[H // 4: H - H // 3, W // 4: W - W // 4].sum() == 0
    if renderer == "deferred2":
        final = np.frombuffer(with_ui.renderer.final_fbo.read(components=3), np.uint8).reshape(H, W, 3)[::-1]
        assert np.array_equal(final, pre_ui), "the back buffer before the UI is the blitted off-screen image"
