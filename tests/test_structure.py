"""Identification without a profile (profiles/structure.py) on plain-data frames: one test per rule."""

from __future__ import annotations

import pytest

from rdc_extract.errors import IdentificationFailed
from rdc_extract.frame.model import REPLAY_CREATED_IDS_FROM, DrawState, capture_resource_id
from rdc_extract.frame.overlay import is_fullscreen, last_scene_draw
from rdc_extract.profiles.registry import identify_with, resolve_profile
from tests.frames import FrameBuilder, deferred_frame

UI = DrawState(depth_test=False, blending=True)


@pytest.fixture(scope="module")
def generic():
    return resolve_profile("generic")


def _two_target_deferred(blit: bool, reads: bool = True) -> FrameBuilder:
    """Shadow → 2-target G-buffer → lighting (samples it + depth) → tone map [→ blit] → 3 UI quads."""
    b = FrameBuilder()
    shadow, albedo, normal = b.texture(1, "D32", (768, 768)), b.texture(2, "R8G8B8A8_UNORM"), b.texture(3, "R8G8B8A8_UNORM")
    depth, hdr, ldr = b.texture(4, "D32S8"), b.texture(5, "R16G16B16A16_FLOAT"), b.texture(6, "R8G8B8A8_UNORM")
    back = b.texture(7, "R8G8B8A8_UNORM", swap=True)
    b.add("draw", (), shadow, count=30)
    b.add("clear", (albedo, normal), depth)
    b.add("draw", (albedo, normal), depth, count=20)
    b.add("draw", (hdr,), None, vertices=3, reads=(albedo, normal, depth, shadow) if reads else ())
    b.add("draw", (ldr if blit else back,), None, vertices=3, reads=(hdr,) if reads else ())
    if blit:
        b.add("copy", (back,), None, copy_source=ldr, copy_destination=back)
    b.add("draw", (back,), None, vertices=4, count=3)
    return b


def test_two_target_gbuffer_and_blit_to_the_back_buffer(generic):
    frame = _two_target_deferred(blit=True).frame()
    frame.draw_states = {55: UI}
    found = identify_with(frame, generic)
    assert (found.gbuffer_pass, found.gbuffer_first_event, found.gbuffer_last_event) == (1, 31, 51)
    assert found.target_roles == {"albedo": 2, "normals": 3} and found.depth_target == 4
    assert (found.final_image_event, found.final_image_target, found.first_hud_event) == (54, 7, 55)
    assert "blit/copy of #6" in found.final_image_rule
    assert found.evidence[0] == "G-buffer: pass 1 (2 targets at 640×360, 20 draws, read by full-screen draw 52)"
    assert any("depth test off, blending" in line for line in found.evidence)


def test_scene_depth_is_the_most_drawn_depth_at_the_image_size(generic):
    frame = _two_target_deferred(blit=False).frame()   # the 768² shadow map has more draws
    found = identify_with(frame, generic)
    assert found.depth_target == 4 and found.depth_event == 51
    assert any("other depth targets: #1 (30 draws, 768×768)" in line for line in found.evidence)


def test_without_reads_two_targets_followed_by_a_full_screen_draw_is_the_gbuffer(generic):
    found = identify_with(_two_target_deferred(blit=False, reads=False).frame(), generic)
    assert found.gbuffer_pass == 1 and "what it samples is not known" in found.evidence[0]


def test_one_target_needs_a_full_screen_reader_of_it_and_the_depth(generic):
    b = FrameBuilder()
    colour, depth, back = b.texture(1, "R16G16B16A16_FLOAT"), b.texture(2, "D32S8"), b.texture(3, "R8G8B8A8_UNORM", swap=True)
    b.add("draw", (colour,), depth, count=10)
    b.add("draw", (back,), None, vertices=3, reads=(colour,))   # tone mapping only: forward into HDR
    assert identify_with(b.frame(), generic).gbuffer_pass is None
    b.actions[-1] = b.actions[-1].__class__(**{**vars(b.actions[-1]), "reads": (colour, depth)})
    assert identify_with(b.frame(), generic).gbuffer_pass == 0


def test_forward_frame_has_no_gbuffer_and_ui_by_state(generic):
    b = FrameBuilder()
    back, depth = b.texture(1, "R8G8B8A8_UNORM", swap=True), b.texture(2, "D32S8")
    b.add("clear", (back,), depth)
    b.add("draw", (back,), depth, count=40)
    b.add("draw", (back,), depth, vertices=3)            # sky
    b.add("draw", (back,), depth, vertices=4, count=3)   # UI, same targets
    frame = b.frame()
    frame.draw_states = {43: UI}
    found = identify_with(frame, generic)
    assert found.gbuffer_pass is None and found.gbuffer_last_event is None and found.target_roles == {}
    assert (found.depth_target, found.depth_event) == (2, 41)
    assert (found.final_image_event, found.first_hud_event) == (42, 43)
    assert found.evidence[0].startswith("no G-buffer: forward renderer")


