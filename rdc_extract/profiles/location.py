"""Where the profiles and class mappings live; apart from the registry so that class mappings load without it."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

ENV_VAR = "RDC_EXTRACT_PIPELINES"


def pipelines_dir() -> Path:
    """The profiles folder: `$RDC_EXTRACT_PIPELINES`, else the one installed with the package."""
    override = os.environ.get(ENV_VAR)
    return Path(override) if override else Path(str(resources.files("rdc_extract") / "pipelines")).resolve()
