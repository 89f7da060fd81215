"""The export formats by name: a new format is one module with an `EXPORTER` class and one line here.

Modules are imported only when their format is used, so a format's optional
packages (pycocotools for coco) never burden the others or the CLI's start.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath

from typing import TYPE_CHECKING

from rdc_extract.dataset.names import command_line
from rdc_extract.errors import MissingDependency

if TYPE_CHECKING:   # the batch's summary suggests an export: it need not import numpy for that until it ends
    from rdc_extract.export.base import Exporter

FORMATS = {
    "coco": "rdc_extract.export.coco",
    "cityscapes": "rdc_extract.export.cityscapes",
    "kitti": "rdc_extract.export.kitti",
    "hf": "rdc_extract.export.hf",
}


#: What commands suggest exporting to, richest first (hf holds what cityscapes holds).
SUGGESTED = ("coco", "cityscapes", "kitti")


def suggested_export(out: str | Path, rows: Iterable[Mapping[str, str]], classes: str | None = None) -> str | None:
    """The `rdc-extract export` command line of the first SUGGESTED format that some frame has every file for
    (`rows`: index.csv's, whose `outputs.*` cells are each frame's files); None when no frame has any's.
    `classes`: a mapping file the export must be given, its labels being of no installed mapping.

    A dataset made with the default outputs has no instance maps (coco), and one whose profile has no class
    mapping has no labels (coco, cityscapes): a suggestion they cannot follow would end in "nothing exported".
    """
    files = [{PurePosixPath(path).name for key, path in row.items() if key.startswith("outputs.")} for row in rows]
    for name in SUGGESTED:
        needs = {need.file for need in importlib.import_module(FORMATS[name]).EXPORTER.needs}
        if any(needs <= present for present in files):
            return command_line("rdc-extract", "export", out, "DEST", "--format", name,
                                *(("--classes", classes) if classes else ()))
    return None


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
