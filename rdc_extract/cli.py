"""The `rdc-extract` command line: thin typer layer; domain errors become exit codes here.

Exit codes: 0 success; 1 the command ran but failed (a check failed, a capture
could not be used); 2 usage error (typer/click).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from rdc_extract import __version__
from rdc_extract.doctor import DoctorReport, run_doctor
from rdc_extract.errors import RdcExtractError

app = typer.Typer(
    name="rdc-extract",
    help="Turn RenderDoc frame captures of games into labelled computer-vision datasets.",
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    add_completion=False,
)
stdout = Console()
stderr = Console(stderr=True)

EXIT_FAILED = 1


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


def _print_doctor(report: DoctorReport) -> None:
    table = Table(title="rdc-extract doctor", show_header=False)
    table.add_row("rdc-extract", report.tool_version)
    table.add_row("Python", f"{report.python} ({report.python_executable})")
    table.add_row("CPU cores", str(report.cpu_count))
    if report.renderdoc_error:
        table.add_row("RenderDoc", f"[red]{report.renderdoc_error}[/red]")
    else:
        table.add_row("RenderDoc", f"{report.renderdoc_version} ({report.renderdoc_module})")
    for key, value in report.display.items():
        table.add_row(key, value or "-")
    for check in report.apis:
        verdict = "[green]replays[/green]" if check.replays else "[red]does not replay[/red]"
        timing = f", {check.seconds:.2f} s" if check.seconds is not None else ""
        table.add_row(f"{check.api} replay", f"{verdict}: {check.detail}{timing}")
    stdout.print(table)


@app.command()
def doctor(
    json_output: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Check that RenderDoc loads and which capture APIs really replay on this machine."""
    report = run_doctor()
    if json_output:
        print(report.to_json())
    else:
        _print_doctor(report)
    if not report.can_extract:
        if report.renderdoc_error:
            stderr.print(f"error: {report.renderdoc_error}", soft_wrap=True, highlight=False)
        else:
            stderr.print("error: no capture API replays on this machine", highlight=False)
        raise typer.Exit(EXIT_FAILED)


def main() -> None:
    try:
        app()
    except RdcExtractError as exc:
        stderr.print(f"error: {exc}", soft_wrap=True, highlight=False, markup=False)
        raise SystemExit(EXIT_FAILED) from None
