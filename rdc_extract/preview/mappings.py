"""Names and colours of the label ids a frame's mapping made, for legends and the card's class tables."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from rdc_extract.errors import ClassMapError


@dataclass(frozen=True)
class ClassEntry:
    name: str
    train_id: int | None
    color: tuple[int, int, int]


@dataclass(frozen=True)
class MappingClasses:
    """The classes of one mapping by label id; `entries` is empty when the mapping could not be found
    (a .toml given by path at extraction, since moved) or the one found is not the one that made the labels."""

    name: str
    sha256: str
    entries: dict[int, ClassEntry]
    unlabelled_id: int | None
    note: str = ""

    def name_of(self, label: int) -> str:
        entry = self.entries.get(label)
        if entry is not None:
            return entry.name
        return "unlabelled" if label == self.unlabelled_id else f"id {label}"


@lru_cache(maxsize=32)
def mapping_classes(name: str, sha256: str) -> MappingClasses:
    """The installed mapping of that name, when it is the one with that sha256 (meta.json `labels`)."""
    from rdc_extract.labels.classmap import resolve_class_map

    try:
        class_map = resolve_class_map(name)
    except ClassMapError:
        return MappingClasses(name, sha256, {}, None, f"mapping {name!r} is not installed here: classes shown by id")
    if class_map.sha256 != sha256:
        return MappingClasses(name, sha256, {}, None, f"the installed mapping {name!r} is not the one that made "
                                                      "these labels (its sha256 differs): classes shown by id")
    entries = {c.id: ClassEntry(c.name, c.train_id, c.color) for c in class_map.classes}
    return MappingClasses(name, sha256, entries, class_map.unlabelled_id)
