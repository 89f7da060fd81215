"""What a frame is made of, as plain data: no RenderDoc types past this point.

Built once per capture by `rdc_extract.rd.frame_reader` from the action tree,
then grouped, matched against profiles, serialised by `inspect --json`, and
used to pick the events extraction replays to.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

from rdc_extract.decode.formats import TextureFormat

#: RenderDoc numbers the resources its replay creates itself (an OpenGL window's default framebuffer, say) from
#: 10**18 up, and that counter runs on across every capture one process opens (ResourceIDGen::SetReplayResourceIDs).
REPLAY_CREATED_IDS_FROM = 10**18


def capture_resource_id(resource_id: int) -> int | None:
    """`resource_id` as the capture knows it; None for a resource only the replay made, whose id depends on what
    the process replayed before (a dataset records it by name)."""
    return None if resource_id >= REPLAY_CREATED_IDS_FROM else resource_id


def unnamed_pass_name(index: int) -> str:
    """What a pass without debug markers is called."""
    return f"Pass #{index}"


@dataclass(frozen=True)
class Texture:
    """A texture the frame renders into (colour target, depth-stencil or swap buffer)."""

    resource_id: int
    name: str
    width: int
    height: int
    format: TextureFormat
    is_swap_buffer: bool = False

    @property
    def has_stencil(self) -> bool:
        return self.format.layout in ("D16S8", "D24S8", "D32S8", "S8")

    @property
    def size(self) -> tuple[int, int]:
        return (self.width, self.height)


@dataclass(frozen=True)
class Action:
    """One leaf action (draw, clear, copy, ...) in capture order.

    `marker_path` is the stack of debug-marker names enclosing it (outermost
    first); `colour_outputs` are the bound colour targets' resource ids in slot
    order, with unbound slots (0) removed from the end only, so slot indices hold.
    `reads` are the frame's textures the action samples (its shaders' inputs);
    `copy_source`/`copy_destination` are what a copy or blit reads and writes.
    """

    event_id: int
    name: str
    kind: str  # "draw" | "clear" | "dispatch" | "copy" | "present" | "other"
    marker_path: tuple[str, ...] = ()
    colour_outputs: tuple[int, ...] = ()
    depth_output: int | None = None
    begins_pass: bool = False
    ends_pass: bool = False
    vertex_count: int = 0
    reads: tuple[int, ...] = ()
    copy_source: int | None = None
    copy_destination: int | None = None

    @property
    def targets(self) -> tuple[tuple[int, ...], int | None]:
        return (self.colour_outputs, self.depth_output)


@dataclass(frozen=True)
class DrawState:
    """The per-draw pipeline state identification asks about (read only for the few draws that need it).

    `depth_always` is a depth test that always passes (UI some games draw with
    the test on); `viewport` is the first viewport's (width, height) when known.
    """

    depth_test: bool
    blending: bool
    depth_write: bool = False
    depth_always: bool = False
    viewport: tuple[float, float] | None = None

    @property
    def is_overlay(self) -> bool:
        """Drawn over the image, not into the scene: how UI draws look, whatever the game calls them."""
        return not self.uses_depth and self.blending

    @property
    def uses_depth(self) -> bool:
        """Tests against or writes the depth target (no test, no write either): what scene geometry does and UI does not."""
        return self.depth_test and (self.depth_write or not self.depth_always)

    def draws_scene(self, target_size: tuple[int, int]) -> bool:
        """Scene geometry: uses depth over the whole target (a smaller viewport is a UI inset, e.g. a 3D minimap)."""
        if self.viewport is not None and any(abs(v) < 0.99 * t for v, t in zip(self.viewport, target_size)):
            return False
        return self.uses_depth


@dataclass
class Pass:
    """Consecutive draws into the same targets (split at markers and API pass boundaries)."""

    index: int
    colour_targets: tuple[int, ...]
    depth_target: int | None
    draws: list[Action] = field(default_factory=list)
    clears: list[Action] = field(default_factory=list)
    marker_path: tuple[str, ...] = ()

    @property
    def first_event(self) -> int:
        return min(a.event_id for a in self.draws + self.clears)

    @property
    def last_event(self) -> int:
        return max(a.event_id for a in self.draws + self.clears)

    @property
    def last_draw_event(self) -> int:
        return self.draws[-1].event_id if self.draws else self.last_event

    @property
    def name(self) -> str:
        return "/".join(self.marker_path) if self.marker_path else unnamed_pass_name(self.index)


@dataclass
class Frame:
    """The whole captured frame: actions in order, passes, and the textures they touch.

    `actions` is fixed once built: `draws` and `has_markers` are derived once,
    since identification asks for them per candidate pass. `draw_state(event)`
    gives a draw's pipeline state: from `draw_states` (plain data, e.g. in
    tests) or read on first request through `state_reader` (set by the replay
    side while the capture is open), so frames a game profile identifies pay
    nothing for it. `coverage(event)` is the same for the fraction of its target
    a draw covers (`frame/coverage.py`): `screen_coverage`, else `coverage_reader`.
    """

    capture: str
    api: str
    actions: list[Action]
    textures: dict[int, Texture]
    passes: list[Pass] = field(default_factory=list)
    draw_states: dict[int, DrawState] = field(default_factory=dict)
    state_reader: Callable[[int], DrawState | None] | None = field(default=None, repr=False, compare=False)
    screen_coverage: dict[int, float] = field(default_factory=dict)
    coverage_reader: Callable[[int], float | None] | None = field(default=None, repr=False, compare=False)

    def draw_state(self, event_id: int) -> DrawState | None:
        if event_id not in self.draw_states and self.state_reader is not None:
            state = self.state_reader(event_id)
            if state is not None:
                self.draw_states[event_id] = state
        return self.draw_states.get(event_id)

    def coverage(self, event_id: int) -> float | None:
        """Fraction (0..1) of its colour target the draw covers; None when not known."""
        if event_id not in self.screen_coverage and self.coverage_reader is not None:
            covered = self.coverage_reader(event_id)
            if covered is not None:
                self.screen_coverage[event_id] = covered
        return self.screen_coverage.get(event_id)

    @functools.cached_property
    def draws(self) -> list[Action]:
        return [a for a in self.actions if a.kind == "draw"]

    @functools.cached_property
    def has_markers(self) -> bool:
        return any(a.marker_path for a in self.actions)

    def texture(self, resource_id: int | None) -> Texture | None:
        return None if resource_id is None else self.textures.get(resource_id)

    def texture_ref(self, resource_id: int | None) -> str:
        """How messages name a texture: `#28`, or `'Backbuffer Color'` when only the replay made it (its id varies)."""
        texture = self.texture(resource_id)
        if texture is not None and capture_resource_id(texture.resource_id) is None:
            return repr(texture.name)
        return f"#{resource_id}"

    @property
    def back_buffer(self) -> Texture | None:
        """The swap-chain image, or (headless, no swap chain) the last colour target drawn to."""
        swap = [t for t in self.textures.values() if t.is_swap_buffer]
        drawn = {out for a in self.draws for out in a.colour_outputs}
        for texture in swap:
            if texture.resource_id in drawn:
                return texture
        for action in reversed(self.draws):
            if action.colour_outputs and action.colour_outputs[0] in self.textures:
                return self.textures[action.colour_outputs[0]]
        return swap[0] if swap else None
