"""Stand-in jobs with the `extract_capture` signature, for the engine's tests and benchmarks.

`inspect_job` really replays (open, read the action tree, identify passes) and
writes only `meta.json`; `touch_job` does no replay at all and isolates the
engine's own cost. Both follow the contract of `rdc_extract.extract.pipeline.extract_capture`:
write the frame folder with `meta.json` last (temp file + rename), return a
JSON-able summary, raise `CaptureError` subclasses for bad captures.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rdc_extract.dataset.files import write_json

SIDECAR_SUFFIX = ".json"


def read_scenario(capture: Path) -> dict[str, Any]:
    """The capture's sidecar (`<name>.json` next to `<name>.rdc`) as plain JSON, or {} when absent.

    Unvalidated on purpose (extraction validates with `capture.sidecar`): the
    engine's tests feed stand-ins whatever scenario JSON they need.
    """
    sidecar = capture.with_suffix(SIDECAR_SUFFIX)
    if not sidecar.is_file():
        return {}
    return json.loads(sidecar.read_text(encoding="utf-8"))


def write_meta(frame_dir: Path, meta: dict[str, Any]) -> Path:
    return write_json(frame_dir / "meta.json", meta)


def inspect_job(capture: Path, frame_dir: Path, *, profile: str | None = None,
                outputs: Sequence[str] | None = None) -> dict[str, Any]:
    """Replay the capture through `inspect_capture` and record what it found in meta.json."""
    from rdc_extract.inspect import inspect_capture

    started = time.perf_counter()
    inspection = inspect_capture(capture, profile)
    detection = inspection.detection
    summary = {
        "profile": None if detection is None else detection.profile.name,
        "profile_why": None if detection is None else detection.why,
        "outputs": {"meta": "meta.json"},
        "scenario": read_scenario(capture),
        "api": inspection.frame.api,
        "passes": len(inspection.frame.passes),
    }
    summary["seconds"] = round(time.perf_counter() - started, 3)
    write_meta(frame_dir, {"capture": str(capture), **summary})
    return summary


def touch_job(capture: Path, frame_dir: Path, *, profile: str | None = None,
              outputs: Sequence[str] | None = None) -> dict[str, Any]:
    """No replay: check the header like the real job would, then write meta.json.

    Records the LP_NUM_THREADS it was started with: the rasteriser budget a real
    replay in this worker would get.
    """
    from rdc_extract.rd.session import check_capture_file

    check_capture_file(capture)
    summary = {"profile": profile, "profile_why": "stand-in", "outputs": {"meta": "meta.json"},
               "scenario": read_scenario(capture), "seconds": 0.0,
               "rasteriser_threads": os.environ.get("LP_NUM_THREADS")}
    write_meta(frame_dir, {"capture": str(capture), **summary})
    return summary
