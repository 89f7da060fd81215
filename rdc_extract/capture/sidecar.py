"""The sidecar JSON written next to every capture: what the game was doing when the frame was taken.

`<name>.rdc` and `<name>.json` always travel together (see `folder.py`); the
extraction reads the sidecar for the clock, weather and pose it records in the
dataset. The schema is versioned and documented in docs/capture.md; `read_sidecar`
rejects a file that does not follow it instead of guessing. A sidecar is copied
into every frame's meta.json, the batch manifest and one `index.csv` column per
key, so its size and shape are bounded (the MAX_* limits, docs/capture.md) and
checked before anything is built from it.

Who wrote a sidecar is `written_by`: a capture mod (`"mod"`, also when the
field is absent, as in every sidecar before it existed) or the launcher itself
for a game without a mod (`"launcher"`, capture/trigger.py), which cannot see
the game's clock or weather and records them as null.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rdc_extract.dataset.names import is_safe_component
from rdc_extract.errors import NotARegularFile, SidecarError
from rdc_extract.regular_files import open_regular_file

SCHEMA = "rdc-extract/capture-sidecar"
SCHEMA_VERSION = 1
SIDECAR_SUFFIX = ".json"

MAX_BYTES = 64 * 1024
MAX_DEPTH = 6               # the top-level object is depth 1
MAX_KEYS_PER_OBJECT = 64
MAX_KEYS = 256              # in the whole file: bounds the scenario columns of index.csv
MAX_LIST_ITEMS = 64
MAX_STRING_CHARS = 1024
MAX_INTEGER = 2**53         # exactly representable as a double: readers in any language agree
KEY_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")
WRITTEN_BY_MOD = "mod"
WRITTEN_BY_LAUNCHER = "launcher"
WRITERS = (WRITTEN_BY_MOD, WRITTEN_BY_LAUNCHER)
_UNKNOWN_TO_LAUNCHER = ("clock_hour", "clock_minute", "weather")


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
    clock_hour: int | None  # None only when written_by is "launcher"
    clock_minute: int | None
    weather: str | None
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
    capture_sha256: str | None = None
    written_by: str = WRITTEN_BY_MOD

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
    "capture_sha256": str,
    "written_by": str,
}


def _check_shape(value: Any, path: Path, where: str = "", depth: int = 1, keys: list[int] | None = None) -> None:
    """Every value JSON can hold, within the limits above; `keys` counts keys across the whole document."""
    keys = [0] if keys is None else keys
    if isinstance(value, dict):
        if depth > MAX_DEPTH:
            raise SidecarError(path, f"{where or 'top level'} nests deeper than {MAX_DEPTH} levels")
        if len(value) > MAX_KEYS_PER_OBJECT:
            raise SidecarError(path, f"{where or 'top level'} has {len(value)} keys, more than {MAX_KEYS_PER_OBJECT}")
        keys[0] += len(value)
        if keys[0] > MAX_KEYS:
            raise SidecarError(path, f"more than {MAX_KEYS} keys in all")
        for key, item in value.items():
            if not isinstance(key, str) or not KEY_PATTERN.match(key):
                raise SidecarError(path, f"key {str(key)[:80]!r} in {where or 'top level'} is not a name "
                                         "of letters, digits and _ (at most 64)")
            _check_shape(item, path, f"{where}.{key}" if where else key, depth + 1, keys)
    elif isinstance(value, list):
        if depth > MAX_DEPTH:
            raise SidecarError(path, f"{where} nests deeper than {MAX_DEPTH} levels")
        if len(value) > MAX_LIST_ITEMS:
            raise SidecarError(path, f"{where} has {len(value)} items, more than {MAX_LIST_ITEMS}")
        for index, item in enumerate(value):
            _check_shape(item, path, f"{where}[{index}]", depth + 1, keys)
    elif isinstance(value, str):
        if len(value) > MAX_STRING_CHARS:
            raise SidecarError(path, f"{where} is a string of {len(value)} characters, more than {MAX_STRING_CHARS}")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise SidecarError(path, f"{where} is not valid Unicode (a lone surrogate)") from None
    elif isinstance(value, bool) or value is None:
        pass
    elif isinstance(value, int):
        if abs(value) > MAX_INTEGER:
            raise SidecarError(path, f"{where} is an integer outside ±2^53")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise SidecarError(path, f"{where} is a non-finite number ({value})")
    else:
        raise SidecarError(path, f"{where} is a {type(value).__name__}, not a JSON value")


def _validate(data: Any, path: Path) -> Sidecar:
    if not isinstance(data, dict):
        raise SidecarError(path, "top level is not an object")
    _check_shape(data, path)
    if data.get("schema") != SCHEMA:
        raise SidecarError(path, f"schema is {data.get('schema')!r}, expected {SCHEMA!r}")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise SidecarError(path, f"schema_version {data.get('schema_version')!r} is not {SCHEMA_VERSION}")
    written_by = data.get("written_by", WRITTEN_BY_MOD)
    if written_by not in WRITERS:
        raise SidecarError(path, f"'written_by' must be one of {', '.join(WRITERS)}, got {written_by!r}")
    for name, kind in _REQUIRED_TYPES.items():
        value = data.get(name)
        if value is None and written_by == WRITTEN_BY_LAUNCHER and name in _UNKNOWN_TO_LAUNCHER:
            continue
        # bool is an int subclass; a frame number of `true` is a bug, not a number.
        if value is None or isinstance(value, bool) or not isinstance(value, kind):
            raise SidecarError(path, f"{name!r} must be {kind.__name__}, got {value!r}")
    for name, kind in _OPTIONAL_TYPES.items():
        value = data.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, kind)):
            raise SidecarError(path, f"{name!r} must be {kind.__name__} or null, got {value!r}")
    for name in ("capture", "ground_truth"):
        if data.get(name) is not None and not is_safe_component(data[name]):
            raise SidecarError(path, f"{name!r} must be a file name in the sidecar's folder, got {data[name]!r}")
    if (data.get("clock_hour") is None) != (data.get("clock_minute") is None):
        raise SidecarError(path, "clock_hour and clock_minute must both be set or both be null")
    if data.get("clock_hour") is not None and not (0 <= data["clock_hour"] < 24 and 0 <= data["clock_minute"] < 60):
        raise SidecarError(path, f"clock {data['clock_hour']}:{data['clock_minute']} is not a time of day")
    if data["frame_number"] < 0 or data["launch"] < 1 or data["capture_index"] < 0:
        raise SidecarError(path, "frame_number, launch and capture_index must be non-negative (launch >= 1)")
    digest = data.get("capture_sha256")
    if digest is not None and not SHA256_PATTERN.match(digest):
        raise SidecarError(path, f"capture_sha256 {digest[:80]!r} is not 64 lower-case hex digits")
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
    for name in _UNKNOWN_TO_LAUNCHER:
        kwargs.setdefault(name, None)
    return Sidecar(**kwargs)


def file_sha256(path: Path) -> str:
    """The hex SHA-256 of a file, the digest a sidecar records as `capture_sha256`."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sidecar_from_json(data: Any, path: str | Path = "<sidecar>") -> Sidecar:
    """Validate parsed JSON against the schema; raises SidecarError naming `path`."""
    return _validate(data, Path(path))


