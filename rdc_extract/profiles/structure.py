"""Identification without a game profile: scene depth, G-buffer (or none), final image and UI from structure.

Used by the generic profile. Nothing here looks at marker or resource names:
- scene depth: the depth target with the most (non-full-screen) draws at the
  final image's size;
- G-buffer: a pass drawing with the scene depth into ≥ 1 colour targets at
  that size, not into the back buffer, whose targets a later full-screen draw
  samples (with one target, that draw must sample the scene depth too, or a
  forward renderer's HDR target would pass). When the frame says nothing about
  what draws sample, ≥ 2 targets followed by a full-screen draw will do;
- forward renderer: no such pass, the scene is drawn into the final target;
- final image: the back buffer after its last full-screen draw or blit, before
  the UI (draws over it with depth test off and blending, `frame.overlay`);
  where the scene and then the UI are drawn straight into the back buffer
  (forward renderers), after the last draw that uses the scene depth, found
  from the state of a few draws near the end.
Every choice comes with its evidence; where several candidates fit, all are listed.
"""

from __future__ import annotations

from collections import Counter

from rdc_extract.errors import IdentificationFailed
from rdc_extract.frame.model import Action, Frame, Pass, Texture
from rdc_extract.frame.overlay import image_tail, is_fullscreen, last_scene_draw, writes_colour
from rdc_extract.profiles.identify import Candidate, Identification
from rdc_extract.profiles.schema import Profile


def _size(texture: Texture | None) -> str:
    return f"{texture.width}×{texture.height}" if texture else "?"


def _scene_depth(frame: Frame, before: int | None, size: tuple[int, int], evidence: list[str]) -> int:
    counts = Counter(a.depth_output for a in frame.draws
                     if a.depth_output and not is_fullscreen(a) and (before is None or a.event_id < before))
    if not counts:
        unfit = [Candidate(p.index, p.name, len(p.draws), False, ["no depth target"]) for p in frame.passes if p.draws]
        raise IdentificationFailed(frame.capture, "no draws with a depth target: no scene depth to find", unfit)
    at_size = {rid: n for rid, n in counts.items() if (t := frame.texture(rid)) is not None and t.size == size}
    pool = at_size or counts
    ranked = sorted(pool.items(), key=lambda item: (-item[1], item[0]))
    chosen, draws = ranked[0]
    where = f"at the final image's size {size[0]}×{size[1]}" if at_size else "(none at the final image's size)"
    evidence.append(f"scene depth: {frame.texture_ref(chosen)} {frame.textures[chosen].format.name} "
                    f"{_size(frame.texture(chosen))}, the depth target with the most draws ({draws}) {where}")
    others = sorted(((rid, n) for rid, n in counts.items() if rid != chosen), key=lambda item: (-item[1], item[0]))
    if others:
        evidence.append("  other depth targets: " + ", ".join(
            f"{frame.texture_ref(rid)} ({n} draws, {_size(frame.texture(rid))})" for rid, n in others))
    return chosen


def _readers(frame: Frame, pass_: Pass) -> list[Action]:
    targets = set(pass_.colour_targets) - {0}
    return [a for a in frame.draws if a.event_id > pass_.last_event and is_fullscreen(a) and targets & set(a.reads)]


