"""Game profiles (`pipelines/*.toml`): the declarative game knowledge, loaded and validated.

A profile says how to find each output in a frame of one game: which pass is
the G-buffer, what each of its targets holds, how depth is encoded, what the
stencil bits mean, where the final image before the HUD is, and which uniform
block holds the camera. Errors name the file, the key and what was expected.
See docs/profiles.md for the full reference.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdc_extract.dataset.names import NORMALS_ROLE, role_name_problem
from rdc_extract.decode.formats import GRAPHICS_APIS
from rdc_extract.decode.normals import ENCODINGS as NORMAL_ENCODINGS
from rdc_extract.decode.normals import VIEW_ONLY_ENCODINGS
from rdc_extract.errors import ClassMapError, ProfileError
from rdc_extract.labels.classmap import load_class_map
from rdc_extract.tomlcheck import Section, read_toml

GBUFFER_CHOICES = ("most_draws", "last", "first")
FINAL_IMAGE_STRATEGIES = ("hud_marker", "fullscreen_run")
DEPTH_CLIP_RANGES = ("zero_to_one", "minus_one_to_one")
HANDEDNESS = ("right", "left")
NORMAL_SPACES = ("world", "view")
COLOUR_ENCODINGS = ("srgb", "linear", "hdr")
MATRIX_LAYOUTS = ("column_vectors", "row_vectors")
_TABLES = ("profile", "match", "gbuffer", "depth", "camera", "stencil", "final_image", "instances")


@dataclass(frozen=True)
class MatchRules:
    """What a frame must look like for auto-detection to pick this profile."""

    apis: tuple[str, ...] = ()
    markers_any: tuple[str, ...] = ()
    gbuffer_colour_formats: tuple[str, ...] = ()
    depth_formats: tuple[str, ...] = ()


@dataclass(frozen=True)
class TargetRole:
    """One G-buffer colour slot's meaning (role name → slot, encoding)."""

    role: str
    slot: int
    encoding: str | None = None
    space: str | None = None


@dataclass(frozen=True)
class GBufferRules:
    min_colour_targets: int = 4
    colour_formats: tuple[str, ...] = ()
    depth_stencil: bool = True
    same_size_as_back_buffer: bool = True
    marker: str | None = None
    choose: str = "most_draws"
    targets: tuple[TargetRole, ...] = ()


@dataclass(frozen=True)
class DepthRules:
    """What the profile states about depth; None = not stated. Checked against the capture (docs/profiles.md)."""

    reversed: bool | None = None
    clip_range: str | None = None
    near_m: float | None = None
    far_m: float | None = None
    metres_per_unit: float | None = None  # the game's world unit in metres (None: taken as a metre)


@dataclass(frozen=True)
class MatrixSource:
    """Where a camera matrix is in its block: a member as it is, the inverse of one (`inverse`), or what remains
    of a product once the matrix applied before it is taken out (`first`: product = this ∘ first)."""

    member: str
    inverse: bool = False
    first: str | None = None

    def __str__(self) -> str:
        if self.inverse:
            return f"inverse({self.member})"
        return f"{self.member} · inverse({self.first})" if self.first else self.member

    @property
    def members(self) -> tuple[str, ...]:
        return (self.member,) if self.first is None else (self.member, self.first)


@dataclass(frozen=True)
class CameraRules:
    """Names of the uniform/constant block and its members that hold the camera.

    `matrix_layout`: "row_vectors" when the shaders multiply `mul(v, M)` (the
    translation in the bottom row), so every matrix read is transposed first.
    """

    block: str | None = None
    view: MatrixSource = MatrixSource("view")
    projection: MatrixSource = MatrixSource("proj")
    near: str | None = None
    far: str | None = None
    handedness: str | None = None
    matrix_layout: str = "column_vectors"


@dataclass(frozen=True)
class StencilRules:
    """The class mapping that turns stencil values into labels (its rules hold the bit masks)."""

    classes: Path | None = None


@dataclass(frozen=True)
class InstanceRules:
    """How draws are merged into objects (`--outputs …,instances`): draws of the scene pass that bind the same
    value of constant block `block`'s member `member` are one; without a block, one instance per draw."""

    block: str | None = None
    member: str | None = None


@dataclass(frozen=True)
class FinalImageRules:
    """`fullscreen_run`: the back buffer's first draws that have ≤ `fullscreen_max_vertices` vertices and cover
    ≥ `fullscreen_min_coverage` of it (where the coverage is known: a HUD quad has few vertices too)."""

    strategies: tuple[str, ...] = ("hud_marker", "fullscreen_run")
    hud_marker: str | None = None
    fullscreen_max_vertices: int = 6
    fullscreen_min_coverage: float = 0.95


