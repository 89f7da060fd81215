"""The GTA V capture mod compiles (C# 5, against a stub of ScriptHookVDotNet's v3 API) and its scenario plan
and UTF-8 paths agree with rdc-extract's. Needs Mono (`mono-mcs`, which scripts/setup.sh installs); skipped without it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from rdc_extract.capture.plan import plan_step

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(not (shutil.which("mcs") and shutil.which("mono")),
                                reason="Mono's C# compiler (mcs) is not installed")


@pytest.fixture(scope="module")
def plancheck(tmp_path_factory) -> list[str]:
    out = tmp_path_factory.mktemp("gtav_mod")
    subprocess.run([str(ROOT / "scripts" / "check_gtav_mod.sh"), str(out)], check=True, capture_output=True,
                   timeout=300)
    path = "D:\\captures\\ünïcødé\\gtav"
    return subprocess.run(["mono", str(out / "plancheck.exe"), path], check=True, capture_output=True, text=True,
                          timeout=60).stdout.splitlines()


def test_the_mod_plans_the_same_steps_as_rdc_extract(plancheck):
    steps = [line.split() for line in plancheck if line.startswith(("schedule", "random"))]
    assert len(steps) == 24
    for plan, index, period, hour, minute, weather in steps:
        want = plan_step(plan, 5 if plan == "random" else 0, int(index))
        assert (period, int(hour), int(minute), weather) == (want.period, want.hour, want.minute, want.weather)


def test_paths_go_to_renderdoc_as_nul_terminated_utf8(plancheck):
    encoded = next(line.split()[1] for line in plancheck if line.startswith("utf8 "))
    assert bytes.fromhex(encoded) == "D:\\captures\\ünïcødé\\gtav".encode() + b"\0"
    assert "back True" in plancheck
