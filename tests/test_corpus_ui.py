"""The real-games corpus: the RGB is read before the UI, at the event samples/corpus/README.md found by eye.

One identification and two back-buffer reads (pre-UI event, last draw) per
capture; extraction without a camera is covered by `--outputs rgb` on one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from rdc_extract.cli import app
from rdc_extract.decode.formats import TextureDesc
from rdc_extract.decode.textures import decode_color_u8
from rdc_extract.profiles.identify import Identification
from rdc_extract.profiles.registry import choose_profile
from rdc_extract.frame.model import DrawState
from rdc_extract.rd.frame_reader import read_frame, replay_draw_state
from rdc_extract.rd.readback import read_at_events
from rdc_extract.rd.session import open_capture
from rdc_extract.rd.stream_state import stream_draw_states
from tests.corpus import decompressed

# (pre-UI event, first UI event, UI boxes (x0, y0, x1, y1) in the image as read back), from samples/corpus/README.md.
EXPECTED = {
    "neverball": (585, 602, [(190, 230, 290, 270), (415, 230, 480, 270)]),         # timer, coin panel
    "minetest": (2123, 2138, [(0, 0, 440, 70), (225, 120, 255, 150), (0, 200, 480, 270)]),  # chat, crosshair, hotbar
    "warzone2100": (1106, 1140, [(0, 340, 180, 480), (150, 460, 480, 480)]),     # build panel + text, power bar
}


@dataclass
class Images:
    found: Identification
    pre_ui: np.ndarray
    final: np.ndarray
    recorded: dict[int, DrawState | None]
    replayed: dict[int, DrawState | None]


def _images(game: str, tmp_path_factory: pytest.TempPathFactory) -> Images:
    capture = decompressed(game, tmp_path_factory.mktemp(game))
    with open_capture(capture) as session:
        frame = read_frame(session)
        found = choose_profile(frame, None).identification
        target, last = found.final_image_target, frame.draws[-1].event_id
        index = next(i for i, a in enumerate(frame.draws) if a.event_id == found.final_image_event)
        near = {a.event_id for a in frame.draws[max(index - 3, 0):index + 4]}
        recorded = stream_draw_states(session.controller, session.api, near)
        replayed = {event: replay_draw_state(session, event) for event in near}
        pre_ui = read_at_events(session, [(found.final_image_event, (target,))]).data[target]
        final = read_at_events(session, [(last, (target,))]).data[target]
    texture = frame.textures[target]
    desc = TextureDesc(texture.width, texture.height, texture.format, frame.api)
    return Images(found, decode_color_u8(pre_ui, desc), decode_color_u8(final, desc),
                  {event: recorded.get(event) for event in replayed}, replayed)


@pytest.fixture(scope="module", params=sorted(EXPECTED))
def corpus(request, tmp_path_factory) -> tuple[str, Images]:
    return request.param, _images(request.param, tmp_path_factory)


def test_the_rgb_is_read_at_the_last_scene_draw_before_the_ui(corpus):
    game, images = corpus
    pre_ui, first_ui, _ = EXPECTED[game]
    found = images.found
    assert (found.final_image_event, found.first_hud_event) == (pre_ui, first_ui)
    assert found.final_image_rule.startswith(f"last scene draw (event {pre_ui}) before ")


def test_the_pre_ui_image_differs_from_the_final_one_only_inside_the_ui(corpus):
    game, images = corpus
    changed = np.any(images.pre_ui != images.final, axis=-1)
    inside = np.zeros_like(changed)
    for x0, y0, x1, y1 in EXPECTED[game][2]:
        inside[y0:y1, x0:x1] = True
        assert changed[y0:y1, x0:x1].any(), f"no UI in box {(x0, y0, x1, y1)}"
    assert not (changed & ~inside).any(), np.argwhere(changed & ~inside)[:5]


def test_draw_state_from_the_recorded_calls_agrees_with_the_replay(corpus):
    """Around the scene/UI boundary, the state read without replaying is the state the replay reports."""
    _, images = corpus
    def essentials(state: DrawState | None) -> tuple | None:
        return None if state is None else (state.depth_test, state.uses_depth, state.blending)

    assert {e: essentials(s) for e, s in images.recorded.items()} == {e: essentials(s) for e, s in images.replayed.items()}
    assert all(state is not None for state in images.recorded.values())


def test_extract_and_inspect_say_where_and_why_the_rgb_was_read(tmp_path):
    capture = decompressed("neverball", tmp_path)
    result = CliRunner().invoke(app, ["extract", str(capture), str(tmp_path / "out"), "--outputs", "rgb"])
    assert result.exit_code == 0, result.output
    frame_dir = next((tmp_path / "out" / "frames").iterdir())
    meta = json.loads((frame_dir / "meta.json").read_text())
    assert meta["final_image"]["event"] == 585 and meta["final_image"]["first_ui_event"] == 602
    assert meta["final_image"]["why"].startswith("last scene draw (event 585) before 13 UI draws")
    assert np.asarray(Image.open(frame_dir / "rgb.png")).shape[:2] == (270, 480)
    shown = CliRunner().invoke(app, ["inspect", str(capture)])
    assert "rgb read at" in shown.stdout and "event 585: last scene draw" in shown.stdout


def _share_changed(a: np.ndarray, b: np.ndarray, box: tuple[int, int, int, int] | None = None,
                   skip: tuple[int, int, int, int] | None = None) -> float:
    """Share of the pixels of `box` (default: all) outside `skip` where a and b differ by more than 8 levels."""
    changed = np.abs(a[..., :3].astype(np.int16) - b[..., :3].astype(np.int16)).max(axis=-1) > 8
    counted = np.zeros_like(changed)
    x0, y0, x1, y1 = box or (0, 0, changed.shape[1], changed.shape[0])
    counted[y0:y1, x0:x1] = True
    if skip:
        counted[skip[1]:skip[3], skip[0]:skip[2]] = False
    return float(changed[counted].mean())


def test_the_pre_ui_rgb_is_the_image_the_game_shows_with_its_hud_hidden(tmp_path_factory):
    """minetest_still (HUD on) and minetest_nohud (F1, F2: HUD and chat hidden) show the same static view.

    Our pre-UI RGB of the first is the second's final image except for the wielded hand, which minetest
    draws into the scene depth (so it is scene by state) but hides with the HUD, and a few distant and
    near map blocks meshed differently from one run to the next (under 3 % of the image).
    """
    with_hud = _images("minetest_still", tmp_path_factory)
    hidden = _images("minetest_nohud", tmp_path_factory)
    assert with_hud.found.first_hud_event is not None
    assert hidden.found.first_hud_event is None, hidden.found.final_image_rule
    hand = (300, 180, 480, 270)
    assert _share_changed(with_hud.pre_ui, hidden.final, skip=hand) < 0.03
    assert _share_changed(with_hud.final, hidden.final, skip=hand) > 0.2        # chat, crosshair, hotbar
    for ui in ((0, 200, 300, 270), (225, 120, 255, 150), (0, 0, 400, 70)):     # hotbar, crosshair, chat
        assert _share_changed(with_hud.pre_ui, hidden.final, box=ui) < 0.01
        assert _share_changed(with_hud.final, hidden.final, box=ui) > 0.02