@dataclass(frozen=True)
class Profile:
    name: str
    path: Path
    description: str = ""
    is_generic: bool = False
    match: MatchRules = field(default_factory=MatchRules)
    gbuffer: GBufferRules = field(default_factory=GBufferRules)
    depth: DepthRules = field(default_factory=DepthRules)
    camera: CameraRules = field(default_factory=CameraRules)
    stencil: StencilRules = field(default_factory=StencilRules)
    final_image: FinalImageRules = field(default_factory=FinalImageRules)
    instances: InstanceRules = field(default_factory=InstanceRules)
    sha256: str = ""   # what decides the outputs: the profile's content and its class mapping's (profile_digest)

    @property
    def is_fallback(self) -> bool:
        """Identified from structure with no [match] rules: what auto-detection takes when no game profile matches.

        A structure-identified profile with [match] rules is a game profile (a
        forward renderer's, say) that auto-detection tries like any other.
        """
        return self.is_generic and self.match == MatchRules()


class _Section(Section):
    """Typed reads from one profile table; failures are ProfileErrors naming file and key."""

    error = ProfileError


def _section(path: Path, data: dict, name: str, known: tuple[str, ...]) -> _Section:
    return _Section(path, name, data.get(name, {}), known)


def _target_roles(path: Path, table: Any, colour_targets: int) -> tuple[TargetRole, ...]:
    """Role name → slot; a role's name becomes its file name, and its slot must exist in every matching pass."""
    roles = []
    slots: dict[int, str] = {}
    targets = _Section(path, "gbuffer.targets", table, tuple(table or {}))
    for role, spec in targets.table.items():
        problem = role_name_problem(role)
        if problem:
            targets.fail("gbuffer.targets", problem, role)
        entry = _Section(path, f"gbuffer.targets.{role}", spec, ("slot", "encoding", "space"))
        slot = entry.integer("slot", -1)
        if slot < 0 or "slot" not in spec:
            entry.fail("slot", "a colour slot index ≥ 0", spec.get("slot"))
        if slot >= colour_targets:
            entry.fail("slot", f"a slot below [gbuffer].min_colour_targets = {colour_targets} "
                               "(a matching pass may have no more targets than that)", slot)
        if slot in slots:
            entry.fail("slot", f"a slot not already used by {slots[slot]!r}", slot)
        slots[slot] = role
        allowed = NORMAL_ENCODINGS if role == NORMALS_ROLE else COLOUR_ENCODINGS
        encoding = entry.string("encoding", None, allowed)
        space = entry.string("space", None, NORMAL_SPACES)
        if encoding in VIEW_ONLY_ENCODINGS and space == "world":
            entry.fail("space", f"'view' with encoding {encoding!r}, which stores only the hemisphere facing the viewer",
                       space)
        roles.append(TargetRole(role, slot, encoding, space))
    return tuple(sorted(roles, key=lambda r: r.slot))


def _selector(camera: _Section, key: str, default: str | None = None) -> str | None:
    """A block member name, optionally with one vector component: `member` or `member.x|y|z|w`."""
    value = camera.string(key, default)
    if value is not None and not re.fullmatch(r"[^.]+(\.[xyzw])?", value):
        camera.fail(key, "a member name, optionally followed by .x, .y, .z or .w", value)
    return value


def _matrix_source(camera: _Section, key: str, default: str) -> MatrixSource:
    """`"member"`, `{ inverse = "member" }`, or `{ product = "member", first = "member" }`."""
    value = camera.table.get(key, default)
    if isinstance(value, str):
        return MatrixSource(_selector(camera, key, default) or default)
    expected = ('a member name, { inverse = "member" } (the matrix is that member\'s inverse) or '
                '{ product = "member", first = "member" } (the matrix that, applied after first, gives product)')
    if not isinstance(value, dict) or not all(isinstance(v, str) and v for v in value.values()):
        camera.fail(key, expected, value)
    if set(value) == {"inverse"}:
        return MatrixSource(value["inverse"], inverse=True)
    if set(value) == {"product", "first"}:
        return MatrixSource(value["product"], first=value["first"])
    camera.fail(key, expected, value)


def _fraction(section: _Section, key: str, default: float) -> float:
    value = section.get(key, (int, float), default, "a fraction of the screen, 0 < x ≤ 1")
    if not 0 < value <= 1:
        section.fail(key, "a fraction of the screen, 0 < x ≤ 1", value)
    return float(value)