def write_sidecar(path: str | Path, sidecar: Sidecar) -> Path:
    """Write `sidecar` to `path` atomically (temp file in the same folder, then rename); returns `path`.

    Refuses to replace an existing file: capture names are unique, so a clash is a bug.
    """
    path = Path(path)
    sidecar_from_json(sidecar.to_json(), path)
    text = json.dumps(sidecar.to_json(), indent=2, sort_keys=True) + "\n"
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise SidecarError(path, f"would be larger than {MAX_BYTES} bytes")
    if path.exists():
        raise SidecarError(path, "already exists; capture names must be unique")
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    return path


def _parse(raw: bytes, path: Path) -> Any:
    """JSON text → data, refusing what `json` would accept but a sidecar must not hold, each as a SidecarError."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SidecarError(path, f"not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})") from None

    def constant(name: str) -> Any:
        raise SidecarError(path, f"holds {name}, a non-finite number")

    def integer(digits: str) -> int:
        if len(digits.lstrip("-")) > len(str(MAX_INTEGER)) or abs(int(digits)) > MAX_INTEGER:
            raise SidecarError(path, f"integer {digits[:20]}{'…' if len(digits) > 20 else ''} is outside ±2^53")
        return int(digits)

    def number(digits: str) -> float:
        value = float(digits)
        if not math.isfinite(value):
            raise SidecarError(path, f"number {digits[:20]} is non-finite as a double")
        return value

    try:
        return json.loads(text, parse_constant=constant, parse_int=integer, parse_float=number)
    except json.JSONDecodeError as exc:
        raise SidecarError(path, f"not JSON ({exc})") from None
    except RecursionError:
        raise SidecarError(path, f"nests deeper than {MAX_DEPTH} levels") from None


def read_sidecar(path: str | Path) -> Sidecar:
    """Read and validate one sidecar; raises SidecarError (one line) when missing, not a regular file, too large,
    not JSON or off-schema.

    Reads at most MAX_BYTES + 1 bytes, so a huge file costs nothing.
    """
    path = Path(path)
    try:
        with open_regular_file(path) as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > MAX_BYTES:
                raise SidecarError(path, f"is {size} bytes, larger than the limit of {MAX_BYTES}")
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise SidecarError(path, "file does not exist") from None
    except NotARegularFile as exc:
        raise SidecarError(path, f"is {exc.kind}, not a regular file") from None
    except OSError as exc:
        raise SidecarError(path, f"cannot be read ({exc.strerror or exc})") from None
    if len(raw) > MAX_BYTES:
        raise SidecarError(path, f"is larger than the limit of {MAX_BYTES} bytes")
    return _validate(_parse(raw, path), path)
