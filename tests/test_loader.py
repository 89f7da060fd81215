"""Finding and importing RenderDoc's Python module."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rdc_extract.errors import RenderDocNotFound
from rdc_extract.rd import loader

DEBIAN_MODULE = Path("/usr/lib/python3/dist-packages/renderdoc.so")


def test_env_var_file_is_the_only_candidate():
    assert loader.candidate_paths({loader.ENV_VAR: "/x/renderdoc.so"}) == [Path("/x/renderdoc.so")]


def test_env_var_folder_points_at_the_module_inside():
    assert loader.candidate_paths({loader.ENV_VAR: "/x"}) == [Path("/x/renderdoc.so")]


def test_known_locations_include_debian_package():
    assert DEBIAN_MODULE in loader.candidate_paths({})


def _load_in_child(env_value: str) -> subprocess.CompletedProcess:
    code = "from rdc_extract.rd.loader import load_renderdoc, module_path; load_renderdoc(); print(module_path())"
    env = {"PATH": "/usr/bin:/bin", loader.ENV_VAR: env_value}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)


def test_found_from_env_var_folder():
    child = _load_in_child(str(DEBIAN_MODULE.parent))
    assert child.returncode == 0, child.stderr
    assert child.stdout.strip() == str(DEBIAN_MODULE)


def test_not_found_names_every_path_tried(tmp_path):
    with pytest.raises(RenderDocNotFound) as caught:
        loader._load({loader.ENV_VAR: str(tmp_path)})
    message = str(caught.value)
    assert str(tmp_path / "renderdoc.so") in message and "no such file" in message
    assert "apt-get install python3-renderdoc" in message


def test_wrong_file_is_reported_as_import_failure(tmp_path):
    fake = tmp_path / "renderdoc.so"
    fake.write_bytes(b"\x7fELF not really a library")
    with pytest.raises(RenderDocNotFound, match=r"renderdoc\.so: import failed"):
        loader._load({loader.ENV_VAR: str(fake)})


def test_debian_package_sys_path_is_not_touched():
    code = (
        "import sys; from rdc_extract.rd.loader import load_renderdoc; load_renderdoc();"
        "print(any('dist-packages' in p for p in sys.path))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False"
