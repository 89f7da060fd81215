"""Class mappings: raw per-pixel values (the G-buffer stencil) → label ids, trainIds and colours.

Class sets change with each research question, so the mapping from what the
game wrote to what a dataset calls a class is data (a TOML file in
`pipelines/classes/`, format in docs/classes.md), in the spirit of
cityscapesScripts' `labels.py`: one declarative list of classes (name, id,
trainId, category, colour) plus the raw values each covers. On load it is
validated and compiled into 256-entry lookup tables, so labelling a frame is a
table lookup — which is what lets `relabel` rebuild labels without replay, and
why extraction and relabelling share `apply_class_map`.

Raw values no rule covers are not an error at labelling time: they get
`unlabelled_id` (and the ignore trainId) and are counted, so a user sees what
the mapping misses instead of losing it silently.

A mapping may also hold signature rules (`[signatures]`, `[[name_rules]]`;
labels/signature_rules.py): on frames with draw ids they label the pixels of
the draws they match, over or under the stencil rules as `precedence` says.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rdc_extract.dataset.names import LABEL_FILES, ROLE_NAME, is_safe_component
from rdc_extract.decode.channels import leading_channels
from rdc_extract.errors import ClassMapError
from rdc_extract.labels.signature_rules import (
    NAME_KINDS, NO_CLASS, PRECEDENCES, SIGNATURE, SIGNATURES_FIRST, STENCIL_FIRST, Coverage, DrawIds, NameRule,
    SignatureRules, coverage,
)
from rdc_extract.profiles.location import pipelines_dir
from rdc_extract.tomlcheck import Section, named_toml, read_toml

RAW_VALUES = 256  # raw maps are uint8: every possible value has a lookup entry
FORMAT_VERSION = 1  # part of the hash: bump if the meaning of a mapping file changes
MAX_CLASS_MAP_BYTES = 16 << 20  # room for ~100,000 signature rules with their comments
MAX_NAME_BYTES = 128  # a mapping's name names its label set's folder
_LABEL_STEMS = {name.rsplit(".", 1)[0] for name in LABEL_FILES.values()}  # what labelling writes cannot be its source
_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_ALL_RAW = np.arange(RAW_VALUES, dtype=np.int64)


class _Section(Section):
    """Sections named as written in the file: ``[mapping]``, ``[[classes]] #3 'road'.raw[0]``."""

    error = ClassMapError

    def where(self, key: str | None = None) -> str:
        return self.name if key is None or key == self.name else f"{self.name}.{key}"


@dataclass(frozen=True)
class RawRule:
    """Raw values ``v`` with ``v & mask`` in ``values`` or inside ``range`` (inclusive)."""

    mask: int = 0xFF
    values: tuple[int, ...] = ()
    range: tuple[int, int] | None = None

    def covers(self) -> np.ndarray:
        """Bool ``(256,)``: which raw values this rule matches."""
        masked = _ALL_RAW & self.mask
        hit = np.isin(masked, self.values)
        if self.range is not None:
            hit |= (masked >= self.range[0]) & (masked <= self.range[1])
        return hit

    def describe(self) -> str:
        """Short human form in hex, as stencil bits are read: ``& 0x0F == 0x04``, ``in {0x04, 0x0B}``, ``in 0x10..0x1F``."""
        lhs = "" if self.mask == 0xFF else f"& 0x{self.mask:02X} "
        if self.range is not None:
            return f"{lhs}in 0x{self.range[0]:02X}..0x{self.range[1]:02X}"
        if len(self.values) == 1:
            return f"{lhs}== 0x{self.values[0]:02X}"
        return f"{lhs}in {{{', '.join(f'0x{v:02X}' for v in self.values)}}}"


@dataclass(frozen=True)
class LabelClass:
    """One row of the class table; ``raw`` may be empty (a class only listed for its colour/legend)."""

    name: str
    id: int
    train_id: int | None
    category: str
    color: tuple[int, int, int]  # sRGB uint8
    raw: tuple[RawRule, ...] = ()


