"""The real-games corpus (samples/corpus/, made by scripts/make_corpus.sh) replays."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from rdc_extract.cli import app
from tests.corpus import decompressed


def test_neverball_capture_replays_with_its_zink_vulkan_draws(tmp_path):
    capture = decompressed("neverball", tmp_path)
    result = CliRunner().invoke(app, ["inspect", str(capture), "--json"])
    report = json.loads(result.stdout)
    # The replay opened it; exit 1 says why extract could not use it as is (not understood, or a failed check).
    errors = [c["cause"] for c in report["checks"] if c["verdict"] == "error"]
    assert result.exit_code == 0 or "frame not understood" in (report["error"] or "") or errors, result.stderr
    assert report["api"] == "Vulkan"
    assert sum(p["draws"] for p in report["passes"]) > 50
