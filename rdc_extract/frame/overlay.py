"""Where the finished image ends and the overlay (UI) begins, from structure plus a few draws' state.

The image is finished by the last full-screen draw into the back buffer, or by
a copy/blit of an off-screen image into it. Draws into the back buffer after
that are UI when they draw over the image: depth test off and blending on.
Only the first of them needs its state read (UI does not go back to drawing
the scene), which keeps the replay cost to one event.

A forward renderer draws its scene and then its UI into the back buffer with
no full-screen draw between them: there the scene ends at the last draw that
uses the scene depth (`last_scene_draw`), found in about 2·log2(n) state reads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rdc_extract.frame.model import Action, Frame

FULLSCREEN_MAX_VERTICES = 3


def is_fullscreen(action: Action, max_vertices: int = FULLSCREEN_MAX_VERTICES) -> bool:
    """One triangle covering the screen: how lighting, tone mapping and post-processing draw (points and lines never are)."""
    return action.kind == "draw" and 3 <= action.vertex_count <= max_vertices


def writes_colour(action: Action, target: int) -> bool:
    if action.kind == "copy":
        return action.copy_destination == target or (action.copy_destination is None and target in action.colour_outputs)
    return action.kind == "draw" and bool(action.colour_outputs) and action.colour_outputs[0] == target


@dataclass(frozen=True)
class ImageTail:
    """The back buffer's last image-making action (full-screen draw or copy) and the draws after it."""

    target: int
    finisher: Action | None
    after: tuple[Action, ...]


def image_tail(frame: Frame, max_vertices: int = FULLSCREEN_MAX_VERTICES) -> ImageTail | None:
    back_buffer = frame.back_buffer
    if back_buffer is None:
        return None
    into = [a for a in frame.actions if writes_colour(a, back_buffer.resource_id)]
    finishers = [i for i, a in enumerate(into) if a.kind == "copy" or is_fullscreen(a, max_vertices)]
    if not finishers:
        return ImageTail(back_buffer.resource_id, None, ())
    last = finishers[-1]
    return ImageTail(back_buffer.resource_id, into[last], tuple(a for a in into[last + 1:] if a.kind == "draw"))


def last_scene_draw(draws: Sequence[Action], draws_scene: Callable[[Action], bool]) -> int | None:
    """Index of the last of `draws` that draws the scene, or None when none does.

    Gallops back from the end (1, 2, 4, … draws) to the first scene draw, then
    bisects the gap: the UI is one run at the end, so a frame of n draws costs
    about 2·log2(n) state reads, not n. A draw whose state is unknown counts as
    scene, so nothing is cut without evidence.
    """
    if not draws:
        return None
    after, step = len(draws), 1
    while True:
        probe = max(len(draws) - step, 0)
        if draws_scene(draws[probe]):
            break
        after = probe
        if probe == 0:
            return None
        step *= 2
    while after - probe > 1:
        middle = (probe + after) // 2
        if draws_scene(draws[middle]):
            probe = middle
        else:
            after = middle
    return probe