@dataclass(frozen=True, eq=False)
class ClassMap:
    """A validated mapping compiled to lookup tables indexed by raw value (0..255).

    ``ids``: uint8 ``(256,)``; ``train_ids``: uint8 ``(256,)`` or None when the
    mapping defines no trainIds; ``colors``: uint8 ``(256, 3)``; ``covered``:
    bool ``(256,)``, False where no rule applies (those raw values get
    ``unlabelled_id`` / ``ignore_train_id`` and are reported). ``sha256`` hashes
    what decides the labels (not comments or formatting), so it identifies the
    labels a frame carries.
    """

    name: str
    description: str
    source: str
    unlabelled_id: int
    ignore_train_id: int
    classes: tuple[LabelClass, ...]
    path: Path | None
    ids: np.ndarray
    train_ids: np.ndarray | None
    colors: np.ndarray
    covered: np.ndarray
    sha256: str
    rules: SignatureRules = SignatureRules()
    game: str | None = None  # the game profile whose frames it labels, when the file says (not in the hash)

    @property
    def has_train_ids(self) -> bool:
        return self.train_ids is not None

    @property
    def has_stencil_rules(self) -> bool:
        return bool(self.covered.any())


@dataclass(frozen=True, eq=False)
class LabelImages:
    """Label images for one frame, all ``(H, W)`` like the raw map they came from.

    ``ids`` uint8 class ids; ``train_ids`` uint8 trainIds (ignore value where
    unused) or None when the mapping has none; ``color`` uint8 RGB ``(H, W, 3)``;
    ``unmapped``: raw value → pixel count of pixels no rule labels whose raw
    value no stencil rule covers. ``coverage``: the frame's scene pixels a
    signature rule labels, None when it has no draw ids; ``raw_read``: False
    when the labels came from draw ids alone.
    """

    ids: np.ndarray
    train_ids: np.ndarray | None
    color: np.ndarray
    unmapped: dict[int, int]
    coverage: Coverage | None = None
    raw_read: bool = True


def apply_class_map(raw: np.ndarray | None, class_map: ClassMap, draw_ids: DrawIds | None = None) -> LabelImages:
    """Label one frame: every pixel of a uint8 ``(H, W)`` raw map (e.g. the stencil) by the stencil rules, and
    with ``draw_ids`` every pixel of a draw a signature rule covers by that rule.

    Where both cover a pixel, the mapping's ``precedence`` decides (docs/classes.md). Pure and cheap (table
    lookups per pixel, rules matched once per draw); extraction and `relabel` both call it, so the same raw
    map, draw ids and mapping always give the same labels. ``raw`` may be None only for a mapping without
    stencil rules, given draw ids. Raises ``ValueError`` for arrays of another type or shape.
    """
    if raw is None:
        if draw_ids is None or class_map.has_stencil_rules:
            raise ValueError("labels need the raw map: the mapping has stencil rules or the frame has no draw ids")
        raw = np.zeros(draw_ids.ids.shape, dtype=np.uint8)
        raw_read = False
    else:
        raw = np.asarray(raw)
        raw_read = True
    if raw.dtype != np.uint8 or raw.ndim != 2:
        raise ValueError(f"raw ids must be a 2D uint8 array, got {raw.dtype} {raw.shape}")
    if draw_ids is not None and draw_ids.ids.shape != raw.shape:
        raise ValueError(f"draw ids {draw_ids.ids.shape} and raw map {raw.shape} differ in size")
    index, tables, unlabelled = raw, (class_map.ids, class_map.train_ids, class_map.colors), raw
    if draw_ids is not None and class_map.rules:
        index, hit = _signature_index(class_map, raw, draw_ids)
        classes = class_map.classes
        extra = (np.array([c.id for c in classes], np.uint8),
                 np.array([0 if c.train_id is None else c.train_id for c in classes], np.uint8),
                 np.array([c.color for c in classes], np.uint8).reshape(-1, 3))
        tables = tuple(None if table is None else np.concatenate([table, more]) for table, more in zip(tables, extra))
        unlabelled = raw[~hit]
    counts = np.bincount(unlabelled.ravel(), minlength=RAW_VALUES) if raw_read else np.zeros(RAW_VALUES, np.int64)
    missing = np.flatnonzero((counts > 0) & ~class_map.covered)
    ids, train_ids, colors = tables
    # np.take is several times faster than fancy indexing for these small tables; it converts the index to
    # intp first, so that is done once for the three tables
    index = index.astype(np.intp, copy=False)
    return LabelImages(np.take(ids, index), None if train_ids is None else np.take(train_ids, index),
                       take_colors(colors, index), {int(v): int(counts[v]) for v in missing},
                       None if draw_ids is None else coverage(draw_ids.draws, class_map.rules), raw_read)


