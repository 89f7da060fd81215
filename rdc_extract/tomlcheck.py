"""Typed reads from parsed TOML tables, each failure naming the file, the table and the key.

Shared by every declarative file the tool reads (game profiles, class
mappings), so their error messages look alike: ``<file>: [<table>].<key>:
expected <what>, got <value>``. Subclasses choose the exception raised by
setting ``error`` to an ``RdcExtractError`` subclass taking ``(path, detail)``.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Callable, NoReturn

from rdc_extract.errors import FileError, NotARegularFile, RdcExtractError
from rdc_extract.regular_files import open_regular_file

MAX_TOML_BYTES = 1 << 20  # profiles and class mappings are a few KiB; more is not one of them


def read_toml(path: Path, error: Callable[[Path, str], FileError], what: str,
              max_bytes: int = MAX_TOML_BYTES) -> dict[str, Any]:
    """Parse a TOML file; missing, not a regular file (a folder, a FIFO), larger than `max_bytes`, too deeply
    nested or malformed → `error(path, ...)` saying which."""
    try:
        with open_regular_file(path) as handle:
            raw = handle.read(max_bytes + 1)
        if len(raw) > max_bytes:
            raise error(path, f"larger than {max_bytes >> 20} MiB, not a {what} file")
        return tomllib.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise error(path, f"no such {what} file") from None
    except NotARegularFile as exc:
        raise error(path, f"is {exc.kind}, expected a {what} .toml file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise error(path, f"not valid TOML: {exc}") from None
    except RecursionError:
        raise error(path, "not valid TOML: nested too deeply") from None


def named_toml(name_or_path: str | Path, folder: Path, error: Callable[[Path, str], FileError], what: str) -> Path:
    """A `.toml` path (or any existing path) as given, else `<folder>/<name>.toml`.

    An unknown name → `error(path, ...)` listing the names `folder` holds.
    """
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.exists():
        return candidate
    path = folder / f"{name_or_path}.toml"
    if not path.is_file():
        known = ", ".join(p.stem for p in sorted(folder.glob("*.toml"))) or "none"
        raise error(path, f"no {what} named {str(name_or_path)!r} (available: {known}); for one of your own, "
                          f"give the path of its .toml file")
    return path


class Section:
    """One TOML table: rejects unknown keys on construction, then reads typed values from it."""

    error: Callable[[Path, str], RdcExtractError] = RdcExtractError  # type: ignore[assignment]

    def __init__(self, path: Path, name: str, table: Any, known: tuple[str, ...]) -> None:
        self.path, self.name = path, name
        if not isinstance(table, dict):
            self.fail(name, "a table", table)
        unknown = sorted(set(table) - set(known))
        if unknown:
            raise self.error(path, f"{self.where()}: unknown key {unknown[0]!r} (known: {', '.join(known)})")
        self.table = table

    def where(self, key: str | None = None) -> str:
        """How messages name this table (``[name]``) or one of its keys (``[name].key``)."""
        return f"[{self.name}]" if key is None or key == self.name else f"[{self.name}].{key}"

    def fail(self, key: str, expected: str, got: Any) -> NoReturn:
        raise self.error(self.path, f"{self.where(key)}: expected {expected}, got {got!r}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any, expected: str) -> Any:
        value = self.table.get(key, default)
        if value is not default and (not isinstance(value, kind) or isinstance(value, bool) and kind is int):
            self.fail(key, expected, value)
        return value

    def string(self, key: str, default: str | None = None, choices: tuple[str, ...] = ()) -> Any:
        value = self.get(key, str, default, "a string")
        if choices and value is not None and value not in choices:
            self.fail(key, f"one of {', '.join(choices)}", value)
        return value

    def strings(self, key: str, choices: tuple[str, ...] = ()) -> tuple[str, ...]:
        values = self.get(key, list, [], "a list of strings")
        for value in values:
            if not isinstance(value, str) or (choices and value not in choices):
                self.fail(key, f"a list of {', '.join(choices) if choices else 'strings'}", values)
        return tuple(values)

    def integer(self, key: str, default: int, minimum: int = 0, maximum: int | None = None) -> int:
        expected = f"an integer ≥ {minimum}" if maximum is None else f"an integer {minimum}..{maximum}"
        value = self.get(key, int, default, expected)
        if value < minimum or (maximum is not None and value > maximum):
            self.fail(key, expected, value)
        return value

    def number(self, key: str) -> float | None:
        value = self.get(key, (int, float), None, "a number")
        if value is not None and value <= 0:
            self.fail(key, "a positive number", value)
        return None if value is None else float(value)

    def boolean(self, key: str, default: bool | None) -> bool | None:
        return self.get(key, bool, default, "true or false")
