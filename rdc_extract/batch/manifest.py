"""The batch manifest: `out/manifest.jsonl`, one JSON record per finished capture attempt.

Append-only: a record is one line, written and flushed as soon as the capture
finishes, so a batch killed at any moment loses at most the line being written.
Loading reads the file once into a dict keyed by the capture's relative path
(the last record wins) and tolerates a torn last line. `compact` rewrites the
file atomically with only the latest record per capture.

Record fields: docs/batch.md ("Manifest").
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from rdc_extract.dataset.files import write_text
from rdc_extract.errors import WriteFailed
from rdc_extract.labels.meta import label_set_names, label_summary

MANIFEST_NAME = "manifest.jsonl"
DONE = "done"
FAILED = "failed"


def read_records(path: Path) -> tuple[dict[str, dict[str, Any]], int]:
    """Latest record per capture, and the number of lines read (superseded and torn ones included)."""
    records: dict[str, dict[str, Any]] = {}
    lines = 0
    if not path.exists():
        return records, lines
    with path.open("r", encoding="utf-8") as handle:
        for line in handle:
            lines += 1
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict) and isinstance(record.get("capture"), str):
                records[record["capture"]] = record
    return records, lines


class Manifest:
    """The manifest of one output folder: the latest records in memory, appends on disk."""

    def __init__(self, out_dir: str | Path) -> None:
        self.path = Path(out_dir) / MANIFEST_NAME
        self.records, self._lines = read_records(self.path)
        self._handle: TextIO | None = None

    def __enter__(self) -> Manifest:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def get(self, capture: str) -> dict[str, Any] | None:
        return self.records.get(capture)

    def append(self, record: dict[str, Any]) -> None:
        """Write one record durably (flush + fsync) and make it the capture's latest.

        A system error (disk full) is a `WriteFailed` naming the manifest.
        """
        try:
            if self._handle is None:
                self._handle = self._open_for_append()
            self._handle.write(json.dumps(record, sort_keys=True, default=str) + "\n")
            self._handle.flush()
            os.fsync(self._handle.fileno())
        except OSError as exc:
            self._abandon_handle()  # its buffer holds what could not be written; closing must not retry it
            raise WriteFailed(self.path, exc) from exc
        self.records[record["capture"]] = record
        self._lines += 1

    def _open_for_append(self) -> TextIO:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+b")
        handle.seek(0, os.SEEK_END)
        if handle.tell() > 0:
            handle.seek(-1, os.SEEK_END)
            if handle.read(1) != b"\n":
                handle.write(b"\n")  # end a line torn by a killed batch, so the next record parses
        handle.close()
        return self.path.open("a", encoding="utf-8")

    @property
    def superseded_lines(self) -> int:
        return self._lines - len(self.records)

    def compact(self) -> None:
        """Rewrite the file with the latest record per capture (temp file + rename)."""
        self.close()
        write_records(self.path, self.records.values())
        self._lines = len(self.records)

    def _abandon_handle(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            with contextlib.suppress(OSError):
                handle.close()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def write_records(path: Path, records: Iterable[dict[str, Any]]) -> None:
    lines = [json.dumps(record, sort_keys=True, default=str) + "\n" for record in records]
    write_text(path, "".join(lines), durable=True)


def frame_facts(meta: dict[str, Any]) -> dict[str, Any]:
    """What the index says about a frame besides its files, from its meta.json document: the image size,
    the intrinsics (fx, fy, cx, cy of `camera.K`) and the names of its label sets (the default first)."""
    image = meta.get("image")
    camera = meta.get("camera")
    matrix = camera.get("K") if isinstance(camera, dict) else None
    return {
        "image": {"width": image.get("width"), "height": image.get("height")} if isinstance(image, dict) else None,
        "intrinsics": None if not matrix else {"fx": matrix[0][0], "fy": matrix[1][1],
                                               "cx": matrix[0][2], "cy": matrix[1][2]},
        "label_sets": label_set_names(meta) or None,
    }


def summarise_result(result: dict[str, Any]) -> dict[str, Any]:
    """The manifest's view of a job's return value (extract_capture's meta.json document or a summary).

    Accepts `profile` as a name or as meta.json's `{"name", "why", "sha256"}`,
    and the `labels` entry of meta.json as the label mapping.
    """
    profile, why, digest = result.get("profile"), result.get("profile_why"), result.get("profile_sha256")
    if isinstance(profile, dict):
        profile, why, digest = profile.get("name"), profile.get("why", why), profile.get("sha256", digest)
    labels = result.get("label_mapping") or result.get("labels")
    if isinstance(labels, dict):
        labels = label_summary(labels) or labels
    job_seconds = result.get("seconds")
    if job_seconds is None and isinstance(result.get("timing_s"), dict):
        job_seconds = round(sum(result["timing_s"].values()), 3)
    return {"profile": profile, "profile_why": why, "profile_sha256": digest, "outputs": result.get("outputs") or {},
            "scenario": result.get("scenario") or {}, "label_mapping": labels or None,
            "api": result.get("api"), "job_seconds": job_seconds, **frame_facts(result)}