def take_colors(colors: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``np.take(colors, index, axis=0)`` for a uint8 ``(N, 3)`` table: each colour taken as one uint32 (numpy
    copies 3-byte rows one at a time, 4-byte items in a loop), then the three bytes as planes."""
    packed = np.zeros((len(colors), 4), dtype=np.uint8)
    packed[:, :3] = colors
    taken = np.take(packed.view(np.uint32)[:, 0], index)
    return leading_channels(taken.view(np.uint8).reshape(index.shape + (4,)), 3)


def _signature_index(class_map: ClassMap, raw: np.ndarray, draw_ids: DrawIds) -> tuple[np.ndarray, np.ndarray]:
    """Per pixel, an index into the raw-value tables followed by one entry per class: the raw value, or
    RAW_VALUES + the class a signature rule gives its draw; and which pixels a signature rule labels."""
    per_draw = class_map.rules.draw_classes(draw_ids.draws, len(draw_ids.draws))
    slots = np.where(per_draw == NO_CLASS, -1, RAW_VALUES + per_draw).astype(np.int32)
    slot = np.take(slots, draw_ids.ids)
    hit = slot >= 0
    if class_map.rules.precedence == STENCIL_FIRST:
        hit &= ~np.take(class_map.covered, raw)
    return np.where(hit, slot, raw), hit


def load_class_map(path: str | Path) -> ClassMap:
    """Read and validate a class-mapping TOML file; raises ClassMapError naming the file and entry."""
    path = Path(path)
    data = read_toml(path, ClassMapError, "class-mapping", MAX_CLASS_MAP_BYTES)
    return parse_class_map(data, path)


def _mapping_path(name_or_path: str | Path) -> Path:
    """A mapping's file: the path given, or ``<pipelines>/classes/<name>.toml`` for a name."""
    return named_toml(name_or_path, pipelines_dir() / "classes", ClassMapError, "class mapping")


def is_mapping_file(name_or_path: str | Path) -> bool:
    """Whether `name_or_path` names a mapping by its file rather than as one installed in the pipelines folder:
    later commands on the same labels must be given that file too."""
    return _mapping_path(name_or_path).resolve().parent != (pipelines_dir() / "classes").resolve()


def resolve_class_map(name_or_path: str | Path) -> ClassMap:
    """Load a mapping from a file path, or by name from ``<pipelines>/classes/<name>.toml``."""

    return load_class_map(_mapping_path(name_or_path))


def parse_class_map(data: dict[str, Any], path: Path) -> ClassMap:
    """Validate an already-parsed mapping (``path`` is only used in messages and kept on the result)."""
    _Section(path, "top level", data, ("mapping", "classes", "signatures", "name_rules"))
    meta = _Section(path, "[mapping]", data.get("mapping", {}),
                    ("name", "description", "game", "source", "unlabelled_id", "ignore_train_id", "precedence"))
    name = meta.string("name")
    if not name or not is_safe_component(name, MAX_NAME_BYTES):
        meta.fail("name", f"a mapping name that can name a folder (labels/<name>/): no '/', not starting with '.', "
                          f"printable, at most {MAX_NAME_BYTES} bytes", name)
    game = meta.string("game", None)
    if game is not None and not game:
        meta.fail("game", "the name of the game profile whose frames it labels, e.g. 'city_game'", game)
    source = meta.string("source", "stencil")
    if not ROLE_NAME.fullmatch(source) or source in _LABEL_STEMS:
        meta.fail("source", "the stem of a raw id map in the frame folder, like 'stencil' (not a label file)", source)
    unlabelled_id = meta.integer("unlabelled_id", 0, maximum=255)
    ignore_train_id = meta.integer("ignore_train_id", 255, maximum=255)

    entries = data.get("classes")
    if not isinstance(entries, list) or not entries:
        raise ClassMapError(path, f"[[classes]]: expected at least one [[classes]] entry, got {entries!r}")
    classes = tuple(_parse_class(path, i, entry) for i, entry in enumerate(entries, start=1))
    _check_unique(path, classes)
    with_train = [c for c in classes if c.train_id is not None]
    if with_train and len(with_train) != len(classes):
        lacking = next(i for i, c in enumerate(classes, start=1) if c.train_id is None)
        raise ClassMapError(path, f"{_entry(lacking, classes[lacking - 1].name)}: train_id missing; "
                                  "give every class a train_id (use the ignore value for void classes) or none")
    rules = _parse_signature_rules(path, data, classes, meta.string("precedence", SIGNATURES_FIRST, PRECEDENCES))
    return _compile(name, meta.string("description", ""), source, unlabelled_id, ignore_train_id,
                    classes, rules, path, has_train=bool(with_train), game=game)


def _class_index(path: Path, where: str, name: Any, classes: tuple[LabelClass, ...],
                 by_name: dict[str, int]) -> int:
    if name in by_name:
        return by_name[name]
    known = ", ".join(repr(c.name) for c in classes[:12]) + (", …" if len(classes) > 12 else "")
    raise ClassMapError(path, f"{where}: unknown class {name!r}; a rule names one of the [[classes]] ({known})")


def _parse_signature_rules(path: Path, data: dict[str, Any], classes: tuple[LabelClass, ...],
                           precedence: str) -> SignatureRules:
    """``[signatures]`` (signature → class name) and ``[[name_rules]]`` (class and glob patterns by name kind)."""
    table = data.get("signatures", {})
    if not isinstance(table, dict):
        raise ClassMapError(path, f"[signatures]: expected a table of signature = \"class name\", got {table!r}")
    by_name = {c.name: index for index, c in enumerate(classes)}
    exact: dict[str, int] = {}
    for key, name in table.items():
        signature = key.lower()
        where = f"[signatures].{key}"
        if not SIGNATURE.match(signature):
            raise ClassMapError(path, f"{where}: expected a draw signature of 32 hex digits (drawids.json 'signature')")
        if signature in exact:
            raise ClassMapError(path, f"{where}: duplicate rule: signature {signature} is listed twice")
        if not isinstance(name, str):
            raise ClassMapError(path, f"{where}: expected a class name, got {name!r}")
        exact[signature] = _class_index(path, where, name, classes, by_name)
    entries = data.get("name_rules", [])
    if not isinstance(entries, list):
        raise ClassMapError(path, f"[[name_rules]]: expected a list of [[name_rules]] tables, got {entries!r}")
    names: list[NameRule] = []
    for number, entry in enumerate(entries, start=1):
        label = f"[[name_rules]] #{number}"
        rule = _Section(path, label, entry, ("class", *NAME_KINDS))
        patterns = []
        for kind in NAME_KINDS:
            globs = rule.table.get(kind)
            if globs is None:
                continue
            globs = [globs] if isinstance(globs, str) else globs
            if not isinstance(globs, list) or not globs or not all(isinstance(g, str) and g for g in globs):
                rule.fail(kind, "a glob pattern or a non-empty list of them", rule.table[kind])
            patterns.append((kind, tuple(sorted(set(globs)))))
        if not patterns:
            rule.fail(label, f"at least one of {', '.join(NAME_KINDS)}", entry)
        class_name = rule.string("class")
        if not class_name:
            rule.fail("class", "the name of one of the [[classes]]", class_name)
        class_index = _class_index(path, f"{label}.class", class_name, classes, by_name)
        for earlier in names:
            if earlier.patterns == tuple(patterns):
                raise ClassMapError(path, f"{label}: duplicate rule: the same patterns as {earlier.label}")
        names.append(NameRule(class_index, tuple(patterns), label))
    return SignatureRules(exact, tuple(names), precedence)


def _entry(index: int, name: Any) -> str:
    return f"[[classes]] #{index} {name!r}" if name else f"[[classes]] #{index}"


def _parse_class(path: Path, index: int, entry: Any) -> LabelClass:
    label = _entry(index, entry.get("name") if isinstance(entry, dict) else None)
    table = _Section(path, label, entry, ("name", "id", "train_id", "category", "color", "raw"))
    name = table.string("name")
    if not name:
        table.fail("name", "a class name", name)
    if "id" not in table.table:
        table.fail("id", "a class id 0..255", None)
    class_id = table.integer("id", 0, maximum=255)
    train_id = table.integer("train_id", 0, maximum=255) if "train_id" in table.table else None
    raw = table.table.get("raw", [])
    specs = raw if isinstance(raw, list) else [raw]
    rules = tuple(_parse_rule(path, f"{label}.raw" + (f"[{j}]" if isinstance(raw, list) else ""), spec)
                  for j, spec in enumerate(specs))
    return LabelClass(name, class_id, train_id, table.string("category", ""), _parse_colour(table), rules)


def _parse_colour(table: _Section) -> tuple[int, int, int]:
    expected = "a colour [r, g, b] with integers 0..255, or '#rrggbb'"
    value = table.table.get("color")
    if isinstance(value, str) and _HEX_COLOUR.match(value):
        return (int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16))
    if (isinstance(value, list) and len(value) == 3
            and all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= 255 for c in value)):
        return (value[0], value[1], value[2])
    table.fail("color", expected, value)


