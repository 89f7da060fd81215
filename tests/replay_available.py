"""`needs_renderdoc`: skip a test module where RenderDoc's Python module cannot be loaded."""

from __future__ import annotations

import pytest

from rdc_extract.errors import RdcExtractError


def renderdoc_available() -> bool:
    try:
        from rdc_extract.rd.loader import load_renderdoc

        load_renderdoc()
    except (RdcExtractError, ImportError, OSError):
        return False
    return True


needs_renderdoc = pytest.mark.skipif(not renderdoc_available(), reason="RenderDoc Python module not available")
