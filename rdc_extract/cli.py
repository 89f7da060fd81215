"""The `rdc-extract` command line: thin typer layer; domain errors become exit codes here.

Exit codes: 0 success; 1 the command ran but failed (a check failed, a capture
could not be used); 2 usage error (typer/click).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from typer.core import TyperGroup

from rdc_extract import __version__
from rdc_extract.doctor import run_doctor
from rdc_extract.errors import RdcExtractError
from rdc_extract.inspect import inspect_capture, inspection_json
from rdc_extract.views import doctor_table, inspection_view

EXIT_FAILED = 1


class _ReportingGroup(TyperGroup):
    """Turns the tool's own errors, from any command, into one stderr line and exit code 1."""

    def invoke(self, ctx: typer.Context):
        try:
            return super().invoke(ctx)
        except RdcExtractError as exc:
            stderr.print(f"error: {exc}", soft_wrap=True, highlight=False, markup=False)
            raise typer.Exit(EXIT_FAILED) from None


app = typer.Typer(
    name="rdc-extract",
    cls=_ReportingGroup,
    help="Turn RenderDoc frame captures of games into labelled computer-vision datasets.",
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    add_completion=False,
)
stdout = Console()
stderr = Console(stderr=True)


def _show_version(value: bool) -> None:
    if value:
        stdout.print(f"rdc-extract {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_show_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Turn RenderDoc frame captures of games into labelled computer-vision datasets."""


@app.command()
def doctor(
    json_output: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Check that RenderDoc loads and which capture APIs really replay on this machine."""
    report = run_doctor()
    if json_output:
        print(report.to_json())
    else:
        stdout.print(doctor_table(report))
    if not report.can_extract:
        if report.renderdoc_error:
            stderr.print(f"error: {report.renderdoc_error}", soft_wrap=True, highlight=False)
        else:
            stderr.print("error: no capture API replays on this machine", highlight=False)
        raise typer.Exit(EXIT_FAILED)


@app.command()
def inspect(
    capture: Annotated[Path, typer.Argument(help="The .rdc capture to read.")],
    *,
    profile: Annotated[
        Optional[str], typer.Option("--profile", "-p", help="Profile name or .toml path; default: auto-detect.")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the stable JSON schema (docs/inspect.md).")] = False,
    draws: Annotated[bool, typer.Option("--draws", help="List every draw under its pass.")] = False,
) -> None:
    """Show a capture's passes and targets, and what the profile identified in it."""
    inspection = inspect_capture(capture, profile)
    if json_output:
        print(json.dumps(inspection_json(inspection, with_draws=draws), indent=2))
    else:
        stdout.print(inspection_view(inspection, show_draws=draws))
    if inspection.failure is not None:
        stderr.print(f"error: {inspection.failure}", soft_wrap=True, highlight=False, markup=False)
        raise typer.Exit(EXIT_FAILED)


def main() -> None:
    app()
