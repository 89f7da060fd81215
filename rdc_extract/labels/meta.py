"""The label entries of a frame's meta.json and of the manifest: plain documents, no images.

Kept apart from the label files (labels/files.py) so that the batch's
bookkeeping reads them without importing numpy.
"""

from __future__ import annotations

from typing import Any


SUMMARY_KEYS = ("mapping", "mapping_sha256", "source")


def label_summary(record: dict[str, Any]) -> dict[str, Any]:
    """The part of a frame's `labels` record that the manifest and index.csv carry."""
    return {key: record[key] for key in SUMMARY_KEYS if key in record}


def label_sets(meta: dict[str, Any]) -> tuple[str | None, dict[str, dict[str, Any]]]:
    """A frame's label sets from its meta.json: (the default's name or None, name → ``labels`` record).

    A frame written before label sets were recorded has one, its ``labels``.
    """
    recorded = meta.get("label_sets")
    if isinstance(recorded, dict) and isinstance(recorded.get("sets"), dict):
        return recorded.get("default"), dict(recorded["sets"])
    labels = meta.get("labels")
    if isinstance(labels, dict) and labels.get("mapping"):
        return labels["mapping"], {labels["mapping"]: labels}
    return None, {}


def label_sets_entry(default: str, sets: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """meta.json's ``label_sets``: the default's name and every set's record, by name."""
    return {"default": default, "sets": dict(sorted(sets.items()))}


def label_set_names(meta: dict[str, Any]) -> list[str]:
    """The names of a frame's label sets, the default first."""
    default, sets = label_sets(meta)
    return sorted(sets, key=lambda name: (name != default, name))


def with_label_outputs(outputs: dict[str, str], record: dict[str, Any]) -> dict[str, str]:
    """A frame's `outputs` ({name: file}) with its `labels_*` entries replaced by those of `record`."""
    kept = {name: file for name, file in outputs.items() if not name.startswith("labels_")}
    return {**kept, **{f"labels_{kind}": name for kind, name in record["files"].items()}}