def _parse_rule(path: Path, label: str, spec: Any) -> RawRule:
    rule = _Section(path, label, spec, ("value", "values", "range", "mask"))
    kinds = [k for k in ("value", "values", "range") if k in rule.table]
    if len(kinds) != 1:
        rule.fail(label, "exactly one of value, values, range", spec)
    mask = rule.integer("mask", 0xFF, minimum=1, maximum=255)
    if "range" in rule.table:
        bounds = rule.table["range"]
        if (not isinstance(bounds, list) or len(bounds) != 2
                or not all(isinstance(b, int) and not isinstance(b, bool) for b in bounds)
                or not 0 <= bounds[0] <= bounds[1] <= 255):
            rule.fail("range", "[lo, hi] with 0 ≤ lo ≤ hi ≤ 255 (inclusive)", bounds)
        result = RawRule(mask, (), (bounds[0], bounds[1]))
    else:
        if "value" in rule.table:
            values = [rule.integer("value", 0, maximum=255)]
        else:
            values = rule.table["values"]
            if (not isinstance(values, list) or not values
                    or not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255 for v in values)):
                rule.fail("values", "a non-empty list of integers 0..255", values)
        for v in values:
            if v & ~mask:
                rule.fail(kinds[0], f"values within mask {mask:#04x} (raw & mask can never equal {v:#04x})", v)
        result = RawRule(mask, tuple(values), None)
    if not result.covers().any():
        rule.fail(label, "a rule matching at least one raw value", spec)
    return result


