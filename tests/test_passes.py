"""Grouping actions into passes (pure logic, plain data)."""

from __future__ import annotations

from frames import FrameBuilder, deferred_frame

from rdc_extract.frame.passes import same_target_runs


def test_deferred_frame_groups_into_its_passes():
    frame = deferred_frame()
    assert [(p.name, len(p.draws), len(p.clears)) for p in frame.passes] == [
        ("ShadowPass", 30, 1), ("GBufferPass", 50, 1), ("Lighting", 1, 0), ("PostFX", 1, 0), ("HUD", 5, 0),
    ]


def test_without_markers_targets_alone_split_passes():
    frame = deferred_frame(markers=False)
    # Post-processing and HUD share the back buffer: without markers they are one pass.
    assert [len(p.draws) for p in frame.passes] == [30, 50, 1, 6]
    assert frame.passes[1].first_event == 32 and frame.passes[1].last_event == 82


def test_api_pass_boundaries_split_draws_into_the_same_targets():
    b = FrameBuilder("Vulkan")
    back = b.texture(1, "R8G8B8A8_UNORM")
    b.add("other", (back,), begins_pass=True)
    b.add("draw", (back,), vertices=3)
    b.add("other", (back,), ends_pass=True)
    b.add("other", (back,), begins_pass=True)
    b.add("draw", (back,), vertices=6)
    b.add("other", (back,), ends_pass=True)
    assert [p.draws[0].vertex_count for p in b.frame().passes] == [3, 6]


def test_nested_markers_stay_in_one_pass_named_by_their_common_prefix():
    b = FrameBuilder()
    target = b.texture(1, "R8G8B8A8_UNORM")
    b.add("draw", (target,), markers=("GBuffer", "Buildings"), count=2)
    b.add("draw", (target,), markers=("GBuffer", "Vehicles"), count=2)
    (only,) = b.frame().passes
    assert only.name == "GBuffer" and len(only.draws) == 4


def test_clear_of_other_targets_becomes_its_own_pass_in_order():
    b = FrameBuilder()
    a, c = b.texture(1, "R8G8B8A8_UNORM"), b.texture(2, "R8G8B8A8_UNORM")
    b.add("clear", (c,))
    b.add("draw", (a,))
    passes = b.frame().passes
    assert [(p.colour_targets, len(p.draws), len(p.clears)) for p in passes] == [((2,), 0, 1), ((1,), 1, 0)]
    assert [p.index for p in passes] == [0, 1]


def test_copies_end_a_pass():
    b = FrameBuilder()
    a = b.texture(1, "R8G8B8A8_UNORM")
    b.add("draw", (a,))
    b.add("copy", ())
    b.add("draw", (a,))
    assert len(b.frame().passes) == 2


def test_consecutive_passes_into_the_same_targets_show_as_one_run_but_a_pass_kept_alone():
    """Zink ends a render pass at nearly every draw: `inspect` shows such runs on one line."""
    b = FrameBuilder(api="Vulkan")
    back, depth, shadow = b.texture(1, "R8G8B8A8_UNORM", swap=True), b.texture(2, "D32S8"), b.texture(3, "D32")
    b.add("draw", (), shadow)
    for _ in range(4):
        b.add("draw", (back,), depth)
        b.add("present", (), None)   # a render-pass boundary between each of them
    b.add("draw", (back,), None)
    passes = b.frame().passes
    assert [[p.index for p in run] for run in same_target_runs(passes)] == [[0], [1, 2, 3, 4], [5]]
    assert [[p.index for p in run] for run in same_target_runs(passes, alone={2})] == [[0], [1], [2], [3, 4], [5]]
    named = FrameBuilder()
    back, depth = named.texture(1, "R8G8B8A8_UNORM", swap=True), named.texture(2, "D32S8")
    for marker in ("Opaque", "Sky", "Sky"):   # the game's own passes keep their lines
        named.add("draw", (back,), depth, markers=(marker,))
    assert [len(run) for run in same_target_runs(named.frame().passes)] == [1, 1]


def test_unnamed_passes_rejected_for_the_same_reasons_are_one_line_from_three_on():
    from rdc_extract.errors import IdentificationFailed
    from rdc_extract.profiles.identify import Candidate
    from rdc_extract.profiles.registry import _identification_failures

    same = ["no colour targets"]
    candidates = [Candidate(0, "Shadow", 30, False, ["other"]), *(Candidate(i, f"Pass #{i}", 1, False, same)
                                                                  for i in range(1, 5)),
                  Candidate(5, "Pass #5", 2, False, same), Candidate(6, "Pass #6", 3, False, ["other"]),
                  Candidate(7, "Pass #7", 3, False, ["other"]),
                  *(Candidate(i, name, 1, False, same) for i, name in ((8, "A"), (9, "B"), (10, "C")))]
    lines = _identification_failures(IdentificationFailed("x.rdc", "no pass qualifies", candidates))
    assert lines == ["no pass qualifies", "pass #0 Shadow (30 draws): other",
                     "5 passes, #1 to #5 (6 draws): no colour targets",
                     "pass #6 Pass #6 (3 draws): other", "pass #7 Pass #7 (3 draws): other",
                     *(f"pass #{i} {name} (1 draws): no colour targets" for i, name in ((8, "A"), (9, "B"), (10, "C")))]
