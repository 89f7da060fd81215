"""Names that become paths in a dataset folder, and how names of any bytes are shown (pure).

Capture paths come from the filesystem and may hold anything it allows
(undecodable bytes arrive surrogate-escaped, see `os.fsdecode`); names in
profiles, class mappings and sidecars come from files anyone can edit. A
path is only ever built from a name that passed `is_safe_component`, so no
name can reach outside the folder it is meant for or replace a file the tool
writes there.
"""

from __future__ import annotations

import hashlib
import re
import shlex

MAX_FRAME_ID_BYTES = 160      # + ".<host>-<pid>-<n>" of a staging folder stays within NAME_MAX (255)
MAX_COMPONENT_BYTES = 255     # NAME_MAX of Linux filesystems
CAPTURE_SUFFIX = ".rdc"
FRAME_ID_SEPARATOR = "__"
ESCAPE = "%"

# What a frame folder holds besides the G-buffer role files: output name → {meta.json `outputs` key: file}.
OUTPUT_FILES: dict[str, dict[str, str]] = {
    "rgb": {"rgb": "rgb.png"},
    "depth": {"depth": "depth.tiff", "depth_kitti": "depth_kitti.png"},
    "normals": {"normals": "normals.tiff", "normals_u16": "normals.png"},
    "stencil": {"stencil": "stencil.png"},
    "drawids": {"drawids": "drawids.png", "drawids_table": "drawids.json"},
    "instances": {"instances": "instances.png", "instances_table": "instances.json"},
}
# Outputs written only when asked for by name: they cost replay work the others do not (docs/drawids.md).
ON_REQUEST_OUTPUTS = ("drawids", "instances")
LABELS_OUTPUT = "labels"
LABEL_FILES = {"ids": "labels.png", "train_ids": "labels_train.png", "color": "labels_color.png"}
META_FILE = "meta.json"
META_TARGET_KEYS = ("depth_stencil", "final_image")   # meta.json `targets` entries besides the roles
NORMALS_ROLE = "normals"  # the one role with an output of its own: decoded by the normals writer

ROLE_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _stem(file_name: str) -> str:
    return file_name.rsplit(".", 1)[0]


def _reserved_role_names() -> frozenset[str]:
    """Names a G-buffer role must not have: each is an output, an `outputs` key or a file the tool writes."""
    names = {*OUTPUT_FILES, LABELS_OUTPUT, _stem(META_FILE), *META_TARGET_KEYS}
    for files in OUTPUT_FILES.values():
        names |= set(files) | {_stem(name) for name in files.values()}
    names |= {f"{LABELS_OUTPUT}_{kind}" for kind in LABEL_FILES} | {_stem(name) for name in LABEL_FILES.values()}
    return frozenset(names - {NORMALS_ROLE})


RESERVED_ROLE_NAMES = _reserved_role_names()


def role_name_problem(name: str) -> str | None:
    """Why `name` cannot be a G-buffer role (its file is `<name>.png|.tiff` in the frame folder), or None."""
    if not isinstance(name, str) or not ROLE_NAME.fullmatch(name):
        return "a role name of lowercase letters, digits and _ (starting with a letter, at most 32 characters)"
    if name in RESERVED_ROLE_NAMES:
        return f"a role name that is not one of the tool's own outputs or files ({', '.join(sorted(RESERVED_ROLE_NAMES))})"
    return None


def is_safe_component(name: str, max_bytes: int = MAX_COMPONENT_BYTES) -> bool:
    """Whether `name` is one path component that stays where it is put.

    Not empty, `.`, `..` or hidden; no `/`, no control characters, no
    undecodable bytes, at most `max_bytes` bytes of UTF-8.
    """
    return (isinstance(name, str) and bool(name) and not name.startswith(".") and "/" not in name
            and name.isprintable() and len(name.encode()) <= max_bytes)   # surrogates are not printable


def _escaped(char: str) -> str:
    try:
        data = char.encode("utf-8", "surrogateescape")   # an undecodable byte of a file name: that byte
    except UnicodeEncodeError:
        data = char.encode("utf-8", "surrogatepass")
    return "".join(f"{ESCAPE}{byte:02X}" for byte in data)


def frame_id(relative: str) -> str:
    """The frame folder name of a capture: `day/cap_0001.rdc` → `day__cap_0001` (docs/dataset.md).

    The relative POSIX path without `.rdc`, `/` replaced by `__`; then made a
    safe single component: characters that are not printable (control
    characters, undecodable bytes) become `%XX` per byte, a leading `.` becomes
    `%2E`, and an id longer than MAX_FRAME_ID_BYTES is cut and ends in `~` and
    12 hex digits of the path's SHA-256. Different captures may still get one
    id (`a/b.rdc`, `a__b.rdc`): the batch reports those as collisions.
    """
    stem = relative[: -len(CAPTURE_SUFFIX)] if relative.lower().endswith(CAPTURE_SUFFIX) else relative
    joined = (stem or relative).replace("/", FRAME_ID_SEPARATOR)
    safe = "".join(char if char.isprintable() else _escaped(char) for char in joined)
    if safe.startswith("."):
        safe = _escaped(".") + safe[1:]
    safe = safe or "_"
    if len(safe.encode()) > MAX_FRAME_ID_BYTES:
        digest = hashlib.sha256(relative.encode("utf-8", "surrogatepass")).hexdigest()[:12]
        cut = safe.encode()[: MAX_FRAME_ID_BYTES - len(digest) - 1].decode("utf-8", "ignore")
        safe = f"{cut}~{digest}"
    return safe


def utf8_text(text: str) -> str:
    """`text` with each undecodable byte of a file name (surrogate-escaped) as `\\xNN`: writable as UTF-8."""
    if text.isascii():
        return text
    return _SURROGATE.sub(lambda found: _backslashed(found.group()), text)


def shown(text: str) -> str:
    """`text` as one line a terminal shows as written: undecodable bytes and control characters as escapes."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else _backslashed(char) for char in text)


def _backslashed(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    return char.encode("unicode_escape").decode("ascii")


def command_line(*words: str | object) -> str:
    """A command for a person to run next, as one line to copy: each word shell-quoted, shown as `shown` does."""
    return shown(" ".join(shlex.quote(str(word)) for word in words))
