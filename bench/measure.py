"""What the benches share: the user's command, the independent replay floor, wall clocks and medians.

Imports nothing from rdc_extract: the benches time the installed command as a user runs it,
and the floor (replay_floor.py) is told what to read by the frames' meta.json, not by package code.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "captures"
CORPUS = ROOT / "samples" / "corpus"
FLOOR_SCRIPT = Path(__file__).resolve().parent / "replay_floor.py"
LARGE_BYTES = 50 * 2**20


@functools.cache
def command() -> list[str]:
    """`rdc-extract` as installed beside this interpreter (the user's command), else `python -m rdc_extract`.

    Its package is byte-compiled first, as `pip install` does: an editable install
    run with PYTHONDONTWRITEBYTECODE set (as on these machines) would otherwise
    compile every edited module from source in every timed process (~20 ms).
    """
    where = subprocess.run([sys.executable, "-c", "import rdc_extract; print(rdc_extract.__path__[0])"],
                           capture_output=True, text=True, check=True).stdout.strip()
    subprocess.run([sys.executable, "-m", "compileall", "-q", where], check=True)
    script = Path(sys.executable).parent / "rdc-extract"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "rdc_extract"]


def timed(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    """(wall seconds, stdout) of a fresh process; raises with its stderr when it fails."""
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env={**os.environ, **(env or {})})
    wall = time.perf_counter() - started
    if done.returncode:
        raise RuntimeError(f"{' '.join(argv[:3])}… exited {done.returncode}: {done.stderr.strip()[-800:]}")
    return wall, done.stdout


def floor_item(capture: Path, meta: dict) -> dict:
    """What extraction read from `capture` (all outputs), as a replay_floor.py plan entry, from its meta.json.

    G-buffer targets at the G-buffer's last event, the depth target where the scene depth is
    complete, the final image at its own event; the camera's constant block at the scene depth's
    event when a profile named it. Finding a camera without a profile (sampled draws) is
    identification work the floor does not do.
    """
    events, targets = meta["events"], meta["targets"]
    reads: dict[int, set[int | str]] = {}
    for role, target in targets.items():
        event = {"final_image": events["final_image"], "depth_stencil": events["scene_depth"]}.get(
            role, events["gbuffer_last"])
        reads.setdefault(event, set()).add(target["name"] if target["resource_id"] is None else target["resource_id"])
    block = None
    if meta.get("camera"):
        name = re.fullmatch(r"constant block '(.+)' members .*", meta["camera"]["source"])
        block = [events["scene_depth"], name.group(1)] if name else None
    return {"capture": str(capture), "reads": [[event, sorted(ids, key=str)] for event, ids in sorted(reads.items())],
            "block": block}


def write_plan(items: list[dict], path: Path) -> Path:
    path.write_text(json.dumps(items, indent=1))
    return path


def floor_lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def cold_floor(plan: Path, index: int, env: dict[str, str] | None = None) -> tuple[float, float]:
    """(whole-process wall seconds, seconds inside from open to close) of one capture in a fresh floor process."""
    wall, out = timed([sys.executable, str(FLOOR_SCRIPT), str(plan), "--only", str(index)], env)
    return wall, floor_lines(out)[0]["seconds"]


def warm_floor(plan: Path, env: dict[str, str] | None = None) -> tuple[float, list[dict]]:
    """(whole-process wall seconds, one record per capture) of every capture of the plan in one floor process."""
    wall, out = timed([sys.executable, str(FLOOR_SCRIPT), str(plan)], env)
    return wall, floor_lines(out)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    return path


def verdict(value: float, target: float, at_most: bool = True) -> str:
    met = value <= target if at_most else value >= target
    return f"target {'<=' if at_most else '>='} {target:g}: {'met' if met else 'NOT met'}"


def decompressed(compressed: Path, folder: Path) -> Path:
    """`<game>.rdc.zst` decompressed into `folder` (zstd's command line, as the corpus README shows)."""
    capture = folder / compressed.name.removesuffix(".zst")
    subprocess.run(["zstd", "-q", "-d", "-f", str(compressed), "-o", str(capture)], check=True)
    return capture


def rdc_files(paths: list[Path]) -> list[Path]:
    """Captures named on the command line: files as given, folders searched recursively."""
    found: list[Path] = []
    for path in paths:
        found += sorted(path.rglob("*.rdc")) if path.is_dir() else [path]
    return found
