"""What needs no RenderDoc: reading datasets (tests/test_data_reader.py) and the commands that do not replay.

Each command runs in a fresh interpreter whose RenderDoc module cannot be
found (`RENDERDOC_PYTHON=/nonexistent`): it must succeed and end without the
module loaded, so it also works on a Python RenderDoc was not built for.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PROBE = """
import atexit, runpy, sys
atexit.register(lambda: print("renderdoc loaded:", "renderdoc" in sys.modules, file=sys.stderr))
sys.argv = ["rdc-extract", *sys.argv[1:]]
runpy.run_module("rdc_extract", run_name="__main__")
"""


def _without_renderdoc(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=REPO,
                          env={"PATH": "/usr/bin:/bin", "RENDERDOC_PYTHON": "/nonexistent"}, timeout=120)


@pytest.fixture
def dataset(drawids_dataset, tmp_path) -> Path:
    shutil.copytree(drawids_dataset, tmp_path / "out")
    return tmp_path / "out"


@pytest.mark.parametrize("command", [["--version"], ["classes", "city_game_cityscapes"],
                                     ["relabel", "{out}", "--classes", "city_game_cityscapes"],
                                     ["signatures", "{out}", "--suggest", "{out}/rules.toml"],
                                     ["preview", "{out}", "--frames", "1"]])
def test_commands_that_do_not_replay_never_load_renderdoc(dataset, command):
    done = _without_renderdoc(*(part.format(out=dataset) for part in command))
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr.rstrip().endswith("renderdoc loaded: False")


def test_a_replaying_command_still_says_renderdoc_is_missing(dataset):
    capture = next((REPO / "samples" / "captures").glob("*.rdc"))
    done = _without_renderdoc("extract", str(capture), str(dataset))
    assert done.returncode == 1 and "RenderDoc Python module not found" in done.stderr