def _check_unique(path: Path, classes: tuple[LabelClass, ...]) -> None:
    seen_ids: dict[int, int] = {}
    seen_names: dict[str, int] = {}
    for i, c in enumerate(classes, start=1):
        if c.id in seen_ids:
            first = seen_ids[c.id]
            raise ClassMapError(path, f"{_entry(i, c.name)}: id {c.id} already used by "
                                      f"{_entry(first, classes[first - 1].name)}")
        if c.name in seen_names:
            raise ClassMapError(path, f"{_entry(i, c.name)}: name already used by {_entry(seen_names[c.name], c.name)}")
        seen_ids[c.id] = i
        seen_names[c.name] = i


def _compile(name: str, description: str, source: str, unlabelled_id: int, ignore_train_id: int,
             classes: tuple[LabelClass, ...], rules: SignatureRules, path: Path, *, has_train: bool,
             game: str | None = None) -> ClassMap:
    """Build the lookup tables; two classes covering one raw value is an error (order must not matter)."""
    owner = np.full(RAW_VALUES, -1, dtype=np.int64)
    fallback = next((c for c in classes if c.id == unlabelled_id), None)
    ids = np.full(RAW_VALUES, unlabelled_id, dtype=np.uint8)
    train_ids = np.full(RAW_VALUES, ignore_train_id, dtype=np.uint8)
    colors = np.zeros((RAW_VALUES, 3), dtype=np.uint8)
    colors[:] = fallback.color if fallback else (0, 0, 0)
    for i, c in enumerate(classes):
        hit = np.zeros(RAW_VALUES, dtype=bool)
        for rule in c.raw:
            hit |= rule.covers()
        clash = np.flatnonzero(hit & (owner >= 0))
        if clash.size:
            other = int(owner[clash[0]])
            more = f" (and {clash.size - 1} more)" if clash.size > 1 else ""
            raise ClassMapError(path, f"{_entry(i + 1, c.name)}: raw value {int(clash[0])} ({int(clash[0]):#04x}){more} "
                                      f"is also covered by {_entry(other + 1, classes[other].name)}; "
                                      "rules of different classes must not overlap")
        owner[hit] = i
        ids[hit] = c.id
        colors[hit] = c.color
        if c.train_id is not None:
            train_ids[hit] = c.train_id
    covered = owner >= 0
    for table in (ids, train_ids, colors, covered):
        table.flags.writeable = False
    canonical = {
        "format": FORMAT_VERSION, "name": name, "source": source,
        "unlabelled_id": unlabelled_id, "ignore_train_id": ignore_train_id,
        "classes": [[c.name, c.id, c.train_id, c.category, list(c.color)] for c in classes],
        "ids": ids.tolist(), "train_ids": train_ids.tolist() if has_train else None,
        "colors": colors.tolist(), "covered": covered.tolist(),
        **({"signature_rules": rules.canonical()} if rules else {}),
    }
    digest = hashlib.sha256(json.dumps(canonical, separators=(",", ":")).encode()).hexdigest()
    return ClassMap(name, description, source, unlabelled_id, ignore_train_id, classes, path,
                    ids, train_ids if has_train else None, colors, covered, digest, rules, game)
