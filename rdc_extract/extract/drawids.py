"""The draw-id map: which draw of the scene pass left each visible pixel (pure numpy, no replay).

Replay steps through the pass's draws in order and reads its targets after
each (docs/drawids.md); a pixel belongs to the last draw whose step changed
any of its target bytes (depth or colour), or to nobody (0) when nothing
changed it or a clear of its colour was the last to (a depth-only clear, as
before a first-person hand is drawn, leaves the colour and its owner). Comparing every target, not depth
alone, catches draws that write colour without depth (decals drawn with the
depth test `equal`, blended foliage); draws hidden by depth change nothing and
own nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rdc_extract.decode.formats import TextureDesc, typed_view
from rdc_extract.decode.textures import pixel_bytes
from rdc_extract.frame.model import Action, Frame
from rdc_extract.extract.signatures import DrawContent
from rdc_extract.profiles.identify import Identification

MAX_DRAWS = int(np.iinfo(np.uint16).max)
#: A draw that writes no depth and changes its pixels' colour by at most this many levels of 255 (median over
#: the pixels it changes, the most-changed colour channel of each) is a faint translucent layer: it owns nothing.
FAINT_LEVELS = 8


@dataclass(frozen=True)
class ScenePass:
    """The steps replay moves through (draws and clears, in event order) and the targets read after each:
    `colour_targets` colour targets first, then the depth target when there is one."""

    steps: tuple[Action, ...]
    targets: tuple[int, ...]
    colour_targets: int = 0

    @property
    def draws(self) -> tuple[Action, ...]:
        return tuple(a for a in self.steps if a.kind == "draw")

    @property
    def baseline_event(self) -> int:
        """The event just before the first step: the targets as the pass found them."""
        return self.steps[0].event_id - 1

    @property
    def events(self) -> tuple[int, ...]:
        """Where replay reads the targets: the baseline, then after every step."""
        return (self.baseline_event, *(a.event_id for a in self.steps)) if self.steps else ()


def _compared(steps: Sequence[Action], frame: Frame, colour: Sequence[int], depth: int) -> ScenePass:
    """The colour targets of the depth target's size (of the first colour target's without one), then depth."""
    known = [rid for rid in colour if rid and rid in frame.textures]
    has_depth = depth in frame.textures
    size = frame.textures[depth].size if has_depth else frame.textures[known[0]].size if known else None
    same = tuple(rid for rid in known if frame.textures[rid].size == size)
    return ScenePass(tuple(steps), (*same, *((depth,) if has_depth else ())), len(same))


def scene_pass(frame: Frame, found: Identification) -> ScenePass:
    """The G-buffer pass up to its last draw; in a forward frame, the draws with the scene depth bound before the
    pre-UI image, with the clears of their targets (full-screen post-processing binds no depth: not scene)."""
    if found.gbuffer_pass is not None and found.gbuffer_last_event is not None:
        gbuffer = frame.passes[found.gbuffer_pass]
        steps = sorted((a for a in (*gbuffer.draws, *gbuffer.clears) if a.event_id <= found.gbuffer_last_event),
                       key=lambda a: a.event_id)
        return _compared(steps, frame, gbuffer.colour_targets, found.depth_target)
    end = found.final_image_event if found.first_hud_event is None else min(found.final_image_event,
                                                                             found.first_hud_event - 1)
    draws = [a for a in frame.draws if a.depth_output == found.depth_target and a.event_id <= end]
    if not draws:
        return ScenePass((), ())
    last = max((a for a in draws if a.event_id <= found.depth_event), key=lambda a: a.event_id, default=draws[-1])
    targets = {*last.colour_outputs, found.depth_target} - {0}
    clears = [a for a in frame.actions if a.kind == "clear" and draws[0].event_id < a.event_id <= end
              and targets & {*a.colour_outputs, a.depth_output}]
    steps = sorted((*draws, *clears), key=lambda a: a.event_id)
    return _compared(steps, frame, last.colour_outputs, found.depth_target)


@dataclass(frozen=True)
class DrawIdMap:
    """`ids` (H, W) uint16: 0 = no draw, i ≥ 1 = `table[i - 1]`."""

    ids: np.ndarray
    table: list[dict[str, Any]]


def _words(image: np.ndarray) -> np.ndarray:
    """(H, W, bytes) as (H, W, k) of the widest unsigned words that divide a pixel: compared word by word,
    a few elementwise passes instead of a reduction over a short axis (several times faster). Held as given,
    not copied: callers hand in images they no longer change."""
    width = next(n for n in (8, 4, 2, 1) if image.shape[-1] % n == 0)
    return image.view(f"<u{width}") if image.strides[-1] == 1 else np.ascontiguousarray(image).view(f"<u{width}")


def level_channels(desc: TextureDesc) -> int | None:
    """How many leading bytes of a pixel of `desc` are colour channels of one 8-bit level each (alpha left out),
    or None when its format does not store colour that way."""
    fmt = typed_view(desc.format)
    if fmt.layout != "Regular" or fmt.component_bytes != 1 or fmt.component_type not in ("UNorm", "UNormSRGB"):
        return None
    return min(fmt.component_count, 3)


class DrawIdBuilder:
    """Fed the targets as they are before the pass and after each step; owns the pixels each step changed.

    Images are the raw pixel bytes (H, W, bytes per pixel) of every target read, in the same order each time:
    the first `colour_images` are colour targets, the rest depth(-stencil). `level_channels`: per colour
    target, how many of its leading bytes are colour channels of one 8-bit level each (3 for RGBA8 and BGRA8,
    whose alpha blending writes but nobody sees), or None for other formats; a draw that writes no depth and
    changes those channels only faintly (`FAINT_LEVELS`) owns nothing.
    """

    def __init__(self, steps: Sequence[Action], colour_images: int,
                 level_channels: Sequence[int | None] = ()) -> None:
        draws = [a for a in steps if a.kind == "draw"]
        if len(draws) > MAX_DRAWS:
            raise ValueError(f"the scene pass has {len(draws)} draws; a uint16 draw-id map holds {MAX_DRAWS}")
        self.steps = tuple(steps)
        self.colour_images = colour_images
        self.level_channels = tuple(level_channels)
        self.draws = tuple(draws)
        self._index = {a.event_id: i + 1 for i, a in enumerate(draws)}
        self._previous: list[np.ndarray] | None = None
        self._previous_bytes: list[np.ndarray] = []
        self._owner: np.ndarray | None = None
        self._contents: dict[int, DrawContent] = {}
        self._faint: dict[int, float] = {}   # event → the median change of a draw found to be a faint layer

    def describe(self, event_id: int, content: DrawContent) -> None:
        """The content of draw `event_id`: its signature goes into the table."""
        self._contents[event_id] = content

    def baseline(self, images: Sequence[np.ndarray]) -> None:
        self._previous = [_words(image) for image in images]
        self._previous_bytes = list(images)
        self._owner = np.zeros(images[0].shape[:2], np.uint16)

    def after(self, event_id: int, images: Sequence[np.ndarray]) -> None:
        """The targets after step `event_id` (a draw's pixels become its index, a clear's become 0)."""
        if self._previous is None or self._owner is None:
            raise ValueError("DrawIdBuilder: baseline() must come before the first step")
        words = [_words(image) for image in images]
        colour = np.zeros(self._owner.shape, bool)   # changed in a colour target counted in 8-bit levels
        other = np.zeros(self._owner.shape, bool)    # changed in depth, or in a colour target of another format
        compared = len(words) if event_id in self._index else self.colour_images
        for target, (before, now) in enumerate(zip(self._previous[:compared], words[:compared])):
            if before.shape != now.shape:
                raise ValueError(f"target image shape changed during the pass: {before.shape} → {now.shape}")
            measured = target < self.colour_images and self._levels(target) is not None
            changed = colour if measured else other
            for column in range(now.shape[-1]):
                changed |= before[..., column] != now[..., column]
        median = self._faint_change(colour, images) if event_id in self._index and not other.any() else None
        if median is not None and median <= FAINT_LEVELS:
            self._faint[event_id] = median
        else:
            self._owner[colour | other] = self._index.get(event_id, 0)
        self._previous, self._previous_bytes = words, list(images)

    def _levels(self, target: int) -> int | None:
        return self.level_channels[target] if target < len(self.level_channels) else None

    def _faint_change(self, changed: np.ndarray, images: Sequence[np.ndarray]) -> float | None:
        """The median over the `changed` pixels of their largest colour-level change in the 8-bit colour
        targets, or None when nothing changed there."""
        if not changed.any():
            return None
        largest = np.zeros(int(changed.sum()), np.int16)
        for target in range(self.colour_images):
            channels = self._levels(target)
            if channels is not None:
                before = self._previous_bytes[target][changed][:, :channels].astype(np.int16)
                now = images[target][changed][:, :channels].astype(np.int16)
                np.maximum(largest, np.abs(now - before).max(axis=-1), out=largest)
        return float(np.median(largest))

    def result(self) -> DrawIdMap:
        if self._owner is None:
            raise ValueError("DrawIdBuilder: no images were given")
        counts = np.bincount(self._owner.ravel(), minlength=len(self.draws) + 1)
        table = [{"index": i + 1, "event_id": a.event_id, "name": a.name, "marker_path": list(a.marker_path),
                  "pixels": int(counts[i + 1]),
                  **({"faint_layer": {"median_levels": self._faint[a.event_id]}} if a.event_id in self._faint else {}),
                  **(self._contents[a.event_id].to_json() if a.event_id in self._contents else {})}
                 for i, a in enumerate(self.draws)]
        return DrawIdMap(self._owner, table)


def differencing(scene: ScenePass, descs: Sequence[TextureDesc]) -> tuple[DrawIdBuilder, Callable[[int, list[bytes]], None]]:
    """A builder and the callback replay hands each step's texture bytes to (`scene.targets` order, `descs` alike)."""
    builder = DrawIdBuilder(scene.steps, scene.colour_targets,
                            [level_channels(desc) for desc in descs[:scene.colour_targets]])

    def seen(event_id: int, data: list[bytes]) -> None:
        images = [pixel_bytes(raw, desc) for raw, desc in zip(data, descs)]
        if event_id == scene.baseline_event:
            builder.baseline(images)
        else:
            builder.after(event_id, images)

    return builder, seen
