"""The `rdc-extract` console script: an `extract` starts replaying before the command line is imported
(extract/head_start.py), then the command line runs as usual."""

import sys

from rdc_extract.extract import head_start


def main() -> None:
    head_start.start(sys.argv[1:])
    from rdc_extract.cli import main as run_command_line

    run_command_line()
