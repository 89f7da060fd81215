"""The dataset index `out/index.csv` (one row per finished frame, for training loaders) and `out/failures.csv`.

`batch` writes the index from its manifest records, `extract` adds or replaces
its frame's row, `relabel` updates the rows of the frames it relabelled and
`split` fills the `split` column: one table, whichever commands made the
dataset. Columns: `frame_id`, `capture` (relative to the batch input; for
`extract`, as given), `profile`, `frame_dir`, `split`, the image size
(`width`, `height`), the intrinsics (`fx`, `fy`, `cx`, `cy`), `mapping` (the
class mapping of the default labels) and `label_sets` (every label set, JSON),
one `outputs.<name>` column per output, all paths relative to `out/`; then,
sorted by name, the label mapping (`label_mapping.<key>`) and the capture's
scenario sidecar flattened with dotted keys (`scenario.clock_hour`,
`scenario.player_pose.x`). Lists and other non-scalar values are JSON text;
missing values are empty cells; undecodable bytes of file names are written
`\\xNN`. Text that a spreadsheet would run as a formula (starting with = + - @,
tab or CR) gets a leading `'` (OWASP's rule for CSV injection); numbers are
written as they are. Rewriting the index keeps each frame's split and the rows
of finished frames that no manifest record names (those `extract` made).
`failures.csv` lists every failed capture with its cause and error: the
morning's to-do list. Both files are written atomically.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from rdc_extract.batch.manifest import DONE, FAILED, MANIFEST_NAME, Manifest, summarise_result
from rdc_extract.dataset.files import write_text
from rdc_extract.dataset.names import MAX_FRAME_ID_BYTES, META_FILE, is_safe_component, utf8_text
from rdc_extract.dataset.publish import FRAMES_DIR
from rdc_extract.errors import DatasetIndexError

INDEX_NAME = "index.csv"
FAILURES_NAME = "failures.csv"
FAILURE_COLUMNS = ["capture", "cause", "error", "finished_at"]
SPLIT_COLUMN = "split"
INTRINSICS = ("fx", "fy", "cx", "cy")
LEADING_COLUMNS = ["frame_id", "capture", "profile", "frame_dir", SPLIT_COLUMN, "width", "height", *INTRINSICS,
                   "mapping", "label_sets"]
FLATTENED_FIELDS = ("outputs", "scenario", "label_mapping")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Written(str):
    """A cell read back from index.csv: written again exactly as it was (already escaped)."""


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
    """The index row of one done manifest record (or one frame's summary); output paths become relative to
    `out/`. The split is the index's own: rewriting keeps it (`write_index`)."""
    frame_dir = f"{FRAMES_DIR}/{record['frame_id']}"
    image = record.get("image") or {}
    labels = record.get("label_mapping") or {}
    row: dict[str, Any] = {
        "frame_id": record["frame_id"], "capture": record["capture"],
        "profile": record.get("profile"), "frame_dir": frame_dir,
        "width": image.get("width"), "height": image.get("height"), **(record.get("intrinsics") or {}),
        "mapping": labels.get("mapping"),
        "label_sets": json.dumps(record["label_sets"]) if record.get("label_sets") else None,
    }
    outputs = {name: f"{frame_dir}/{relative}" for name, relative in (record.get("outputs") or {}).items()}
    row.update(flatten(outputs, "outputs"))
    for name in FLATTENED_FIELDS[1:]:
        if record.get(name):
            row.update(flatten(record[name], name))
    return row


def frame_row(frame_id: str, capture: str, meta: dict[str, Any]) -> dict[str, Any]:
    """The index row of a frame no manifest record names (`extract` made it), from its meta.json document."""
    return index_row({"frame_id": frame_id, "capture": capture, **summarise_result(meta)})


def index_rows(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [index_row(record) for record in records if record.get("status") == DONE]


def columns_of(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    extra = sorted({key for row in rows for key in row} - set(LEADING_COLUMNS),
                   key=lambda key: (not key.startswith("outputs."), key))
    return LEADING_COLUMNS + extra


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Written):
        return str(value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def index_cell(cell: str) -> str:
    """A cell as it was before the CSV-injection escape (docs/batch.md): `'=x` → `=x`."""
    return cell[1:] if cell.startswith("'") and cell[1:2] in FORMULA_STARTS else cell


def read_index(out_dir: str | Path, *, as_written: bool = False) -> dict[str, dict[str, str]] | None:
    """index.csv's rows by frame_id, None when the dataset has none. Cells are unescaped text, or with
    `as_written` `Written` cells that `write_index` writes back unchanged; empty cells are left out. Raises
    DatasetIndexError for a file that is not UTF-8 CSV."""
    path = Path(out_dir) / INDEX_NAME
    if not path.is_file():
        return None
    cell = Written if as_written else index_cell
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = [{key: cell(value) for key, value in row.items() if key and isinstance(value, str) and value}
                    for row in csv.DictReader(handle)]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DatasetIndexError(path, f"cannot read: {exc} (delete it, and rerun batch or relabel to rebuild it; "
                                      "splits are then assigned anew)") from None
    return {row["frame_id"]: row for row in rows if row.get("frame_id")}


def write_csv(target: Path, columns: list[str], rows: Iterable[Mapping[str, Any]]) -> Path:
    """A CSV with these columns, formula-like cells escaped, written atomically and durably."""
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=columns, restval="", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _cell(value) for key, value in row.items()})
    return write_text(target, utf8_text(text.getvalue()), durable=True)


def _finished(out_dir: Path, frame_id: str) -> bool:
    return is_safe_component(frame_id, MAX_FRAME_ID_BYTES) and (out_dir / FRAMES_DIR / frame_id / META_FILE).is_file()


def write_index(out_dir: str | Path, records: Iterable[Mapping[str, Any]] = (), *,
                rows: Iterable[dict[str, Any]] = (),
                previous: Mapping[str, Mapping[str, str]] | None = None) -> Path:
    """Write `out/index.csv` atomically; returns its path.

    A row per done manifest record in `records` (the frames they name are
    theirs: a failed one has no row), a row per entry of `rows` (frames made
    without a record: `extract`), and every row of the index as it was
    (`previous`, read now when None) of a frame neither names that is still
    finished (its meta.json exists). Every frame keeps the split it had.
    """
    out_dir = Path(out_dir)
    if previous is None:
        previous = read_index(out_dir, as_written=True) or {}
    records = list(records)
    named = {record.get("frame_id") for record in records}
    table = {row["frame_id"]: row for row in index_rows(records)}
    table.update((row["frame_id"], row) for row in rows)
    for frame_id, row in previous.items():
        if frame_id in table:
            if row.get(SPLIT_COLUMN):
                table[frame_id][SPLIT_COLUMN] = row[SPLIT_COLUMN]
        elif frame_id not in named and _finished(out_dir, frame_id):
            table[frame_id] = dict(row)
    ordered = [table[frame_id] for frame_id in sorted(table)]
    return write_csv(out_dir / INDEX_NAME, columns_of(ordered), ordered)


def index_extracted(out_dir: str | Path, meta: dict[str, Any]) -> Path:
    """Give the frame `extract` just published its row in `out/index.csv` (added, or replacing its old one).

    When a batch of the same folder made that frame before, its done manifest
    record is superseded by one describing the new frame (`extracted_at`), so
    the index the batch writes next says the same. Returns the index's path.
    """
    out_dir = Path(out_dir)
    frame_id, summary = meta["frame_id"], summarise_result(meta)
    if (out_dir / MANIFEST_NAME).is_file():
        with Manifest(out_dir) as manifest:
            made_by_batch = [record for record in manifest.records.values()
                             if record.get("frame_id") == frame_id and record.get("status") == DONE]
            now = datetime.now(timezone.utc).isoformat(timespec="seconds")
            for record in made_by_batch:
                manifest.append({**record, **summary, "extracted_at": now})
            if made_by_batch:
                manifest.compact()
                return write_index(out_dir, manifest.records.values())
    return write_index(out_dir, rows=[frame_row(frame_id, meta["capture"]["path"], meta)])


def write_failures(out_dir: str | Path, records: Iterable[Mapping[str, Any]]) -> Path:
    """Write `out/failures.csv`: the failed manifest records, sorted by capture, atomically."""
    failed = sorted((record for record in records if record.get("status") == FAILED), key=lambda r: r["capture"])
    return write_csv(Path(out_dir) / FAILURES_NAME, FAILURE_COLUMNS, failed)
