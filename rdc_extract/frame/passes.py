"""Grouping a frame's actions into passes: pure logic over `Action` lists.

A pass is a run of draws into the same colour and depth targets. It also ends
where the API says so (Vulkan/D3D12 render-pass begin/end), where the
outermost debug marker changes (when the game sets markers), and at copies and
dispatches. Clears join the pass that next draws into the same targets.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from rdc_extract.frame.model import Action, Pass

_BREAKING_KINDS = frozenset({"copy", "dispatch", "present"})


def _common_prefix(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    size = 0
    for left, right in zip(a, b):
        if left != right:
            break
        size += 1
    return a[:size]


def _outermost(path: tuple[str, ...]) -> str | None:
    return path[0] if path else None


def group_passes(actions: list[Action]) -> list[Pass]:
    """Split `actions` (capture order) into passes, numbered from 0 in order."""
    passes: list[Pass] = []
    current: Pass | None = None
    pending_clears: list[Action] = []

    def close() -> None:
        nonlocal current
        if current is not None:
            passes.append(current)
        current = None

    def flush_clears() -> None:
        for clear in pending_clears:
            passes.append(
                Pass(len(passes), clear.colour_outputs, clear.depth_output, clears=[clear], marker_path=clear.marker_path)
            )
        pending_clears.clear()

    for action in actions:
        if action.begins_pass:
            close()
        if action.kind in _BREAKING_KINDS:
            close()
            flush_clears()
        elif action.kind == "clear":
            if current is not None and action.targets == (current.colour_targets, current.depth_target):
                current.clears.append(action)
            else:
                close()
                pending_clears.append(action)
        elif action.kind == "draw":
            continues = (
                current is not None
                and action.targets == (current.colour_targets, current.depth_target)
                and _outermost(action.marker_path) == _outermost(current.marker_path)
            )
            if not continues:
                close()
                matching = [c for c in pending_clears if c.targets == action.targets]
                pending_clears[:] = [c for c in pending_clears if c.targets != action.targets]
                flush_clears()
                current = Pass(len(passes), action.colour_outputs, action.depth_output, clears=matching,
                               marker_path=action.marker_path)
            else:
                current.marker_path = _common_prefix(current.marker_path, action.marker_path)
            current.draws.append(action)
        if action.ends_pass:
            close()
    close()
    flush_clears()
    for index, found in enumerate(passes):
        found.index = index
    return passes


def same_target_runs(passes: Sequence[Pass], alone: Collection[int] = ()) -> list[list[Pass]]:
    """Consecutive passes into the same targets and without debug markers, as runs; a pass with markers, or
    whose index is in `alone`, is a run of its own.

    What `inspect` shows as one line each: Zink (a legacy-GL game on Vulkan) ends a render pass at nearly
    every draw, so a scene of 20 draws is 20 passes into the same back buffer. Passes the game named keep
    their lines.
    """
    runs: list[list[Pass]] = []
    for pass_ in passes:
        previous = runs[-1][-1] if runs else None
        if (previous is not None and not ({pass_.index, previous.index} & set(alone))
                and not pass_.marker_path and not previous.marker_path
                and (pass_.colour_targets, pass_.depth_target) == (previous.colour_targets, previous.depth_target)):
            runs[-1].append(pass_)
        else:
            runs.append([pass_])
    return runs