def _judge(frame: Frame, pass_: Pass, depth: int, back_buffer: int, size: tuple[int, int], reads_known: bool) -> Candidate:
    colour = [rid for rid in pass_.colour_targets if rid]
    reasons: list[str] = []
    if not pass_.draws:
        reasons.append("no draws")
    if not colour:
        reasons.append("no colour targets")
    if pass_.depth_target != depth:
        reasons.append(f"depth target {frame.texture_ref(pass_.depth_target)} is not the scene depth "
                       f"{frame.texture_ref(depth)}"
                       if pass_.depth_target else "no depth target")
    if back_buffer in colour:
        reasons.append("draws into the final image (forward rendering)")
    off_size = [rid for rid in colour if (t := frame.texture(rid)) is None or t.size != size]
    if off_size:
        reasons.append(f"colour target {frame.texture_ref(off_size[0])} is not {size[0]}×{size[1]}")
    if not reasons and reads_known:
        readers = _readers(frame, pass_)
        lighting = [a for a in readers if len(colour) >= 2 or depth in a.reads]
        if not readers:
            reasons.append("no later full-screen draw samples its targets")
        elif not lighting:
            reasons.append(f"full-screen draw {readers[0].event_id} samples its one target but not the scene depth")
        else:
            verdict = f"read by full-screen draw {lighting[0].event_id}"
    elif not reasons:
        later = [a for a in frame.draws if a.event_id > pass_.last_event and is_fullscreen(a)
                 and not set(a.colour_outputs) & set(colour)]
        if len(colour) < 2:
            reasons.append("1 colour target and no record of what later draws sample")
        elif not later:
            reasons.append("no full-screen draw follows it")
        else:
            verdict = f"followed by full-screen draw {later[0].event_id} (what it samples is not known)"
    accepted = not reasons
    if accepted:
        reasons.append(f"{len(colour)} targets at {size[0]}×{size[1]}, {len(pass_.draws)} draws, {verdict}")
    return Candidate(pass_.index, pass_.name, len(pass_.draws), accepted, reasons)


def _scene_then_ui(frame: Frame, draws: list[Action], size: tuple[int, int]) -> tuple[Action, tuple[Action, ...]] | None:
    """(last scene draw, the UI draws after it) when `draws` end with draws that do not use the scene depth."""
    def draws_scene(action: Action) -> bool:
        state = frame.draw_state(action.event_id)
        return state is None or state.draws_scene(size)

    last = last_scene_draw(draws, draws_scene)
    if last is None or last == len(draws) - 1:
        return None
    return draws[last], tuple(draws[last + 1:])


def _ui_rule(scene: Action, ui: tuple[Action, ...], after: str) -> str:
    return (f"last scene draw (event {scene.event_id}){after} before {len(ui)} UI draws "
            f"(events {ui[0].event_id}–{ui[-1].event_id}: no depth test or write, or a smaller viewport)")


def _final_image(frame: Frame, evidence: list[str]) -> tuple[int, int, int | None, str]:
    """(back buffer, final image event, first UI event or None, rule)."""
    tail = image_tail(frame)
    if tail is None:
        raise IdentificationFailed(frame.capture, "no back buffer found")
    back = frame.textures[tail.target]
    into = [a for a in frame.actions if writes_colour(a, tail.target)]
    if tail.finisher is None:
        if not into:
            raise IdentificationFailed(frame.capture, f"nothing is drawn into the back buffer ({back.name})")
        split = _scene_then_ui(frame, [a for a in into if a.kind == "draw"], back.size)
        if split is None:
            rule = "last draw into the back buffer (no full-screen draw or blit finishes it; no UI after the scene)"
            return tail.target, into[-1].event_id, None, rule
        scene, ui = split
        evidence.append(f"UI: {len(ui)} draws from event {ui[0].event_id} by state")
        return tail.target, scene.event_id, ui[0].event_id, _ui_rule(scene, ui, "")
    finisher = tail.finisher
    how = (f"blit/copy of {frame.texture_ref(finisher.copy_source)} into the back buffer" if finisher.kind == "copy"
           else "last full-screen draw into the back buffer")
    if not tail.after:
        return tail.target, finisher.event_id, None, f"{how}, event {finisher.event_id}; nothing drawn after it"
    first = tail.after[0]
    state = frame.draw_state(first.event_id)
    if state is None:
        ui = f"{len(tail.after)} draws after it taken as UI by structure (their state was not read)"
    elif state.is_overlay:
        ui = f"{len(tail.after)} UI draws from event {first.event_id} (depth test off, blending)"
    else:
        split = _scene_then_ui(frame, list(tail.after), back.size)
        if split is not None:
            scene, after_ui = split
            evidence.append(f"UI: {len(after_ui)} draws from event {after_ui[0].event_id} by state")
            return (tail.target, scene.event_id, after_ui[0].event_id,
                    _ui_rule(scene, after_ui, f", drawn after the {how} {finisher.event_id}"))
        off = "depth test on" if state.depth_test else "no blending"
        rule = f"last draw into the back buffer: draw {first.event_id} after the {how} is not UI ({off})"
        return tail.target, tail.after[-1].event_id, None, rule
    evidence.append(f"UI: {ui}")
    return tail.target, finisher.event_id, first.event_id, f"{how}, event {finisher.event_id}, before the UI"