def test_textures_the_replay_made_are_named_in_evidence_not_numbered(generic):
    """An OpenGL window's default framebuffer exists only in replay: RenderDoc numbers it from 10**18 up, afresh in
    every replay of a process, so evidence written to meta.json names it instead."""
    b = FrameBuilder()
    made = REPLAY_CREATED_IDS_FROM + 264
    back, depth = b.texture(made, "R8G8B8A8_UNORM", swap=True), b.texture(made + 1, "D32S8")
    other = b.texture(9, "D32")
    b.add("draw", (back,), other, count=2)
    b.add("draw", (back,), depth, count=40)
    frame = b.frame()
    found = identify_with(frame, generic)
    assert found.depth_target == made + 1
    evidence = "\n".join(found.evidence)
    assert f"scene depth: 'Texture {made + 1}' D32S8" in evidence and "other depth targets: #9 (2 draws" in evidence
    assert f"#{made}" not in evidence and f"#{made + 1}" not in evidence
    assert (capture_resource_id(9), capture_resource_id(made)) == (9, None)
    assert (frame.texture_ref(9), frame.texture_ref(made), frame.texture_ref(12345)) == ("#9", f"'Texture {made}'", "#12345")


def test_scene_depth_is_read_before_a_late_depth_clear_for_a_first_person_hand(generic):
    b = FrameBuilder()
    back, depth = b.texture(1, "R8G8B8A8_UNORM", swap=True), b.texture(2, "D32S8")
    b.add("draw", (back,), depth, count=40)   # events 1-40: the world
    b.add("clear", (back,), depth)            # 41: depth cleared
    b.add("draw", (back,), depth, count=2)    # 42-43: the hand
    found = identify_with(b.frame(), generic)
    assert found.depth_event == 40
    assert any("before the depth clear at event 41" in line for line in found.evidence)
    b.add("clear", (back,), depth)            # 44
    b.add("draw", (back,), depth, count=50)   # a second scene as large as the first is no hand
    assert identify_with(b.frame(), generic).depth_event == 94


def test_draws_after_the_image_that_are_not_overlays_are_not_ui(generic):
    b = FrameBuilder()
    back, depth = b.texture(1, "R8G8B8A8_UNORM", swap=True), b.texture(2, "D32S8")
    b.add("draw", (back,), depth, count=10)
    b.add("draw", (back,), depth, vertices=3)
    b.add("draw", (back,), depth, count=5)
    frame = b.frame()
    frame.draw_states = {12: DrawState(depth_test=True, blending=False)}
    found = identify_with(frame, generic)
    assert found.first_hud_event is None and found.final_image_event == 16
    assert "is not UI (depth test on)" in found.final_image_rule


def test_several_gbuffer_candidates_are_listed(generic):
    b = FrameBuilder()
    g1, g2 = (1, 2), (4, 5)
    for rid in g1 + g2:
        b.texture(rid, "R8G8B8A8_UNORM")
    b.texture(3, "D32S8")
    back, hdr = b.texture(6, "R8G8B8A8_UNORM", swap=True), b.texture(7, "R16G16B16A16_FLOAT")
    b.add("draw", g1, 3, count=30)
    b.add("draw", g2, 3, count=10)
    b.add("draw", (hdr,), None, vertices=3, reads=g1 + g2 + (3,))
    b.add("draw", (back,), None, vertices=3, reads=(hdr,))
    found = identify_with(b.frame(), generic)
    assert found.gbuffer_pass == 0
    assert found.evidence[1] == "  other G-buffer candidates: pass 1 (10 draws)"


def test_the_sample_frame_is_identified_as_the_profile_does(generic):
    found = identify_with(deferred_frame(markers=False), generic)
    assert (found.gbuffer_pass, found.final_image_event, found.depth_target) == (1, 84, 20)


def test_a_frame_without_depth_fails_with_its_passes(generic):
    b = FrameBuilder()
    b.add("draw", (b.texture(1, "R8G8B8A8_UNORM", swap=True),), None, vertices=3)
    with pytest.raises(IdentificationFailed, match="no scene depth") as failure:
        identify_with(b.frame(), generic)
    assert failure.value.candidates[0].reasons == ["no depth target"]


SCENE = DrawState(depth_test=True, blending=False, depth_write=True)


def _forward_with_ui(states: dict[int, DrawState], scene: int = 40, ui: int = 6) -> tuple[FrameBuilder, dict]:
    """Sky without depth (event 1), `scene` depth-tested draws, then `ui` draws, all into the back buffer."""
    b = FrameBuilder()
    back, depth = b.texture(1, "R8G8B8A8_UNORM", swap=True), b.texture(2, "D32S8")
    b.add("draw", (back,), depth, vertices=3072)
    b.add("draw", (back,), depth, count=scene)
    b.add("draw", (back,), depth, vertices=4, count=ui)
    sky = {1: DrawState(depth_test=False, blending=False)}
    return b, {**sky, **{e: SCENE for e in range(2, scene + 2)}, **states}


