"""How the Cityscapes and KITTI layouts name a frame: a group per game run, a running number within it.

Both layouts name files by place and number, not by an arbitrary id:
Cityscapes by `<city>_<sequence>_<frame>`, KITTI by drive folder and a
10-digit frame number. A frame's group (the Cityscapes city, the KITTI drive)
is its game and run (`scenario.game`, `scenario.run_id` from the capture's
sidecar; the profile's name without a sidecar), and its number counts the
group's frames in frame_id order, so the same frames always get the same
names. Each export writes `frames.csv`, the table back to frame ids.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rdc_extract.batch.index import write_csv

FRAME_TABLE = "frames.csv"
DEFAULT_GROUP = "frames"
MAX_GROUP_CHARS = 64
_NOT_NAME = re.compile(r"[^A-Za-z0-9]+")  # Cityscapes splits names at `_`: a group holds letters, digits and `-`


def _section(meta: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = meta.get(key)
    return value if isinstance(value, Mapping) else {}


def group_name(meta: Mapping[str, Any]) -> str:
    """`<game>-<run>` of a frame's meta.json, reduced to letters, digits and `-` (`city_game`, run
    `20261125T123148` → `city-game-20261125T123148`); the profile's name without a scenario."""
    scenario = _section(meta, "scenario")
    parts = [scenario.get("game") or _section(meta, "profile").get("name") or DEFAULT_GROUP]
    if scenario.get("run_id") not in (None, ""):
        parts.append(scenario["run_id"])
    name = _NOT_NAME.sub("-", "-".join(str(part) for part in parts)).strip("-")
    return name[:MAX_GROUP_CHARS].strip("-") or DEFAULT_GROUP


def game_frame_number(meta: Mapping[str, Any], limit: int) -> int:
    """The game's frame counter at capture (`scenario.frame_number`), 0 when absent or not below `limit`."""
    number = _section(meta, "scenario").get("frame_number")
    return number if isinstance(number, int) and not isinstance(number, bool) and 0 <= number < limit else 0


class Numbering:
    """Running numbers 0, 1, … per group, in the order frames are numbered (the export's frame_id order)."""

    def __init__(self) -> None:
        self._used: Counter[str] = Counter()

    def next(self, group: str) -> int:
        number = self._used[group]
        self._used[group] += 1
        return number


def write_frame_table(dest: Path, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> str:
    """`frames.csv` in DEST (one row per exported frame, frame_id first); returns its entry for the summary."""
    write_csv(dest / FRAME_TABLE, list(columns), rows)
    return f"{FRAME_TABLE} ({len(rows)} frames: names → frame ids)"
