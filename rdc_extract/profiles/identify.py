"""Apply a profile to a frame: find the G-buffer pass, its target roles and the final image.

Pure logic over `Frame`. Every pass considered is reported with the reasons
it was accepted or rejected, so a failure tells the user what the frame holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdc_extract.decode.formats import format_matches
from rdc_extract.errors import IdentificationFailed
from rdc_extract.frame.model import Action, Frame, Pass, Texture
from rdc_extract.profiles.schema import FinalImageRules, Profile


@dataclass
class Candidate:
    """One pass weighed as the G-buffer, with why it was (not) taken."""

    pass_index: int
    name: str
    draws: int
    accepted: bool
    reasons: list[str] = field(default_factory=list)


@dataclass
class Identification:
    """Where each output of a frame is, by event and resource id.

    A forward renderer has no G-buffer: `gbuffer_pass` and its events are None.
    `depth_event` is where the scene depth is complete (the G-buffer's last draw
    when there is one); `evidence` says why each choice was made.
    """

    profile: str
    gbuffer_pass: int | None
    gbuffer_first_event: int | None
    gbuffer_last_event: int | None
    target_roles: dict[str, int]
    depth_target: int
    back_buffer: int
    final_image_event: int
    final_image_target: int
    first_hud_event: int | None
    final_image_rule: str
    candidates: list[Candidate]
    depth_event: int = 0
    evidence: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.depth_event and self.gbuffer_last_event is not None:
            self.depth_event = self.gbuffer_last_event


def _colour_formats(frame: Frame, pass_: Pass) -> list[str]:
    return [frame.textures[rid].format.name if rid in frame.textures else "?" for rid in pass_.colour_targets]


def formats_match(actual: list[str] | tuple[str, ...], wanted: tuple[str, ...]) -> bool:
    """The first `len(wanted)` formats are the wanted ones, slot by slot (a typeless target matches its family)."""
    return len(actual) >= len(wanted) and all(format_matches(a, w) for a, w in zip(actual, wanted))


def judge_gbuffer_candidate(frame: Frame, pass_: Pass, profile: Profile, back_buffer: Texture | None) -> Candidate:
    rules = profile.gbuffer
    reasons: list[str] = []
    colour = [rid for rid in pass_.colour_targets if rid]
    if not pass_.draws:
        reasons.append("no draws")
    if len(colour) < rules.min_colour_targets:
        reasons.append(f"{len(colour)} colour targets (needs ≥ {rules.min_colour_targets})")
    formats = _colour_formats(frame, pass_)
    if rules.colour_formats and not formats_match(formats, rules.colour_formats):
        reasons.append(f"colour formats {','.join(formats) or 'none'} ≠ {','.join(rules.colour_formats)}")
    depth = frame.texture(pass_.depth_target)
    if rules.depth_stencil and depth is None:
        reasons.append("no depth-stencil target")
    elif rules.depth_stencil and depth is not None and not depth.has_stencil:
        reasons.append(f"depth target {depth.format.name} has no stencil")
    first = frame.texture(colour[0]) if colour else depth
    if rules.same_size_as_back_buffer and back_buffer is not None and first is not None and first.size != back_buffer.size:
        reasons.append(f"size {first.width}x{first.height} ≠ back buffer {back_buffer.width}x{back_buffer.height}")
    if rules.marker and frame.has_markers and rules.marker not in pass_.marker_path:
        reasons.append(f"not under marker {rules.marker!r}")
    accepted = not reasons
    if accepted:
        reasons.append(f"{len(colour)} colour targets ({','.join(formats)}) + {depth.format.name if depth else 'no depth'}")
    return Candidate(pass_.index, pass_.name, len(pass_.draws), accepted, reasons)


def _choose(passes: list[Pass], rule: str) -> Pass:
    if rule == "first":
        return passes[0]
    if rule == "last":
        return passes[-1]
    return max(passes, key=lambda p: (len(p.draws), p.index))


def _draws_into(frame: Frame, resource_id: int) -> list[Action]:
    return [a for a in frame.draws if a.colour_outputs and a.colour_outputs[0] == resource_id]


def _fills_screen(frame: Frame, action: Action, rules: FinalImageRules) -> bool:
    """Few vertices and, where the frame knows it, most of the target covered: a HUD quad has few vertices too."""
    if action.vertex_count > rules.fullscreen_max_vertices:
        return False
    covered = frame.coverage(action.event_id)
    return covered is None or covered >= rules.fullscreen_min_coverage


def find_final_image(frame: Frame, profile: Profile, back_buffer: Texture, after_event: int) -> tuple[int, int | None, str]:
    """(final image event, first HUD event or None, the rule that found them)."""
    rules = profile.final_image
    back_draws = [a for a in _draws_into(frame, back_buffer.resource_id) if a.event_id > after_event]
    if not back_draws:
        raise ValueError(f"no draws into the back buffer ({back_buffer.name}) after the G-buffer pass")
    for strategy in rules.strategies:
        if strategy == "hud_marker" and rules.hud_marker and frame.has_markers:
            hud = [a for a in frame.draws if rules.hud_marker in a.marker_path and a.event_id > after_event]
            before = [a for a in back_draws if hud and a.event_id < hud[0].event_id]
            if hud and before:
                return before[-1].event_id, hud[0].event_id, f"last back-buffer draw before marker {rules.hud_marker!r}"
        if strategy == "fullscreen_run":
            run = 0
            while run < len(back_draws) and _fills_screen(frame, back_draws[run], rules):
                run += 1
            if run:
                hud_event = back_draws[run].event_id if run < len(back_draws) else None
                return (back_draws[run - 1].event_id, hud_event,
                        f"last of the first full-screen draws (≤ {rules.fullscreen_max_vertices} vertices, "
                        f"covering ≥ {rules.fullscreen_min_coverage:.0%} of the target where known) into the back buffer")
    raise ValueError(f"no rule of {', '.join(rules.strategies)} found the final image in {back_buffer.name}")


def identify(frame: Frame, profile: Profile) -> Identification:
    """Locate the G-buffer pass, target roles and final image; IdentificationFailed lists every candidate."""
    back_buffer = frame.back_buffer
    candidates = [judge_gbuffer_candidate(frame, p, profile, back_buffer) for p in frame.passes]
    accepted = [frame.passes[c.pass_index] for c in candidates if c.accepted]
    if not accepted or back_buffer is None:
        problem = "no pass qualifies as the G-buffer" if not accepted else "no back buffer found"
        raise IdentificationFailed(frame.capture, f"{problem} under profile {profile.name!r}", candidates)
    gbuffer = _choose(accepted, profile.gbuffer.choose)
    roles = {role.role: gbuffer.colour_targets[role.slot] for role in profile.gbuffer.targets
             if role.slot < len(gbuffer.colour_targets) and gbuffer.colour_targets[role.slot]}
    try:
        final_event, hud_event, rule = find_final_image(frame, profile, back_buffer, gbuffer.last_event)
    except ValueError as exc:
        raise IdentificationFailed(frame.capture, str(exc), candidates) from None
    return Identification(
        profile=profile.name,
        gbuffer_pass=gbuffer.index,
        gbuffer_first_event=gbuffer.first_event,
        gbuffer_last_event=gbuffer.last_draw_event,
        target_roles=roles,
        depth_target=gbuffer.depth_target or 0,
        back_buffer=back_buffer.resource_id,
        final_image_event=final_event,
        final_image_target=back_buffer.resource_id,
        first_hud_event=hud_event,
        final_image_rule=rule,
        candidates=candidates,
        evidence=[f"G-buffer: pass {gbuffer.index} ({next(c for c in candidates if c.pass_index == gbuffer.index).reasons[-1]}, "
                  f"profile rules, choose {profile.gbuffer.choose})", f"final image: {rule}"],
    )
