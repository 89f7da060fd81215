"""Which events to replay to and which textures to read there, for a set of wanted outputs (pure).

The replay floor of a capture is: open it, move to each event in the plan,
read each planned texture. Extraction adds only decoding and writing to that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rdc_extract.dataset.names import ON_REQUEST_OUTPUTS
from rdc_extract.errors import RdcExtractError
from rdc_extract.extract.drawids import ScenePass
from rdc_extract.profiles.identify import Identification
from rdc_extract.profiles.schema import Profile


#: Outputs made from the draw-id map: each needs the sweep through every draw of the scene pass.
DRAW_SWEEP_OUTPUTS = ("drawids", "instances")


def needs_draw_sweep(outputs: Sequence[str]) -> bool:
    return any(name in DRAW_SWEEP_OUTPUTS for name in outputs)


def available_outputs(profile: Profile) -> tuple[str, ...]:
    """Every output name extraction can write with this profile, in a stable order.

    `normals` needs a normals role among the G-buffer targets, `labels` a class
    mapping: a profile without them does not offer them, rather than
    succeeding without writing them.
    """
    roles = [r.role for r in profile.gbuffer.targets]
    normals = ("normals",) if "normals" in roles else ()
    labels = ("labels",) if profile.stencil.classes is not None else ()
    return ("rgb", *(role for role in roles if role != "normals"), *normals, "depth", "stencil", *labels,
            *ON_REQUEST_OUTPUTS)


def split_outputs(text: str | None) -> list[str] | None:
    """`--outputs "rgb, depth"` → ["rgb", "depth"]; None: every output."""
    return [name.strip() for name in text.split(",") if name.strip()] if text else None


def check_outputs(requested: Sequence[str] | None, profiles: Sequence[Profile]) -> tuple[str, ...]:
    """Refuse output names none of `profiles` can write; returns every name they can, in a stable order.

    With one profile (named by --profile) that is the profile's outputs; with
    every installed profile (auto-detection) it is what any of them offers, so
    a mistyped `--outputs` stops a batch before its first capture.
    """
    known = tuple(dict.fromkeys(name for profile in profiles for name in available_outputs(profile)))
    unknown = [name for name in requested or () if name not in known]
    if unknown:
        which = f" for profile {profiles[0].name!r}" if len(profiles) == 1 else ": no installed profile offers it"
        raise RdcExtractError(f"unknown output {unknown[0]!r}{which} (available: {', '.join(known)})")
    return known


def choose_outputs(profile: Profile, requested: list[str] | None, found: Identification | None = None,
                   *, has_stencil: bool = True) -> tuple[str, ...]:
    """The outputs to write; a frame without a G-buffer (forward renderer) offers no G-buffer roles, a scene
    depth without stencil no stencil or labels unless they were asked for (then extraction says why it cannot)."""
    allowed = check_outputs(requested, [profile])
    default = tuple(name for name in allowed if name not in ON_REQUEST_OUTPUTS)
    chosen = tuple(name for name in allowed if name in requested) if requested else default
    if not requested and not has_stencil:
        chosen = tuple(name for name in chosen if name not in ("stencil", "labels"))
    if found is None or found.gbuffer_pass is not None:
        return chosen
    roles = {role.role for role in profile.gbuffer.targets}
    asked = [name for name in requested or () if name in roles]
    if asked:
        raise RdcExtractError(f"output {asked[0]!r} needs a G-buffer, and this frame has none (forward renderer)")
    return tuple(name for name in chosen if name not in roles)


CAMERA_DRAW_FRACTIONS = (0.05, 0.25, 0.5)


def camera_draws(scene_draws: Sequence[int], fractions: Sequence[float] = CAMERA_DRAW_FRACTIONS) -> tuple[int, ...]:
    """A few of the scene's draws to read constant blocks at when no profile names the camera block.

    Replaying to an event costs in proportion to how far into the frame it is,
    so the draws come from the first half of the scene's events, earliest
    first, and are read only until one holds a rigid camera: the first ones
    are often a sky or background drawn with its own scaled view, static world
    geometry comes later. Each is the first draw at or after its fraction of
    the scene's event span.
    """
    if not scene_draws:
        return ()
    first, last = scene_draws[0], scene_draws[-1]
    return tuple(sorted({next(e for e in scene_draws if e >= first + f * (last - first)) for f in fractions}))


@dataclass(frozen=True)
class ReadPlan:
    """Events in ascending order, each with the textures to read there; camera and depth state read at the G-buffer event."""

    reads: tuple[tuple[int, tuple[int, ...]], ...]
    camera_event: int | None
    steps: tuple[int, ...] = ()
    step_targets: tuple[int, ...] = ()


def plan_reads(found: Identification, profile: Profile, outputs: tuple[str, ...],
               scene: ScenePass | None = None) -> ReadPlan:
    """G-buffer targets are read at the end of the G-buffer pass (later passes may reuse them), depth where
    the scene depth is complete (the same event when there is a G-buffer); for `drawids` and `instances`, the
    `scene` pass's targets before it and after each of its steps."""
    reads: dict[int, list[int]] = {}
    for name in outputs:
        if name in found.target_roles and found.gbuffer_last_event is not None:
            reads.setdefault(found.gbuffer_last_event, []).append(found.target_roles[name])
    if {"normals", "depth", "stencil", "labels"} & set(outputs) and found.depth_target:
        reads.setdefault(found.depth_event, []).append(found.depth_target)
    if "rgb" in outputs:
        reads.setdefault(found.final_image_event, []).append(found.final_image_target)
    needs_camera = bool({"normals", "depth"} & set(outputs)) and found.depth_target is not None
    return ReadPlan(
        reads=tuple((event, tuple(sorted(set(ids)))) for event, ids in sorted(reads.items())),
        camera_event=found.depth_event if needs_camera else None,
        steps=scene.events if scene is not None and needs_draw_sweep(outputs) else (),
        step_targets=scene.targets if scene is not None and needs_draw_sweep(outputs) else (),
    )
