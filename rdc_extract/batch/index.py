"""The dataset index `out/index.csv` (one row per done frame, for training loaders) and `out/failures.csv`.

Columns: `frame_id`, `capture` (relative to the batch input), `profile`,
`frame_dir` and one `outputs.<name>` column per output, all paths relative to
`out/`; then, sorted by name, the label mapping (`label_mapping.<key>`) and
the capture's scenario sidecar flattened with dotted keys
(`scenario.clock_hour`, `scenario.player_pose.x`). Lists and other non-scalar values are JSON
text; missing values are empty cells; undecodable bytes of file names are
written `\\xNN`. Text that a spreadsheet would run as a
formula (starting with = + - @, tab or CR) gets a leading `'` (OWASP's rule for
CSV injection); numbers are written as they are. `failures.csv` lists every failed
capture with its cause and error: the morning's to-do list. Both files are
rewritten atomically, from the manifest.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from rdc_extract.batch.manifest import DONE, FAILED
from rdc_extract.dataset.files import write_text
from rdc_extract.dataset.names import utf8_text

INDEX_NAME = "index.csv"
FAILURES_NAME = "failures.csv"
FAILURE_COLUMNS = ["capture", "cause", "error", "finished_at"]
LEADING_COLUMNS = ["frame_id", "capture", "profile", "frame_dir"]
FLATTENED_FIELDS = ("outputs", "scenario", "label_mapping")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def flatten(value: Any, prefix: str) -> dict[str, Any]:
    """`{"a": {"b": 1}, "c": [1, 2]}` under "s" → `{"s.a.b": 1, "s.c": "[1, 2]"}`."""
    if isinstance(value, Mapping):
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(flatten(item, f"{prefix}.{key}"))
        return flat
    if isinstance(value, (list, tuple)):
        return {prefix: json.dumps(value)}
    return {prefix: value}


def index_row(record: Mapping[str, Any]) -> dict[str, Any]:
    """The index row of one done manifest record; output paths become relative to `out/`."""
    frame_dir = f"frames/{record['frame_id']}"
    row: dict[str, Any] = {
        "frame_id": record["frame_id"], "capture": record["capture"],
        "profile": record.get("profile"), "frame_dir": frame_dir,
    }
    outputs = {name: f"{frame_dir}/{relative}" for name, relative in (record.get("outputs") or {}).items()}
    row.update(flatten(outputs, "outputs"))
    for name in FLATTENED_FIELDS[1:]:
        if record.get(name):
            row.update(flatten(record[name], name))
    return row


def index_rows(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    rows = [index_row(record) for record in records if record.get("status") == DONE]
    rows.sort(key=lambda row: row["frame_id"])
    return rows


def columns_of(rows: list[dict[str, Any]]) -> list[str]:
    extra = sorted({key for row in rows for key in row} - set(LEADING_COLUMNS),
                   key=lambda key: (not key.startswith("outputs."), key))
    return LEADING_COLUMNS + extra


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(target: Path, columns: list[str], rows: Iterable[Mapping[str, Any]]) -> Path:
    """A CSV with these columns, formula-like cells escaped, written atomically and durably."""
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=columns, restval="", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _cell(value) for key, value in row.items()})
    return write_text(target, utf8_text(text.getvalue()), durable=True)


def write_index(out_dir: str | Path, records: Iterable[Mapping[str, Any]]) -> Path:
    """Write `out/index.csv` from manifest records (only done ones), atomically; returns its path."""
    rows = index_rows(records)
    return write_csv(Path(out_dir) / INDEX_NAME, columns_of(rows), rows)


def write_failures(out_dir: str | Path, records: Iterable[Mapping[str, Any]]) -> Path:
    """Write `out/failures.csv`: the failed manifest records, sorted by capture, atomically."""
    failed = sorted((record for record in records if record.get("status") == FAILED), key=lambda r: r["capture"])
    return write_csv(Path(out_dir) / FAILURES_NAME, FAILURE_COLUMNS, failed)