def _instance_rules(path: Path, data: dict) -> InstanceRules:
    """Both the block and the member, or neither."""
    instances = _section(path, data, "instances", ("block", "member"))
    block, member = instances.string("block"), instances.string("member")
    if not member and (block is not None or member is not None):
        instances.fail("member", "the name of the block's member whose value tells objects apart (a world matrix)",
                       member)
    if not block and member is not None:
        instances.fail("block", "the name of the constant block that holds the member", block)
    return InstanceRules(block, member)


def profile_digest(data: dict[str, Any], class_map_sha256: str | None) -> str:
    """SHA-256 of a profile's parsed tables (not comments or formatting) and of its class mapping's
    sha256, so a frame's meta.json and manifest record say which profile content made it."""
    canonical = {"profile": data, "class_map_sha256": class_map_sha256}
    return hashlib.sha256(json.dumps(canonical, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()


def load_profile(path: str | Path) -> Profile:
    """Read and validate one profile file; raises ProfileError naming file and key."""
    path = Path(path)
    data = read_toml(path, ProfileError, "profile")
    _Section(path, "top level", data, _TABLES)  # rejects unknown tables
    meta = _section(path, data, "profile", ("name", "description", "generic"))
    name = meta.string("name")
    if not name:
        meta.fail("name", "a profile name", None)
    match = _section(path, data, "match", ("apis", "markers_any", "gbuffer_colour_formats", "depth_formats"))
    gbuffer = _section(
        path, data, "gbuffer",
        ("min_colour_targets", "colour_formats", "depth_stencil", "same_size_as_back_buffer", "marker", "choose", "targets"),
    )
    depth = _section(path, data, "depth", ("reversed", "clip_range", "near_m", "far_m", "metres_per_unit"))
    camera = _section(path, data, "camera",
                      ("block", "view", "projection", "near", "far", "handedness", "matrix_layout"))
    stencil = _section(path, data, "stencil", ("classes",))
    final = _section(path, data, "final_image",
                     ("strategies", "hud_marker", "fullscreen_max_vertices", "fullscreen_min_coverage"))
    colour_targets = gbuffer.integer("min_colour_targets", 4, minimum=1)
    classes = stencil.string("classes")
    if classes and not (path.parent / classes).is_file():
        stencil.fail("classes", "a class-mapping file relative to the profile", classes)
    class_map_sha256 = None
    if classes:
        try:
            # a broken mapping stops a batch before, not at, every capture
            class_map_sha256 = load_class_map(path.parent / classes).sha256
        except ClassMapError as exc:
            raise ProfileError(path, f"{stencil.where('classes')}: {exc}") from None
    return Profile(
        name=name,
        path=path,
        description=meta.string("description", ""),
        is_generic=meta.boolean("generic", False),
        match=MatchRules(match.strings("apis", GRAPHICS_APIS), match.strings("markers_any"),
                         match.strings("gbuffer_colour_formats"), match.strings("depth_formats")),
        gbuffer=GBufferRules(
            min_colour_targets=colour_targets,
            colour_formats=gbuffer.strings("colour_formats"),
            depth_stencil=gbuffer.boolean("depth_stencil", True),
            same_size_as_back_buffer=gbuffer.boolean("same_size_as_back_buffer", True),
            marker=gbuffer.string("marker"),
            choose=gbuffer.string("choose", "most_draws", GBUFFER_CHOICES),
            targets=_target_roles(path, gbuffer.table.get("targets", {}), colour_targets),
        ),
        depth=DepthRules(depth.boolean("reversed", None), depth.string("clip_range", None, DEPTH_CLIP_RANGES),
                         depth.number("near_m"), depth.number("far_m"), depth.number("metres_per_unit")),
        camera=CameraRules(camera.string("block"), _matrix_source(camera, "view", "view"),
                           _matrix_source(camera, "projection", "proj"), _selector(camera, "near"),
                           _selector(camera, "far"), camera.string("handedness", None, HANDEDNESS),
                           camera.string("matrix_layout", "column_vectors", MATRIX_LAYOUTS)),
        stencil=StencilRules((path.parent / classes) if classes else None),
        final_image=FinalImageRules(
            final.strings("strategies", FINAL_IMAGE_STRATEGIES) or ("hud_marker", "fullscreen_run"),
            final.string("hud_marker"),
            final.integer("fullscreen_max_vertices", 6, minimum=3),
            _fraction(final, "fullscreen_min_coverage", 0.95),
        ),
        instances=_instance_rules(path, data),
        sha256=profile_digest(data, class_map_sha256),
    )
