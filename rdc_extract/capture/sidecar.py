"""The sidecar JSON written next to every capture: what the game was doing when the frame was taken.

`<name>.rdc` and `<name>.json` always travel together (see `folder.py`); the
extraction reads the sidecar for the clock, weather and pose it records in the
dataset. The schema is versioned and documented in docs/capture.md; `read_sidecar`
rejects a file that does not follow it instead of guessing.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rdc_extract.errors import NotARegularFile, SidecarError
from rdc_extract.regular_files import read_regular_file

SCHEMA = "rdc-extract/capture-sidecar"
SCHEMA_VERSION = 1
SIDECAR_SUFFIX = ".json"


@dataclass(frozen=True)
class PlayerPose:
    """Player position in the game's world frame (metres) and heading in degrees, as the game reports them."""

    x: float
    y: float
    heading_deg: float
    z: float | None = None


@dataclass(frozen=True)
class Sidecar:
    """One capture's metadata. `capture` and `ground_truth` are file names relative to the sidecar's folder."""

    capture: str
    game: str
    game_build: str
    frame_number: int
    clock_hour: int
    clock_minute: int
    weather: str
    player_pose: PlayerPose | None
    seed: int | None
    mod_name: str
    mod_version: str
    renderdoc_version: str
    run_id: str
    launch: int
    capture_index: int
    captured_at_utc: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    ground_truth: str | None = None
    plan_step: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = {"schema": SCHEMA, "schema_version": SCHEMA_VERSION}
        data.update(asdict(self))
        return data


_REQUIRED_TYPES: dict[str, type | tuple[type, ...]] = {
    "capture": str,
    "game": str,
    "game_build": str,
    "frame_number": int,
    "clock_hour": int,
    "clock_minute": int,
    "weather": str,
    "mod_name": str,
    "mod_version": str,
    "renderdoc_version": str,
    "run_id": str,
    "launch": int,
    "capture_index": int,
    "captured_at_utc": str,
}
_OPTIONAL_TYPES: dict[str, type | tuple[type, ...]] = {
    "seed": int,
    "ground_truth": str,
    "player_pose": dict,
    "plan_step": dict,
    "extra": dict,
}


def _validate(data: Any, path: Path) -> Sidecar:
    if not isinstance(data, dict):
        raise SidecarError(path, "top level is not an object")
    if data.get("schema") != SCHEMA:
        raise SidecarError(path, f"schema is {data.get('schema')!r}, expected {SCHEMA!r}")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise SidecarError(path, f"schema_version {data.get('schema_version')!r} is not {SCHEMA_VERSION}")
    for name, kind in _REQUIRED_TYPES.items():
        value = data.get(name)
        # bool is an int subclass; a frame number of `true` is a bug, not a number.
        if value is None or isinstance(value, bool) or not isinstance(value, kind):
            raise SidecarError(path, f"{name!r} must be {kind.__name__}, got {value!r}")
    for name, kind in _OPTIONAL_TYPES.items():
        value = data.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, kind)):
            raise SidecarError(path, f"{name!r} must be {kind.__name__} or null, got {value!r}")
    if not (0 <= data["clock_hour"] < 24 and 0 <= data["clock_minute"] < 60):
        raise SidecarError(path, f"clock {data['clock_hour']}:{data['clock_minute']} is not a time of day")
    if data["frame_number"] < 0 or data["launch"] < 1 or data["capture_index"] < 0:
        raise SidecarError(path, "frame_number, launch and capture_index must be non-negative (launch >= 1)")
    pose = data.get("player_pose")
    if pose is not None:
        try:
            pose = PlayerPose(**pose)
        except TypeError as exc:
            raise SidecarError(path, f"player_pose: {exc}") from None
        values = [pose.x, pose.y, pose.heading_deg] + ([] if pose.z is None else [pose.z])
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in values):
            raise SidecarError(path, f"player_pose has non-finite or non-numeric values: {pose}")
    known = {f.name for f in fields(Sidecar)}
    kwargs = {k: v for k, v in data.items() if k in known}
    kwargs["player_pose"] = pose
    return Sidecar(**kwargs)


def sidecar_from_json(data: Any, path: str | Path = "<sidecar>") -> Sidecar:
    """Validate parsed JSON against the schema; raises SidecarError naming `path`."""
    return _validate(data, Path(path))


def write_sidecar(path: str | Path, sidecar: Sidecar) -> Path:
    """Write `sidecar` to `path` atomically (temp file in the same folder, then rename); returns `path`.

    Refuses to replace an existing file: capture names are unique, so a clash is a bug.
    """
    path = Path(path)
    sidecar_from_json(sidecar.to_json(), path)
    if path.exists():
        raise SidecarError(path, "already exists; capture names must be unique")
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        json.dump(sidecar.to_json(), handle, indent=2, sort_keys=True)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    return path


def read_sidecar(path: str | Path) -> Sidecar:
    """Read and validate one sidecar; raises SidecarError when missing, not a regular file, not JSON, or off-schema."""
    path = Path(path)
    try:
        text = read_regular_file(path)
    except FileNotFoundError:
        raise SidecarError(path, "file does not exist") from None
    except NotARegularFile as exc:
        raise SidecarError(path, f"is {exc.kind}, not a regular file") from None
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SidecarError(path, f"not JSON ({exc})") from None
    return _validate(data, path)
