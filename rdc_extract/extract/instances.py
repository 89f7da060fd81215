"""Instances: the objects of the scene, each made of one or more of its draws (pure numpy, no replay).

A draw is one draw call; an object may take several (a car's body, glass and
wheels, each with its own material) and games draw all of them with the
object's own world matrix. The profile's `[instances]` names the per-draw
constant that tells objects apart (docs/profiles.md); draws of the scene pass
that bind the same value of it are one instance. Without that rule, every draw
is an instance of its own. The instance map is the draw-id map with each draw's
index replaced by its instance's (docs/instances.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

#: What a draw's merge key is when it has none: never merged with another draw.
NOT_BOUND, IDENTITY = "not_bound", "identity"


@dataclass(frozen=True)
class MergeRule:
    """Draws binding the same value of constant-block member `block.member` are one object."""

    block: str
    member: str


def merge_key(value: np.ndarray | None) -> bytes | str:
    """What the draws of one object share: the value's shape and bytes. A draw that does not bind the member
    (`NOT_BOUND`) or binds an identity matrix (`IDENTITY`: geometry already placed in world space, as static
    scenery batched into one buffer is) says nothing about which object it is, and stays an instance alone."""
    if value is None:
        return NOT_BOUND
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 2 and array.shape[0] > 1 and array.shape[1] > 1 and np.array_equal(array, np.eye(*array.shape)):
        return IDENTITY
    return repr(array.shape).encode() + array.tobytes()


def group_draws(keys: Sequence[bytes | str]) -> list[int]:
    """The group (0, 1, … in order of each group's first draw) of each draw: draws with the same bytes key share
    one; a str key (`NOT_BOUND`, `IDENTITY`) is a group alone."""
    groups: list[int] = []
    known: dict[bytes, int] = {}
    count = 0
    for key in keys:
        if isinstance(key, bytes) and key in known:
            groups.append(known[key])
            continue
        if isinstance(key, bytes):
            known[key] = count
        groups.append(count)
        count += 1
    return groups


@dataclass(frozen=True)
class FrameLabels:
    """The frame's label ids (H, W) and what they are called: each instance's class is its most common label."""

    ids: np.ndarray
    names: Mapping[int, str]
    mapping: str


@dataclass(frozen=True)
class InstanceMap:
    """`ids` (H, W) uint16: 0 = no instance, i ≥ 1 = `table["instances"][i - 1]`."""

    ids: np.ndarray
    table: dict[str, Any]


def boxes(ids: np.ndarray, count: int) -> np.ndarray:
    """[x, y, w, h] of each id 1..count (rows 0..count-1) over its pixels of the id map `ids` (0 = none);
    [0, 0, 0, 0] for an id without pixels.

    From which columns and rows each id occupies (two bincounts): several times faster than a scatter
    min/max over every pixel (`np.minimum.at`), which cost 30 ms a 640×360 map.
    """
    height, width = ids.shape
    flat = ids.astype(np.intp)
    columns = np.bincount((flat * width + np.arange(width)).ravel(),
                          minlength=(count + 1) * width).reshape(count + 1, width)[1:] > 0
    rows = np.bincount((flat * height + np.arange(height)[:, None]).ravel(),
                       minlength=(count + 1) * height).reshape(count + 1, height)[1:] > 0
    left, top = columns.argmax(axis=1), rows.argmax(axis=1)
    right, bottom = width - 1 - columns[:, ::-1].argmax(axis=1), height - 1 - rows[:, ::-1].argmax(axis=1)
    found = np.stack([left, top, right - left + 1, bottom - top + 1], axis=1).astype(np.int64)
    found[~columns.any(axis=1)] = 0
    return found


def _classes(ids: np.ndarray, count: int, labels: FrameLabels) -> list[dict[str, Any]]:
    """Each instance's most common label under its pixels, with the share of its pixels that have it."""
    width = int(labels.ids.max(initial=0)) + 1
    table = np.bincount(ids.astype(np.int64).ravel() * width + labels.ids.astype(np.int64).ravel(),
                        minlength=(count + 1) * width).reshape(count + 1, width)[1:]
    best = table.argmax(axis=1)
    totals = table.sum(axis=1)
    return [{"id": int(label), "name": labels.names.get(int(label), str(int(label))),
             "share": round(float(table[row, label] / totals[row]), 4)}
            for row, label in enumerate(best)]


def build_instances(draw_ids: np.ndarray, draws: Sequence[Mapping[str, Any]], keys: Sequence[bytes | str] | None,
                    merge: Mapping[str, Any], labels: FrameLabels | None = None) -> InstanceMap:
    """The instance map and table from the draw-id map (`draw_ids`, 0 = none, i = `draws[i - 1]`) and each draw's
    merge key (`keys`, as `draws`; None: no rule, one instance per draw). `merge` says how draws were merged,
    recorded as given. Instances are numbered in order of their first draw; an object none of whose draws owns
    a pixel has no instance."""
    groups = group_draws(keys if keys is not None else [NOT_BOUND] * len(draws))
    if len(groups) != len(draws):
        raise ValueError(f"instances: {len(groups)} merge keys for {len(draws)} draws")
    pixels = np.bincount(draw_ids.ravel(), minlength=len(draws) + 1)[1:]
    group_pixels = np.bincount(np.asarray(groups, np.intp), weights=pixels, minlength=len(set(groups)))
    visible = np.flatnonzero(group_pixels > 0)
    instance_of_group = np.zeros(len(group_pixels), np.uint16)
    instance_of_group[visible] = np.arange(1, len(visible) + 1)
    lookup = np.concatenate([[0], instance_of_group[groups]]).astype(np.uint16)
    ids = lookup[draw_ids]
    instance_boxes = boxes(ids, len(visible))
    classes = _classes(ids, len(visible), labels) if labels is not None else [None] * len(visible)
    members: dict[int, list[int]] = {}
    for index, group in enumerate(groups):
        members.setdefault(group, []).append(index)
    instances = []
    for number, group in enumerate(visible):
        own = [draws[i] for i in members[int(group)]]
        instances.append({
            "id": number + 1,
            "draws": [draw["index"] for draw in own],
            "event_ids": [draw["event_id"] for draw in own],
            "signatures": list(dict.fromkeys(draw["signature"] for draw in own if draw.get("signature"))),
            "class": classes[number],
            "pixels": int(group_pixels[group]),
            "box": instance_boxes[number].tolist(),
        })
    table = {"none": 0, "merge": {**merge, **_merge_counts(keys)},
             "classes": None if labels is None else {"mapping": labels.mapping,
                                                     "from": "each instance's most common label (labels.png)"},
             "instances": instances}
    return InstanceMap(ids, table)


def _merge_counts(keys: Sequence[bytes | str] | None) -> dict[str, int]:
    """How many draws could not be merged by the rule, and why: what a profile author checks first."""
    if keys is None:
        return {}
    return {"draws_not_binding_it": sum(key == NOT_BOUND for key in keys),
            "draws_with_identity": sum(key == IDENTITY for key in keys)}


def rule_warning(table: Mapping[str, Any], draws: int) -> str | None:
    """For meta.json's warnings: a rule whose member no draw binds merged nothing (a misnamed block or member)."""
    merge = table["merge"]
    if merge["rule"] != "same_constant" or not draws or merge["draws_not_binding_it"] < draws:
        return None
    return (f"instances: no scene draw binds {merge['block']}.{merge['member']} ([instances] of profile "
            f"{merge['profile']!r}): one instance per draw; `rdc-extract inspect CAPTURE --at EVENT` lists the blocks")


class MergeKeys:
    """Collects each draw's merge key from the values of `rule`'s member replay reads at the draws."""

    def __init__(self, rule: MergeRule) -> None:
        self.rule = rule
        self._keys: dict[int, bytes | str] = {}

    def seen(self, event_id: int, value: np.ndarray | None) -> None:
        self._keys[event_id] = merge_key(value)

    def keys(self, event_ids: Sequence[int]) -> list[bytes | str]:
        """The keys of `event_ids`, in that order (`NOT_BOUND` for a draw not read)."""
        return [self._keys.get(event_id, NOT_BOUND) for event_id in event_ids]


def merge_record(rule: MergeRule | None, profile: str) -> dict[str, Any]:
    """instances.json `merge`: the rule that grouped draws into instances, and whose it is."""
    if rule is None:
        return {"rule": "none", "why": f"profile {profile!r} states no [instances] rule: one instance per draw"}
    return {"rule": "same_constant", "block": rule.block, "member": rule.member, "profile": profile}
