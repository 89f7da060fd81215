"""The draw-id map's logic on plain data: which step owns which pixel, and which steps make the scene pass."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from frames import FrameBuilder, deferred_frame
from rdc_extract.decode.formats import TextureDesc, regular, special
from rdc_extract.extract.drawids import FAINT_LEVELS, DrawIdBuilder, DrawIdMap, level_channels, scene_pass
from rdc_extract.frame.model import Action
from rdc_extract.profiles.identify import identify
from rdc_extract.profiles.registry import resolve_profile
from rdc_extract.profiles.structure import identify_by_structure

H, W = 4, 6


def _draw(event: int, kind: str = "draw") -> Action:
    return Action(event, f"{kind} {event}", kind, ("Scene",))


class Targets:
    """A depth target (smaller = nearer, 1.0 = cleared) and one RGBA8 colour target, as raw pixel bytes."""

    def __init__(self) -> None:
        self.depth = np.ones((H, W), np.float32)
        self.colour = np.zeros((H, W, 4), np.uint8)

    def images(self) -> list[np.ndarray]:
        return [self.colour.copy(), self.depth.view(np.uint8).reshape(H, W, 4).copy()]

    def draw(self, region: tuple[slice, slice], depth: float | None, colour: int, test: str = "less") -> None:
        """Rasterise a flat rectangle: depth test, then colour (and depth unless `depth` writes are off)."""
        z = np.full((H, W), np.inf if depth is None else depth, np.float32)
        covered = np.zeros((H, W), bool)
        covered[region] = True
        if test == "less":
            covered &= z < self.depth
        elif test == "equal":
            covered &= np.isclose(self.depth, z)
        self.colour[covered] = colour
        if depth is not None and test != "equal":
            self.depth[covered] = depth


def _run(steps: list[tuple[Action, tuple[tuple[slice, slice], float | None, int, str] | None]]) -> np.ndarray:
    targets = Targets()
    builder = DrawIdBuilder([action for action, _ in steps], colour_images=1, level_channels=[3])
    builder.baseline(targets.images())
    for action, drawn in steps:
        if drawn is not None:
            targets.draw(*drawn)
        builder.after(action.event_id, targets.images())
    return builder.result()


def test_overdraw_nearest_later_draw_wins():
    everything, left = (slice(None), slice(None)), (slice(None), slice(0, 3))
    result = _run([(_draw(10), (everything, 0.8, 10, "less")), (_draw(11), (left, 0.5, 20, "less"))])
    assert (result.ids[:, :3] == 2).all() and (result.ids[:, 3:] == 1).all()
    assert [row["pixels"] for row in result.table] == [H * W // 2, H * W // 2]
    assert result.table[1] == {"index": 2, "event_id": 11, "name": "draw 11", "marker_path": ["Scene"], "pixels": 12}


def test_a_later_draw_hidden_by_depth_owns_nothing():
    everything = (slice(None), slice(None))
    result = _run([(_draw(10), (everything, 0.2, 10, "less")), (_draw(11), (everything, 0.6, 20, "less"))])
    assert (result.ids == 1).all() and result.table[1]["pixels"] == 0


def test_a_draw_that_changes_nothing_owns_nothing_and_keeps_its_index():
    top = (slice(0, 2), slice(None))
    result = _run([(_draw(10), (top, 0.5, 10, "less")), (_draw(11), None), (_draw(12), ((slice(None), slice(0, 1)), 0.4, 30, "less"))])
    assert result.table[1]["event_id"] == 11 and result.table[1]["pixels"] == 0
    assert (result.ids[2:, 1:] == 0).all() and (result.ids[:2, 1:] == 1).all() and (result.ids[:, 0] == 3).all()


def test_a_decal_writing_colour_but_not_depth_owns_its_pixels():
    everything, patch = (slice(None), slice(None)), (slice(1, 3), slice(1, 3))
    result = _run([(_draw(10), (everything, 0.5, 10, "less")), (_draw(11), (patch, 0.5, 99, "equal"))])
    assert (result.ids[1:3, 1:3] == 2).all() and (result.ids == 2).sum() == 4


def test_a_clear_gives_its_pixels_back_to_nobody():
    targets = Targets()
    steps = [_draw(10), _draw(11, "clear"), _draw(12)]
    builder = DrawIdBuilder(steps, colour_images=1)
    builder.baseline(targets.images())
    targets.draw((slice(None), slice(None)), 0.5, 10)
    builder.after(10, targets.images())
    targets.__init__()
    builder.after(11, targets.images())
    targets.draw((slice(0, 1), slice(None)), 0.5, 10)
    builder.after(12, targets.images())
    ids = builder.result().ids
    assert (ids[0] == 2).all() and (ids[1:] == 0).all()
    assert [row["event_id"] for row in builder.result().table] == [10, 12]


def test_a_depth_only_clear_keeps_the_colour_and_its_owner():
    targets = Targets()
    builder = DrawIdBuilder([_draw(10), _draw(11, "clear"), _draw(12)], colour_images=1)
    builder.baseline(targets.images())
    targets.draw((slice(None), slice(None)), 0.5, 10)
    builder.after(10, targets.images())
    targets.depth[:] = 1.0
    builder.after(11, targets.images())
    targets.draw((slice(3, 4), slice(4, 6)), 0.9, 50)
    builder.after(12, targets.images())
    ids = builder.result().ids
    assert (ids[3, 4:] == 2).all() and (ids == 1).sum() == H * W - 2


def _layered(change: int, rgb_only: bool = False) -> DrawIdMap:
    """Two opaque draws (left and right halves), then a blended layer over the whole frame that writes no depth
    and changes every pixel's colour by `change` levels (its alpha by 200: blending writes alpha too)."""
    targets = Targets()
    steps = [_draw(10), _draw(11), _draw(12)]
    builder = DrawIdBuilder(steps, colour_images=1, level_channels=[3])
    builder.baseline(targets.images())
    targets.draw((slice(None), slice(0, 3)), 0.5, 100)
    builder.after(10, targets.images())
    targets.draw((slice(None), slice(3, None)), 0.5, 100)
    builder.after(11, targets.images())
    targets.colour[..., :3] += np.array([change, change // 2, 0], np.uint8)
    if not rgb_only:
        targets.colour[..., 3] += 200
    builder.after(12, targets.images())
    return builder.result()


def test_a_faint_translucent_layer_over_the_frame_owns_nothing():
    """Haze or dust drawn late over most of the image shifts every pixel by a few levels: what is seen there is
    still what the earlier draws drew (a trigger-rally dust layer: median 4 levels, 89 % of the frame)."""
    result = _layered(FAINT_LEVELS)
    assert (result.ids[:, :3] == 1).all() and (result.ids[:, 3:] == 2).all()
    assert result.table[2]["pixels"] == 0 and result.table[2]["faint_layer"] == {"median_levels": FAINT_LEVELS}
    assert "faint_layer" not in result.table[0]


def test_a_blended_layer_that_changes_what_is_seen_owns_its_pixels():
    """Blended foliage, glass or a decal changes its pixels by more than a few levels: it is what is seen."""
    result = _layered(FAINT_LEVELS + 1, rgb_only=True)
    assert (result.ids == 3).all() and "faint_layer" not in result.table[2]


def test_a_layer_in_targets_not_stored_as_8_bit_levels_owns_what_it_changed():
    targets = Targets()
    builder = DrawIdBuilder([_draw(10), _draw(11)], colour_images=1, level_channels=[None])
    builder.baseline(targets.images())
    targets.draw((slice(None), slice(None)), 0.5, 100)
    builder.after(10, targets.images())
    targets.colour[..., 0] += 1
    builder.after(11, targets.images())
    assert (builder.result().ids == 2).all()


def test_a_draw_that_also_changes_a_target_not_counted_in_levels_owns_what_it_changed():
    """Beside an RGBA8 target barely touched, a float target (HDR colour, velocity) changed by an unknown amount:
    not a faint layer."""
    targets, hdr = Targets(), np.zeros((H, W, 8), np.uint8)
    builder = DrawIdBuilder([_draw(10), _draw(11)], colour_images=2, level_channels=[3, None])
    builder.baseline([targets.colour.copy(), hdr.copy(), targets.images()[1]])
    targets.draw((slice(None), slice(None)), 0.5, 100)
    builder.after(10, [targets.colour.copy(), hdr.copy(), targets.images()[1]])
    targets.colour[..., 0] += 1
    hdr[..., 0] = 60
    builder.after(11, [targets.colour.copy(), hdr.copy(), targets.images()[1]])
    assert (builder.result().ids == 2).all()


@pytest.mark.parametrize(("fmt", "expected"), [
    (regular("UNorm", 4, 1), 3), (regular("UNorm", 4, 1, bgra=True), 3), (regular("UNormSRGB", 4, 1), 3),
    (regular("UNorm", 1, 1), 1), (regular("UNorm", 2, 1), 2), (regular("Typeless", 4, 1), 3),
    (regular("Float", 4, 2), None), (regular("UNorm", 4, 2), None), (regular("UInt", 4, 1), None),
    (special("R10G10B10A2"), None), (special("R11G11B10", "Float"), None),
])
def test_only_8_bit_colour_channels_are_measured_in_levels(fmt, expected):
    assert level_channels(TextureDesc(4, 4, fmt, "Vulkan")) == expected


def test_steps_need_a_baseline_first():
    with pytest.raises(ValueError, match="baseline"):
        DrawIdBuilder([_draw(1)], colour_images=1).after(1, Targets().images())


def test_the_scene_pass_of_a_deferred_frame_is_the_gbuffer_pass():
    frame = deferred_frame()
    found = identify(frame, resolve_profile("city_game"))
    scene = scene_pass(frame, found)
    assert scene.targets == (10, 11, 12, 13, 20) and scene.colour_targets == 4
    assert [a.kind for a in scene.steps] == ["clear"] + ["draw"] * 50
    assert scene.steps[0].event_id == found.gbuffer_first_event and scene.steps[-1].event_id == found.gbuffer_last_event
    assert scene.baseline_event == scene.steps[0].event_id - 1


def test_the_scene_pass_of_a_forward_frame_stops_before_the_ui_and_skips_full_screen_draws():
    b = FrameBuilder()
    depth, hdr, back = b.texture(20, "D32"), b.texture(30, "R16G16B16A16_FLOAT"), b.texture(40, "R8G8B8A8_UNORM", swap=True)
    b.add("clear", (hdr,), depth)
    b.add("draw", (hdr,), depth, count=20)
    b.add("draw", (hdr,), None, vertices=3)
    b.add("draw", (back,), None, vertices=3)
    b.add("draw", (back,), None, vertices=24, count=3)
    frame = b.frame()
    found = identify_by_structure(frame, resolve_profile("generic"))
    scene = scene_pass(frame, found)
    assert found.gbuffer_pass is None
    assert scene.targets == (hdr, depth) and scene.colour_targets == 1
    assert [a.event_id for a in scene.draws] == list(range(2, 22))


def test_a_gbuffer_pass_without_depth_compares_its_colour_targets():
    b = FrameBuilder()
    gbuffer = (b.texture(10, "R8G8B8A8_SRGB"), b.texture(11, "R8G8B8A8_UNORM"), b.texture(12, "R8G8B8A8_UNORM", (320, 180)))
    b.add("draw", gbuffer, None, count=5)
    frame = b.frame()
    found = dataclasses.replace(identify(deferred_frame(), resolve_profile("city_game")),
                                gbuffer_pass=0, gbuffer_last_event=5, depth_target=0)
    scene = scene_pass(frame, found)
    assert scene.targets == (10, 11) and scene.colour_targets == 2 and len(scene.draws) == 5