def test_forward_frame_ends_at_the_last_draw_using_depth_before_the_ui(generic):
    b, states = _forward_with_ui({e: UI for e in range(42, 48)})
    frame, asked = b.frame(), []
    frame.state_reader = lambda event: asked.append(event) or states.get(event)
    found = identify_with(frame, generic)
    assert (found.final_image_event, found.first_hud_event, found.depth_event) == (41, 42, 41)
    assert found.final_image_rule.startswith("last scene draw (event 41) before 6 UI draws (events 42–47")
    assert sorted(asked) == [40, 41, 42, 44, 46, 47]   # gallop back 47, 46, 44, 40, then bisect 42, 41


def test_ui_with_an_always_passing_depth_test_or_a_small_viewport_is_ui(generic):
    always = DrawState(depth_test=True, blending=True, depth_always=True)
    inset = DrawState(depth_test=True, blending=False, depth_write=True, viewport=(160.0, 90.0))
    b, states = _forward_with_ui({42: always, 43: always, 44: inset, 45: inset, 46: UI, 47: UI})
    frame = b.frame()
    frame.draw_states = states
    assert identify_with(frame, generic).final_image_event == 41


def test_an_always_passing_test_that_writes_depth_is_scene():
    assert DrawState(depth_test=True, blending=False, depth_write=True, depth_always=True).uses_depth
    assert not DrawState(depth_test=False, blending=False, depth_write=True).uses_depth
    flipped = DrawState(depth_test=True, blending=False, viewport=(640.0, -360.0))
    assert flipped.draws_scene((640, 360))


def test_forward_frame_whose_last_draw_uses_depth_has_no_ui(generic):
    b, states = _forward_with_ui({e: SCENE for e in range(42, 48)})
    frame = b.frame()
    frame.draw_states = states
    found = identify_with(frame, generic)
    assert (found.final_image_event, found.first_hud_event) == (47, None)
    assert "no UI after the scene" in found.final_image_rule


def test_unknown_state_cuts_nothing(generic):
    b, _ = _forward_with_ui({})
    found = identify_with(b.frame(), generic)
    assert (found.final_image_event, found.first_hud_event) == (47, None)


def test_full_screen_sky_then_scene_then_ui(generic):
    """A full-screen sky triangle before the scene is not the image's finisher: the UI is still cut off."""
    b = FrameBuilder()
    back, depth = b.texture(1, "R8G8B8A8_UNORM", swap=True), b.texture(2, "D32S8")
    b.add("draw", (back,), depth, vertices=3)
    b.add("draw", (back,), depth, count=20)
    b.add("draw", (back,), depth, vertices=4, count=3)
    frame = b.frame()
    frame.draw_states = {**{e: SCENE for e in range(2, 22)}, **{e: UI for e in range(22, 25)}}
    found = identify_with(frame, generic)
    assert (found.final_image_event, found.first_hud_event) == (21, 22)
    assert "drawn after the last full-screen draw into the back buffer 1" in found.final_image_rule


def test_post_processing_after_the_scene_stays_in_the_image(generic):
    """Scene into an HDR target, tone mapping into the back buffer, then UI: the image ends at tone mapping."""
    b = FrameBuilder()
    hdr, depth, back = b.texture(1, "R16G16B16A16_FLOAT"), b.texture(2, "D32S8"), b.texture(3, "R8G8B8A8_UNORM", swap=True)
    b.add("draw", (hdr,), depth, count=20)
    b.add("draw", (back,), None, vertices=3, reads=(hdr,))
    b.add("draw", (back,), None, vertices=4, count=4)
    frame = b.frame()
    frame.draw_states = {e: UI for e in range(22, 26)}
    found = identify_with(frame, generic)
    assert (found.final_image_event, found.first_hud_event) == (21, 22)


def test_lines_and_points_are_not_full_screen_draws():
    b = FrameBuilder()
    b.add("draw", (1,), None, vertices=1)
    b.add("draw", (1,), None, vertices=2)
    b.add("draw", (1,), None, vertices=3)
    assert [is_fullscreen(a) for a in b.actions] == [False, False, True]


@pytest.mark.parametrize("scene_draws, ui_draws", [(1, 0), (1, 1), (5, 3), (40, 200), (300, 1), (0, 7)])
def test_last_scene_draw_finds_the_boundary_in_few_reads(scene_draws, ui_draws):
    b = FrameBuilder()
    b.add("draw", (1,), None, count=scene_draws + ui_draws)
    draws = b.actions
    asked: list[int] = []

    def draws_scene(action) -> bool:
        asked.append(action.event_id)
        return action.event_id <= scene_draws

    found = last_scene_draw(draws, draws_scene)
    assert found == (scene_draws - 1 if scene_draws else None)
    assert len(asked) <= 2 * max(1, (scene_draws + ui_draws).bit_length()) + 1
