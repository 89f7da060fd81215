"""The package as a user installs it where training happens: a wheel in a fresh virtualenv without RenderDoc.

The wheel is built from a copy of the sources the wheel needs (pyproject.toml,
README.md, rdc_extract/, pipelines/), installed with its dependencies (from the
same package index and cache as scripts/setup.sh) into a virtualenv that sees
neither the project's packages nor Debian's dist-packages, where RenderDoc's
module lives; `RENDERDOC_PYTHON=/nonexistent` keeps the loader from finding it
by its absolute path. That interpreter then reads the extracted sample frames.
Besides this interpreter, every newer CPython found (on PATH, or under
PYENV_ROOT) installs and reads too: replay needs RenderDoc's 3.11 module,
reading does not.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "README.md", "rdc_extract", "pipelines")
READ = r"""
import importlib.util, json, sys
from pathlib import Path
import numpy as np
import rdc_extract
from rdc_extract.data import Dataset
from rdc_extract.profiles.registry import available_profiles, pipelines_dir

assert not any("dist-packages" in entry for entry in sys.path), sys.path
assert importlib.util.find_spec("renderdoc") is None
dataset = Dataset(sys.argv[1])
frames = []
for frame in dataset:
    depth, normals = frame.depth(), frame.normals()
    frames.append({"id": frame.frame_id, "rgb": frame.rgb().shape, "labels": int(frame.labels().max()),
                   "depth_nan": bool(np.isnan(depth).any()), "depth_max": float(np.nanmax(depth)),
                   "normals_16bit_png": frame.read("normals_u16").dtype.name,
                   "instances": len(frame.instances().table), "weather": (frame.scenario or {}).get("weather")})
print(json.dumps({"package": rdc_extract.__file__, "pipelines": str(pipelines_dir()),
                  "profiles": sorted(p.name for p in available_profiles()), "mapping": dataset.class_map().name,
                  "frames": frames, "renderdoc_loaded": "renderdoc" in sys.modules}))
"""


def _interpreters() -> list[str]:
    """This interpreter, and a CPython 3.12 and 3.13 when this machine has them."""
    found = [sys.executable]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for minor in ("3.12", "3.13"):
        candidates = [*sorted(pyenv.glob(f"{minor}.*/bin/python{minor}")), shutil.which(f"python{minor}")]
        found += [str(c) for c in candidates if c and ".pyenv/shims" not in str(c)][:1]  # a shim runs pyenv's pick
    return found


@pytest.mark.parametrize("python", _interpreters(), ids=lambda path: Path(path).name)
def test_the_wheel_installs_without_renderdoc_and_reads_the_sample_frames(reader_dataset, tmp_path, python):
    source = tmp_path / "source"
    source.mkdir()
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(REPO / name, source / name)
    _run(sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-q", "-w", str(tmp_path / "dist"))
    (wheel,) = (tmp_path / "dist").glob("rdc_extract-*.whl")
    venv = tmp_path / "venv"
    _run(python, "-m", "venv", "--without-pip", str(venv))
    _run(sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q", str(wheel))

    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "RENDERDOC_PYTHON": "/nonexistent"}
    report = _json(_run(str(venv / "bin" / "python"), "-c", READ, str(reader_dataset), env=env, cwd=tmp_path))
    site = venv / "lib"
    assert Path(report["package"]).is_relative_to(site) and Path(report["pipelines"]).is_relative_to(site)
    assert {"city_game", "generic"} <= set(report["profiles"]) and report["mapping"] == "city_game"
    assert len(report["frames"]) == 1 and not report["renderdoc_loaded"]
    for frame in report["frames"]:
        assert frame["rgb"] == [360, 640, 3] and frame["labels"] > 0 and frame["instances"] > 0
        assert frame["depth_nan"] and 0 < frame["depth_max"] < 1e4 and frame["normals_16bit_png"] == "uint16"
        assert frame["weather"] == "clear"
    classes = _run(str(venv / "bin" / "rdc-extract"), "classes", "city_game_cityscapes", env=env, cwd=tmp_path)
    assert "traffic light" in classes.stdout


def _run(*command: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd, timeout=300)
    assert done.returncode == 0, f"{command[:4]}: {done.stderr[-3000:]}"
    return done


def _json(done: subprocess.CompletedProcess) -> dict:
    return json.loads(done.stdout)
