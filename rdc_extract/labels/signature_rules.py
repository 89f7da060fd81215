"""Signature rules of a class mapping: a draw's class from its content signature or the names it carries.

Stencil rules label a pixel by what the game wrote into it; signature rules
label it by the draw that produced it (`drawids.png` and `drawids.json`,
docs/drawids.md). A draw's signature is the same in every capture of the
game, so a signature labelled once labels every frame it appears in. Rules
are matched once per draw of a frame's table, never per pixel: applying them
to an image is one lookup per pixel. Coverage (which scene pixels a rule
labels) needs only the table, so `relabel` reports it without reading images.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

import numpy as np

SIGNATURE = re.compile(r"^[0-9a-f]{32}$")
SIGNATURES_FIRST, STENCIL_FIRST = "signatures", "stencil"
PRECEDENCES = (SIGNATURES_FIRST, STENCIL_FIRST)
#: `[[name_rules]]` keys → where a drawids.json draw keeps those names (`marker` is its marker path, joined by "/").
NAME_KINDS = {"marker": "marker_path", "shader": "shaders", "texture": "textures", "buffer": "buffers",
              "constant_block": "constant_blocks"}
NO_CLASS = -1


@dataclass(frozen=True)
class NameRule:
    """Glob patterns (case-sensitive, `fnmatch`) by name kind: matches a draw when every kind given has a
    pattern matching one of the draw's names of that kind. ``label`` names the rule in messages."""

    class_index: int
    patterns: tuple[tuple[str, tuple[str, ...]], ...]
    label: str = ""

    def matches(self, names: Mapping[str, list[str]]) -> bool:
        return all(any(fnmatchcase(name, glob) for name in names.get(kind, ()) for glob in globs)
                   for kind, globs in self.patterns)


@dataclass(frozen=True, eq=False)
class SignatureRules:
    """A mapping's draw rules: ``exact`` signature → class index, then ``names`` in file order (the first
    matching wins); an exact rule beats every name rule. ``precedence`` says which wins on a pixel both a
    signature rule and a stencil rule cover: ``signatures`` (default) or ``stencil``."""

    exact: Mapping[str, int] = field(default_factory=dict)
    names: tuple[NameRule, ...] = ()
    precedence: str = SIGNATURES_FIRST

    def __bool__(self) -> bool:
        return bool(self.exact or self.names)

    def class_of(self, draw: Mapping[str, Any]) -> int:
        """The class index the rules give a drawids.json draw, or NO_CLASS."""
        found = self.exact.get(draw.get("signature") or "")
        if found is not None:
            return found
        if self.names:
            names = draw_names(draw)
            for rule in self.names:
                if rule.matches(names):
                    return rule.class_index
        return NO_CLASS

    def draw_classes(self, draws: Iterable[Mapping[str, Any]], count: int) -> np.ndarray:
        """int64 ``(count + 1,)``: the class index of draw index i (NO_CLASS for none and for index 0, no draw)."""
        classes = np.full(count + 1, NO_CLASS, dtype=np.int64)
        for draw in draws:
            classes[draw["index"]] = self.class_of(draw)
        return classes

    def canonical(self) -> dict[str, Any]:
        """What decides labels, for the mapping's hash."""
        return {"precedence": self.precedence, "exact": sorted(self.exact.items()),
                "names": [[rule.class_index, [[kind, list(globs)] for kind, globs in rule.patterns]]
                          for rule in self.names]}


def draw_names(draw: Mapping[str, Any]) -> dict[str, list[str]]:
    """The names a drawids.json draw carries, by `[[name_rules]]` key (debug names only where the capture has them)."""
    recorded = (draw.get("signature_parts") or {}).get("names") or {}
    names = {key: list(recorded.get(field_name) or ()) for key, field_name in NAME_KINDS.items() if key != "marker"}
    names["marker"] = ["/".join(draw.get("marker_path") or ())]
    return names


@dataclass(frozen=True, eq=False)
class DrawIds:
    """A frame's draw-id map (uint16 ``(H, W)``, 0 = no draw) and its table's ``draws`` (docs/drawids.md)."""

    ids: np.ndarray
    draws: list[dict[str, Any]]

    def __post_init__(self) -> None:
        if self.ids.dtype != np.uint16 or self.ids.ndim != 2:
            raise ValueError(f"draw ids must be a 2D uint16 array, got {self.ids.dtype} {self.ids.shape}")
        highest = int(self.ids.max(initial=0))
        if highest > len(self.draws) or any(d.get("index") != i for i, d in enumerate(self.draws, start=1)):
            raise ValueError(f"drawids.png holds draw index {highest} but drawids.json lists {len(self.draws)} "
                             "draws numbered from 1")


@dataclass
class Coverage:
    """Scene pixels (owned by a draw) of one or more frames: how many a signature rule labels, and the
    unlabelled ones by signature (``""`` for a draw without one), each with its frames and a name to show."""

    scene_pixels: int = 0
    labelled_pixels: int = 0
    unlabelled: dict[str, int] = field(default_factory=dict)
    frames: dict[str, int] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    @property
    def unlabelled_pixels(self) -> int:
        return self.scene_pixels - self.labelled_pixels

    def add(self, other: Coverage) -> None:
        self.scene_pixels += other.scene_pixels
        self.labelled_pixels += other.labelled_pixels
        for signature, pixels in other.unlabelled.items():
            self.unlabelled[signature] = self.unlabelled.get(signature, 0) + pixels
            self.frames[signature] = self.frames.get(signature, 0) + other.frames.get(signature, 1)
            self.names.setdefault(signature, other.names.get(signature, ""))

    def largest_unlabelled(self) -> list[tuple[str, int]]:
        return sorted(self.unlabelled.items(), key=lambda item: (-item[1], item[0]))


def coverage(draws: Iterable[Mapping[str, Any]], rules: SignatureRules) -> Coverage:
    """One frame's coverage from its drawids.json draws (their ``pixels`` counts), no image needed."""
    result = Coverage()
    for draw in draws:
        pixels = int(draw.get("pixels") or 0)
        if not pixels:
            continue
        result.scene_pixels += pixels
        if rules.class_of(draw) != NO_CLASS:
            result.labelled_pixels += pixels
            continue
        signature = draw.get("signature") or ""
        result.unlabelled[signature] = result.unlabelled.get(signature, 0) + pixels
        result.frames[signature] = 1
        result.names.setdefault(signature, " ".join(
            part for part in (draw.get("name", ""), "/".join(draw.get("marker_path") or ())) if part))
    return result
