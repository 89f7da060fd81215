"""Signature rules suggested from a dataset's stencil labels: `rdc-extract signatures OUT --suggest FILE.toml`.

A game's stencil carries a few classes; a draw signature recurs across the
dataset. Voting each signature's pixels by their stencil class (the mapping's
stencil rules) gives it a class valid in every frame it appears in; the
result is a complete mapping file, the given one plus one `[signatures]` line
per signature with its purity and pixels as a comment, for a person to edit
(docs/classes.md, "Signature rules"). Voting and writing the file are pure;
`suggest_rules` reads the frames.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rdc_extract.dataset.names import META_FILE
from rdc_extract.errors import NotADataset
from rdc_extract.labels.classmap import ClassMap, RawRule, parse_class_map
from rdc_extract.labels.files import read_draw_ids, read_draw_table, read_raw
from rdc_extract.labels.relabel import frame_dirs
from rdc_extract.labels.signature_rules import NO_CLASS, DrawIds

MIXED = 0.9  # below this purity a suggestion is flagged for a look


@dataclass
class SignatureVotes:
    """One signature's scene pixels by stencil class index (the last slot: no stencil rule covers them)."""

    counts: np.ndarray
    frames: int = 0

    @property
    def pixels(self) -> int:
        return int(self.counts.sum())


@dataclass(frozen=True)
class Suggestion:
    signature: str
    class_index: int  # NO_CLASS: most of its pixels have no stencil class
    purity: float  # share of its pixels in that class (or without one)
    pixels: int
    frames: int
    runner_up: tuple[int, float] | None  # the next class and its share, when there is one


@dataclass
class Votes:
    """Votes of a whole dataset, by signature."""

    classes: int
    by_signature: dict[str, SignatureVotes] = field(default_factory=dict)

    def add_frame(self, draw_ids: DrawIds, raw: np.ndarray, class_map: ClassMap) -> None:
        """Count each drawn pixel of one frame for its draw's signature, by its stencil class."""
        if draw_ids.ids.shape != raw.shape:
            raise ValueError(f"draw ids {draw_ids.ids.shape} and raw map {raw.shape} differ in size")
        by_id = {c.id: index for index, c in enumerate(class_map.classes)}
        class_of_raw = np.array([by_id[int(i)] if covered else self.classes
                                 for i, covered in zip(class_map.ids, class_map.covered)], np.int64)
        drawn = draw_ids.ids > 0
        keys = draw_ids.ids[drawn].astype(np.int64) * (self.classes + 1) + class_of_raw[raw[drawn]]
        pairs, counts = np.unique(keys, return_counts=True)
        signatures = {d["index"]: d.get("signature") or "" for d in draw_ids.draws}
        seen: set[str] = set()
        for key, count in zip(pairs.tolist(), counts.tolist()):
            index, vote = divmod(key, self.classes + 1)
            signature = signatures[index]
            entry = self.by_signature.setdefault(signature, SignatureVotes(np.zeros(self.classes + 1, np.int64)))
            entry.counts[vote] += count
            if signature not in seen:
                entry.frames += 1
                seen.add(signature)

    def suggestions(self) -> list[Suggestion]:
        """Each signature's majority class, largest signatures first (a draw without a signature gets none)."""
        found = []
        for signature, votes in self.by_signature.items():
            if not signature:
                continue
            order = np.argsort(-votes.counts, kind="stable")
            total = votes.pixels
            best = int(order[0])
            second = int(order[1]) if len(order) > 1 and votes.counts[order[1]] else None
            found.append(Suggestion(
                signature, NO_CLASS if best == self.classes else best, float(votes.counts[best] / total), total,
                votes.frames,
                None if second is None else (NO_CLASS if second == self.classes else second,
                                             float(votes.counts[second] / total))))
        return sorted(found, key=lambda s: (-s.pixels, s.signature))


def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string without surrogate escapes is a TOML basic string


def _raw_rule(rule: RawRule) -> str:
    chosen = (f"range = [0x{rule.range[0]:02X}, 0x{rule.range[1]:02X}]" if rule.range is not None
              else f"values = [{', '.join(f'0x{v:02X}' for v in rule.values)}]")
    return f"{{ {chosen}, mask = 0x{rule.mask:02X} }}"


def _class_name(class_map: ClassMap, index: int) -> str:
    return "no stencil class" if index == NO_CLASS else class_map.classes[index].name


