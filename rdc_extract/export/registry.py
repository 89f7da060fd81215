"""The export formats by name: a new format is one module with an `EXPORTER` class and one line here.

Modules are imported only when their format is used, so a format's optional
packages (pycocotools for coco) never burden the others or the CLI's start.
"""

from __future__ import annotations

import importlib

from rdc_extract.errors import MissingDependency
from rdc_extract.export.base import Exporter

FORMATS = {
    "coco": "rdc_extract.export.coco",
    "cityscapes": "rdc_extract.export.cityscapes",
    "kitti": "rdc_extract.export.kitti",
    "hf": "rdc_extract.export.hf",
}


def load_format(name: str) -> type[Exporter]:
    """The exporter of format `name` (one of FORMATS), its required packages checked."""
    if name not in FORMATS:
        raise ValueError(f"unknown export format {name!r}; known: {', '.join(FORMATS)}")
    exporter: type[Exporter] = importlib.import_module(FORMATS[name]).EXPORTER
    for module, requirement in exporter.requires.items():
        try:
            importlib.import_module(module)
        except ImportError:
            raise MissingDependency(f"the {name} export needs {module}, which is not installed: "
                                    f"pip install 'rdc-extract[export]' (or pip install '{requirement}')") from None
    return exporter
