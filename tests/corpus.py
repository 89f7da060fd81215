"""The real-games corpus (samples/corpus/, made by scripts/make_corpus.sh), decompressed for a test."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parent.parent / "samples" / "corpus"


def decompressed(game: str, folder: Path) -> Path:
    """`<game>.rdc` decompressed into `folder`; skips the test when the corpus or zstd is absent."""
    packed = CORPUS / f"{game}.rdc.zst"
    if not packed.is_file():
        pytest.skip(f"{packed} absent (bash scripts/make_corpus.sh {game})")
    if shutil.which("zstd") is None:
        pytest.skip("zstd not installed (bash scripts/setup.sh installs it)")
    capture = folder / f"{game}.rdc"
    subprocess.run(["zstd", "-q", "-d", str(packed), "-o", str(capture)], check=True)
    return capture