def _scene_depth_event(frame: Frame, depth: int, depth_draws: list[Action], evidence: list[str]) -> int:
    """The last draw into the scene depth, or the last before a depth clear that only a few draws follow.

    Games clear depth late in the frame to draw a first-person hand or weapon
    over the world: the depth after that clear holds the hand, not the scene.
    """
    last = depth_draws[-1].event_id
    clears = [a.event_id for a in frame.actions
              if a.kind == "clear" and a.depth_output == depth and depth_draws[0].event_id < a.event_id < last]
    if not clears:
        return last
    after = sum(a.event_id > clears[-1] for a in depth_draws)
    if after >= len(depth_draws) - after:
        return last
    event = max(a.event_id for a in depth_draws if a.event_id < clears[-1])
    evidence.append(f"scene depth: read at event {event}, before the depth clear at event {clears[-1]} "
                    f"({after} draw(s) after it, drawn over a cleared depth: a first-person hand or weapon)")
    return event


def identify_by_structure(frame: Frame, profile: Profile) -> Identification:
    """Identify a frame no game profile describes; IdentificationFailed says what is missing."""
    evidence: list[str] = []
    back_buffer, final_event, ui_event, rule = _final_image(frame, evidence)
    size = frame.textures[back_buffer].size
    depth = _scene_depth(frame, ui_event, size, evidence)
    before_ui = [a for a in frame.draws if ui_event is None or a.event_id < ui_event]
    depth_draws = [a for a in before_ui if a.depth_output == depth and not is_fullscreen(a)]
    depth_event = _scene_depth_event(frame, depth, depth_draws, evidence)
    reads_known = any(a.reads for a in frame.actions)
    candidates = [_judge(frame, p, depth, back_buffer, size, reads_known) for p in frame.passes if p.draws]
    accepted = [frame.passes[c.pass_index] for c in candidates if c.accepted]
    if accepted:
        gbuffer = max(accepted, key=lambda p: (len(p.draws), p.index))
        chosen = next(c for c in candidates if c.pass_index == gbuffer.index)
        evidence.insert(0, f"G-buffer: pass {gbuffer.index} ({chosen.reasons[-1]})")
        if len(accepted) > 1:
            evidence.insert(1, "  other G-buffer candidates: " + ", ".join(
                f"pass {p.index} ({len(p.draws)} draws)" for p in accepted if p is not gbuffer))
        roles = {role.role: gbuffer.colour_targets[role.slot] for role in profile.gbuffer.targets
                 if role.slot < len(gbuffer.colour_targets) and gbuffer.colour_targets[role.slot]}
        first, last, index = gbuffer.first_event, gbuffer.last_draw_event, gbuffer.index
        depth_event = max(a.event_id for a in depth_draws if a.event_id <= last)
    else:
        into_final = any(back_buffer in p.colour_targets for p in frame.passes if p.depth_target == depth)
        evidence.insert(0, "no G-buffer: forward renderer (no pass qualifies; the scene is drawn into "
                           f"{'the final image' if into_final else 'targets no full-screen draw reads as a G-buffer'})")
        roles, first, last, index = {}, None, None, None
    evidence.append(f"final image: {rule}")
    return Identification(
        profile=profile.name,
        gbuffer_pass=index,
        gbuffer_first_event=first,
        gbuffer_last_event=last,
        target_roles=roles,
        depth_target=depth,
        back_buffer=back_buffer,
        final_image_event=final_event,
        final_image_target=back_buffer,
        first_hud_event=ui_event,
        final_image_rule=rule,
        candidates=candidates,
        depth_event=depth_event,
        evidence=evidence,
    )