def mapping_toml(class_map: ClassMap, suggestions: list[Suggestion], *, origin: str,
                 tiles: dict[str, int] | None = None) -> str:
    """A complete mapping: ``class_map``'s classes and rules, then a ``[signatures]`` line per suggestion.

    Signatures the mapping already has an exact rule for keep it (listed first). A suggestion whose
    majority is pixels without a stencil class is written commented out, for a person to name.
    ``tiles``: signature → its tile on the contact sheet (signatures.png), mentioned in the comment.
    """
    tiles = tiles or {}
    name = class_map.name if class_map.name.endswith("_signatures") else f"{class_map.name}_signatures"
    lines = [
        f"# Signature rules suggested from {origin} by `rdc-extract signatures --suggest`:",
        "# each draw signature's class is the majority, over its pixels, of the classes the stencil rules of",
        f"# {class_map.name!r} give them. Edit it: fix or delete rules of low purity, name the commented-out",
        "# signatures (largest first); check it with `rdc-extract classes FILE` and apply it with",
        "# `rdc-extract relabel OUT --classes FILE` (docs/classes.md, \"Signature rules\").",
        "[mapping]",
        f"name = {_string(name)}",
        *([f"description = {_string(class_map.description)}"] if class_map.description else []),
        *([f"game = {_string(class_map.game)}"] if class_map.game else []),
        f"source = {_string(class_map.source)}",
        f"unlabelled_id = {class_map.unlabelled_id}",
        f"ignore_train_id = {class_map.ignore_train_id}",
        f"precedence = {_string(class_map.rules.precedence)}   # which wins where both match: signatures or stencil",
    ]
    for c in class_map.classes:
        lines += ["", "[[classes]]", f"name = {_string(c.name)}", f"id = {c.id}"]
        lines += [f"train_id = {c.train_id}"] if c.train_id is not None else []
        lines += [f"category = {_string(c.category)}"] if c.category else []
        lines.append(f"color = [{', '.join(str(v) for v in c.color)}]")
        if c.raw:
            lines.append(f"raw = [{', '.join(_raw_rule(rule) for rule in c.raw)}]")
    for rule in class_map.rules.names:
        lines += ["", "[[name_rules]]", f"class = {_string(class_map.classes[rule.class_index].name)}"]
        lines += [f"{kind} = [{', '.join(_string(g) for g in globs)}]" for kind, globs in rule.patterns]
    total = sum(s.pixels for s in suggestions) or 1
    lines += ["", "[signatures]"]
    kept = class_map.rules.exact
    lines += [f"{signature} = {_string(class_map.classes[index].name)}   # kept from {class_map.name!r}"
              for signature, index in kept.items()]
    for s in suggestions:
        if s.signature in kept:
            continue
        note = (f"purity {s.purity:.1%}, {s.pixels:,} px ({s.pixels / total:.2%} of the scene pixels), "
                f"{s.frames} frame{'s' if s.frames != 1 else ''}")
        if s.runner_up is not None:
            note += f"; next {_class_name(class_map, s.runner_up[0])} {s.runner_up[1]:.1%}"
        if s.signature in tiles:
            note += f"; tile {tiles[s.signature]} of signatures.png"
        if s.class_index == NO_CLASS:
            lines.append(f"# {s.signature} = \"\"   # no stencil class: {note}")
        else:
            flag = "CHECK: mixed, " if s.purity < MIXED else ""
            lines.append(f"{s.signature} = {_string(class_map.classes[s.class_index].name)}   # {flag}{note}")
    return "\n".join(lines) + "\n"


@dataclass
class SuggestionReport:
    suggestions: list[Suggestion]
    frames_used: int
    frames_skipped: list[str]  # no draw ids, or no raw map to vote with
    text: str

    @property
    def agreement(self) -> float:
        """Share of the voted pixels whose stencil class the suggested rules give them back."""
        total = sum(s.pixels for s in self.suggestions)
        return sum(s.pixels * s.purity for s in self.suggestions if s.class_index != NO_CLASS) / total if total else 0.0


def recorded_mapping(out_dir: Path) -> str:
    """The name of the class mapping the dataset's frames are labelled with (meta.json), when it is one."""
    frames, _links = frame_dirs(out_dir)
    names = set()
    for frame in frames:
        meta = frame / META_FILE
        if meta.is_file():
            labels = json.loads(meta.read_text(encoding="utf-8")).get("labels")
            if isinstance(labels, dict) and labels.get("mapping"):
                names.add(labels["mapping"])
    if len(names) != 1:
        found = ", ".join(sorted(names)) or "none"
        raise NotADataset(out_dir, f"cannot tell which class mapping to vote with (frames are labelled with: "
                                   f"{found}); pass --classes MAP, a mapping whose stencil rules give the classes "
                                   "that vote")
    return names.pop()


def suggest_rules(out_dir: Path, class_map: ClassMap, *, tiles: dict[str, int] | None = None) -> SuggestionReport:
    """Vote every frame with draw ids and a raw map; return the suggested mapping's text (validated) and figures."""
    frames, _links = frame_dirs(out_dir)
    votes = Votes(len(class_map.classes))
    used, skipped = 0, []
    for frame in frames:
        draws = read_draw_table(frame)
        if draws is None or not (frame / f"{class_map.source}.png").is_file():
            skipped.append(frame.name)
            continue
        votes.add_frame(read_draw_ids(frame, draws), read_raw(frame, class_map.source), class_map)
        used += 1
    if not used:
        raise NotADataset(out_dir, f"no frame has both draw ids and {class_map.source}.png: suggestions are the "
                                   f"votes of the classes mapping {class_map.name!r} gives the {class_map.source}, "
                                   f"pixel by pixel (extract with --outputs ...,{class_map.source},drawids, for a "
                                   f"game whose {class_map.source} carries classes); nothing written")
    suggestions = votes.suggestions()
    text = mapping_toml(class_map, suggestions, origin=f"{used} frames of {out_dir}", tiles=tiles)
    _check_loads(text, class_map)
    return SuggestionReport(suggestions, used, skipped, text)


def _check_loads(text: str, class_map: ClassMap) -> None:
    """The written mapping must load: a class name that TOML or the mapping rejects would otherwise surface later."""
    import tomllib

    parse_class_map(tomllib.loads(text), class_map.path or Path("suggested.toml"))

