"""The `rdc-extract` command line: thin typer layer; domain errors become exit codes here.

Each command imports what it needs when it runs, so `extract` never pays for
importing the batch engine, dask or Pillow (tests/test_cli_startup.py).

Exit codes: 0 success; 1 the command ran but failed (a check failed, a capture
could not be used); 2 usage error (typer/click).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

if TYPE_CHECKING:
    from rdc_extract.preview.card import CardFiles
    from rdc_extract.rd.remote import Route
from rich.console import Console
from typer.core import TyperGroup

from rdc_extract import __version__
from rdc_extract.blas import one_blas_thread_unless_set
from rdc_extract.errors import RdcExtractError

EXIT_FAILED = 1
MAX_SECONDS = 7 * 24 * 3600  # time options: a week at most (1e308 s overflowed select())


class _ReportingGroup(TyperGroup):
    """Turns the tool's own errors and the system's (disk full, permission denied), from any command,
    into one stderr line and exit code 1; anything else is a bug and keeps its traceback."""

    def invoke(self, ctx: typer.Context):
        try:
            return super().invoke(ctx)
        except (RdcExtractError, OSError) as exc:
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
stdout = Console(emoji=False)  # no :name: codes in our output; their table costs start-up
stderr = Console(stderr=True, emoji=False)


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
    remote: Annotated[Optional[list[str]], typer.Option(
        "--remote", metavar="HOST[:PORT]",
        help="Also check this RenderDoc remote server: does it answer, which APIs does it replay (repeatable).")] = None,
) -> None:
    """Check that RenderDoc loads and which capture APIs really replay on this machine (and on remote servers)."""
    from rdc_extract.doctor import run_doctor
    from rdc_extract.rd.remote import server_address
    from rdc_extract.views import doctor_table

    report = run_doctor([server_address(address) for address in remote or []])
    if json_output:
        print(report.to_json())
    else:
        stdout.print(doctor_table(report))
    silent = [check.address for check in report.remotes if not check.answers]
    for address in silent:
        stderr.print(f"error: remote server {address} does not answer", soft_wrap=True, highlight=False)
    if not report.can_extract:
        if report.renderdoc_error:
            stderr.print(f"error: {report.renderdoc_error}", soft_wrap=True, highlight=False)
        else:
            stderr.print("error: no capture API replays on this machine", highlight=False)
    if silent or not report.can_extract:
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
    at: Annotated[
        Optional[int], typer.Option("--at", min=0, help="Also list the targets and constant blocks (members, values) bound at this event.")
    ] = None,
    preview: Annotated[
        Optional[Path], typer.Option("--preview", help="Write a PNG thumbnail of every pass's targets into this folder.")
    ] = None,
    remote: RemoteOption = None,
    remote_only: RemoteOnlyOption = None,
) -> None:
    """Show a capture's passes and targets, and what the profile identified in it."""
    from rdc_extract.errors import ProfileMismatch
    from rdc_extract.inspect import inspect_capture, inspection_json
    from rdc_extract.rd.remote import route_replay
    from rdc_extract.views import inspection_view

    route_replay(_route(remote, remote_only))
    inspection = inspect_capture(capture, profile, at, preview)
    if json_output:
        print(json.dumps(inspection_json(inspection, with_draws=draws), indent=2))
    else:
        stdout.print(inspection_view(inspection, show_draws=draws))
        if preview is not None:
            stdout.print(f"{sum(not line.startswith('skipped ') for line in inspection.previews)} previews "
                         f"written to {preview}", highlight=False, markup=False)
            for line in inspection.previews:
                if line.startswith("skipped "):
                    stderr.print(f"warning: {line}", soft_wrap=True, highlight=False, markup=False)
    if inspection.failure is not None:
        stderr.print(f"error: {inspection.failure}", soft_wrap=True, highlight=False, markup=False)
    for cause in inspection.check_errors:   # the lines `extract` would fail with
        stderr.print(f"error: {ProfileMismatch(capture, cause)}", soft_wrap=True, highlight=False, markup=False)
    if inspection.failure is not None or inspection.check_errors:
        raise typer.Exit(EXIT_FAILED)


RemoteOption = Annotated[Optional[list[str]], typer.Option(
    "--remote", metavar="HOST[:PORT]",
    help="Replay on this RenderDoc remote server (renderdoccmd remoteserver; repeat for several), docs/remote.md.")]
RemoteOnlyOption = Annotated[Optional[str], typer.Option(
    "--remote-only", metavar="API,...",
    help="Send only captures of these APIs (e.g. D3D11) to --remote servers; the others replay here.")]


def _route(remote: list[str] | None, remote_only: str | None) -> Route | None:
    """The remote route `--remote`/`--remote-only` ask for (None: replay here); addresses checked now."""
    from rdc_extract.rd.remote import route_from_options

    return route_from_options(remote or [], remote_only.split(",") if remote_only is not None else None)


def _seconds(value: float | None) -> float | None:
    """Time options: finite, positive and at most MAX_SECONDS (a week)."""
    if value is not None and not (0 < value <= MAX_SECONDS and math.isfinite(value)):
        raise typer.BadParameter(f"expected seconds, more than 0 and at most {MAX_SECONDS} (a week), got {value:g}")
    return value


def _checked_outputs(profile: str | None, outputs: str | None) -> list[str] | None:
    """`--outputs rgb, depth` → ["rgb", "depth"] (None: every output), checked before any capture is touched.

    Loads the --profile (and its class mapping), or every installed profile when
    the profile is auto-detected, and refuses names none of them can write.
    """
    from rdc_extract.extract.plan import check_outputs, split_outputs
    from rdc_extract.profiles.registry import available_profiles, resolve_profile

    wanted = split_outputs(outputs)
    check_outputs(wanted, [resolve_profile(profile)] if profile is not None else available_profiles())
    return wanted


@app.command()
def extract(
    capture: Annotated[Path, typer.Argument(help="The .rdc capture to extract.")],
    out: Annotated[Path, typer.Argument(help="Dataset folder; the frame goes to OUT/frames/<capture name>/.")],
    *,
    profile: Annotated[
        Optional[str], typer.Option("--profile", "-p", help="Profile name or .toml path; default: auto-detect.")
    ] = None,
    outputs: Annotated[
        Optional[str], typer.Option("--outputs", help="Comma-separated outputs, e.g. rgb,depth,labels; default: all but drawids and instances.")
    ] = None,
    remote: RemoteOption = None,
    remote_only: RemoteOnlyOption = None,
) -> None:
    """Extract one labelled frame (RGB, G-buffer targets, depth, normals, stencil, labels, meta)."""
    from rdc_extract.dataset.lock import make_output_folder, output_lock
    from rdc_extract.extract import head_start
    from rdc_extract.extract.pipeline import extract_to_dataset
    from rdc_extract.rd.remote import route_replay
    from rdc_extract.rd.session import check_capture_file
    from rdc_extract.views import extraction_view

    route_replay(_route(remote, remote_only))
    wanted = _checked_outputs(profile, outputs)
    check_capture_file(capture)
    make_output_folder(out)
    with output_lock(out):
        replayed = head_start.take(capture, profile, outputs)   # replayed ahead, when the console script could
        meta, frame_dir = extract_to_dataset(capture, out, profile=profile, outputs=wanted, replayed=replayed)
    stdout.print(extraction_view(meta, frame_dir))
    for warning in meta["warnings"]:
        stderr.print(f"warning: {warning}", soft_wrap=True, highlight=False, markup=False)


@app.command()
def classes(
    mapping: Annotated[str, typer.Argument(help="Class-mapping .toml path, or a name in pipelines/classes/.")],
    *,
    legend: Annotated[Optional[Path], typer.Option("--legend", help="Also write a colour legend PNG here.")] = None,
) -> None:
    """Show a class mapping as a table (validating it) so it can be checked before `relabel`."""
    from rdc_extract.dataset.files import write_png
    from rdc_extract.labels.classmap import resolve_class_map
    from rdc_extract.labels.views import class_table, legend_image, uncovered_values

    class_map = resolve_class_map(mapping)
    stdout.print(class_table(class_map))
    stdout.print(f"raw values no rule covers: {uncovered_values(class_map)}", highlight=False)
    if legend is not None:
        write_png(legend, legend_image(class_map))
        stdout.print(f"legend written to {legend}", highlight=False, markup=False)


@app.command()
def relabel(
    out: Annotated[Path, typer.Argument(help="Dataset folder (the one holding frames/).")],
    *,
    classes_: Annotated[
        str, typer.Option("--classes", "-c", help="Class-mapping .toml path, or a name in pipelines/classes/.")
    ],
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Parallel workers; -1 = all cores.")] = -1,
    force: Annotated[bool, typer.Option("--force", help="Redo frames already labelled with this mapping.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Fail if any raw value is not covered.")] = False,
    default: Annotated[bool, typer.Option(
        "--default", help="Make this mapping's labels the default set (labels.png); without it they go to "
                          "labels/<mapping>/ unless the frame has no labels yet.")] = False,
) -> None:
    """Label every frame from its stored stencil with another class mapping, without replay: a label set beside
    the others (docs/classes.md)."""
    from rdc_extract.labels.classmap import resolve_class_map
    from rdc_extract.labels.relabel import FAILED, relabel_dataset
    from rdc_extract.labels.views import relabel_epilogue, relabel_summary
    from rdc_extract.progress import CommandProgress

    class_map = resolve_class_map(classes_)
    with CommandProgress(stderr, f"relabel {class_map.name}", "frames") as progress:
        report = relabel_dataset(out, class_map, jobs=jobs, force=force, make_default=default,
                                 on_start=progress.start,
                                 on_frame=lambda outcome: progress.advance(failed=outcome.status == FAILED))
    stdout.print(relabel_summary(report))
    for line in relabel_epilogue(report, classes_):
        stdout.print(line, soft_wrap=True, highlight=False, markup=False)
    warning = report.game_warning()
    if warning:
        stderr.print(f"warning: {warning}", soft_wrap=True, highlight=False, markup=False)
    if report.failed or (strict and report.unmapped):
        raise typer.Exit(EXIT_FAILED)


@app.command()
def split(
    out: Annotated[Path, typer.Argument(help="Dataset folder (the one holding index.csv).")],
    *,
    by: Annotated[str, typer.Option("--by", help="Group frames by run, seed or scenario (weather and time of "
                                                  "day); no group is shared between splits.")] = "run",
    ratios: Annotated[str, typer.Option("--ratios", help="Shares of the frames, one per split.")] = "0.8,0.1,0.1",
    names: Annotated[Optional[str], typer.Option(
        "--names", help="Split names, one per ratio (default: train,val,test or train,val).")] = None,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Orders groups of equal size (which go where).")] = 0,
    reassign: Annotated[bool, typer.Option(
        "--reassign", help="Assign every group anew, even when splits.json records the same plan.")] = False,
) -> None:
    """Assign train/val/test splits to the frames of index.csv so that no run, seed or scenario is shared
    between them (docs/dataset.md, "Splits"); reruns keep the splits already assigned."""
    from rdc_extract.splits.assign import SplitPlanError, parse_plan
    from rdc_extract.splits.groups import BY
    from rdc_extract.splits.run import split_dataset, split_lines, ungrouped_warning

    if by not in BY:
        raise typer.BadParameter(f"expected one of {', '.join(BY)}", param_hint="--by")
    try:
        plan = parse_plan(ratios, names, seed)
    except SplitPlanError as exc:
        raise typer.BadParameter(str(exc), param_hint=exc.option) from None
    report = split_dataset(out, by, plan, reassign=reassign)
    for line in split_lines(report):
        stdout.print(line, soft_wrap=True, highlight=False, markup=False)
    warning = ungrouped_warning(report)
    if warning:
        stderr.print(f"warning: {warning}", soft_wrap=True, highlight=False, markup=False)


@app.command()
def signatures(
    out: Annotated[Path, typer.Argument(help="Dataset folder extracted with --outputs ...,drawids.")],
    *,
    top: Annotated[int, typer.Option("--top", min=1, help="Signatures shown and drawn on the contact sheet.")] = 48,
    suggest: Annotated[Optional[Path], typer.Option(
        "--suggest", help="Also write a class mapping with a signature rule per signature, from its pixels' "
                          "stencil classes, to edit and relabel with.")] = None,
    classes_: Annotated[Optional[str], typer.Option(
        "--classes", "-c", help="With --suggest: the mapping whose stencil rules vote (default: the one the "
                                "frames are labelled with).")] = None,
) -> None:
    """List the draw signatures of a dataset with the frames and pixels they cover, and draw a contact sheet."""
    from rdc_extract.labels.signature_tally import signature_report
    from rdc_extract.labels.views import signatures_view

    if classes_ is not None and suggest is None:
        raise typer.BadParameter("goes with --suggest: it names the mapping whose stencil rules vote",
                                 param_hint="--classes")
    report = signature_report(out, top=top)
    if not report.tallies:
        stderr.print(f"error: {out}: no draw signatures: no frame has drawids.json "
                     "(extract with --outputs ...,drawids; docs/drawids.md)", soft_wrap=True, highlight=False, markup=False)
        raise typer.Exit(EXIT_FAILED)
    stdout.print(signatures_view(report, top))
    if suggest is not None:
        from rdc_extract.dataset.files import write_text
        from rdc_extract.labels.classmap import resolve_class_map
        from rdc_extract.labels.suggest import recorded_mapping, suggest_rules
        from rdc_extract.labels.views import suggestion_view

        class_map = resolve_class_map(classes_ or recorded_mapping(out))
        tiles = {entry.signature: rank for rank, entry in enumerate(report.tallies[:top], 1)}
        suggested = suggest_rules(out, class_map, tiles=tiles)
        write_text(suggest, suggested.text)
        stdout.print(suggestion_view(suggested, class_map, suggest))


@app.command()
def export(
    out: Annotated[Path, typer.Argument(help="Dataset folder (the one holding frames/).")],
    dest: Annotated[Path, typer.Argument(help="Folder to write; written whole, or not at all.")],
    *,
    format_: Annotated[str, typer.Option(
        "--format", "-f", help="Layout to write: coco, cityscapes, kitti or hf (Hugging Face datasets).")],
    force: Annotated[bool, typer.Option("--force", help="Replace DEST when it is not empty.")] = False,
    classes_: Annotated[Optional[str], typer.Option(
        "--classes", "-c", help="The class mapping the frames are labelled with (default: the one they name).")] = None,
    things: Annotated[Optional[str], typer.Option(
        "--things", help="Comma-separated classes exported as objects (default: categories human and vehicle).")] = None,
    images: Annotated[str, typer.Option("--images", help="link (hard links, else copies) or copy.")] = "link",
) -> None:
    """Write a dataset in a layout other tools read (docs/export.md); frames lacking what it needs are skipped.

    Exits 1 when a frame failed or nothing could be exported.
    """
    from rdc_extract.export.base import IMAGE_MODES, ExportOptions
    from rdc_extract.export.registry import FORMATS
    from rdc_extract.export.report import summary_lines
    from rdc_extract.export.run import export_dataset
    from rdc_extract.progress import CommandProgress

    if format_ not in FORMATS:
        raise typer.BadParameter(f"expected one of {', '.join(FORMATS)}", param_hint="--format")
    if images not in IMAGE_MODES:
        raise typer.BadParameter(f"expected one of {', '.join(IMAGE_MODES)}", param_hint="--images")
    thing_names = None if things is None else tuple(name.strip() for name in things.split(",") if name.strip())
    options = ExportOptions(force=force, images=images, classes=classes_, things=thing_names)
    with CommandProgress(stderr, f"export {format_}", "frames", failures=False) as progress:
        report = export_dataset(out, dest, format_, options, on_frame=lambda frame_id: progress.advance(),
                                on_start=progress.start)
    for line in summary_lines(report):
        stdout.print(line, soft_wrap=True, highlight=False, markup=False)
    if not report.published:
        stderr.print(f"error: {out}: no frame could be exported as {format_}; {dest} not written",
                     soft_wrap=True, highlight=False, markup=False)
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)


@app.command()
def preview(
    out: Annotated[Path, typer.Argument(help="Dataset folder (the one holding frames/).")],
    *,
    frames: Annotated[Optional[int], typer.Option("--frames", "-n", min=1, help="Frames shown, spread evenly over "
                                                  "the dataset [default: 16].")] = None,
    all_frames: Annotated[bool, typer.Option("--all", help="Show every frame.")] = False,
    gallery: Annotated[Optional[Path], typer.Option("--out", "-o", help="Gallery folder, written whole "
                                                    "[default: OUT/preview].")] = None,
) -> None:
    """Draw a contact sheet per frame into an HTML gallery and refresh the dataset card OUT/README.md
    (docs/preview.md). Exits 1 when a frame could not be drawn."""
    from rdc_extract.preview.gallery import DEFAULT_FRAMES, GALLERY_DIR, check_gallery_target, write_gallery

    if all_frames and frames is not None:
        raise typer.BadParameter("give --frames or --all, not both", param_hint="--all")
    dest = gallery if gallery is not None else out / GALLERY_DIR
    check_gallery_target(out, dest)
    files = _card(out)
    with stderr.status(f"drawing {out}…") as status:
        result = write_gallery(out, dest, None if all_frames else frames or DEFAULT_FRAMES, files.card,
                               on_frame=lambda frame_id: status.update(f"drawing {out}: {frame_id}"))
    for entry in result.failed:
        stderr.print(f"error: {entry.error}", soft_wrap=True, highlight=False, markup=False)
    stdout.print(f"{len(result.shown) - len(result.failed)} of {result.frames} frames drawn: open "
                 f"{result.folder / 'index.html'}", soft_wrap=True, highlight=False, markup=False)
    if result.failed:
        raise typer.Exit(EXIT_FAILED)


@app.command()
def card(
    out: Annotated[Path, typer.Argument(help="Dataset folder (the one holding frames/).")],
) -> None:
    """Write the dataset card OUT/README.md: frames per scenario and split, class pixels, depth, versions
    (docs/preview.md). Reruns read only the frames changed since."""
    _card(out)


def _card(out: Path) -> CardFiles:
    from rdc_extract.preview.card import write_card

    with stderr.status(f"reading {out} for its card…") as status:
        files = write_card(out, on_frame=lambda frame_id: status.update(f"reading {out} for its card: {frame_id}"))
    stdout.print(f"dataset card written: {files.card}" + (f" (plots in {files.plots[0].parent})" if files.plots
                                                          else ""), soft_wrap=True, highlight=False, markup=False)
    return files


@app.command()
def capture(
    command: Annotated[list[str], typer.Argument(help="The game's command line, after `--`.", show_default=False)],
    *,
    out: Annotated[Path, typer.Option("--out", "-o", help="Captures folder (created; existing captures count).")],
    count: Annotated[Optional[int], typer.Option("--count", "-n", min=1, help="Stop at this many complete captures.")] = None,
    time_budget_s: Annotated[Optional[float], typer.Option("--time-budget", callback=_seconds, help="Stop after this many seconds.")] = None,
    every: Annotated[int, typer.Option("--every", min=1, help="Game frames between captures.")] = 40,
    warmup: Annotated[int, typer.Option("--warmup", min=0, help="Game frames before a launch's first capture.")] = 30,
    seed: Annotated[int, typer.Option("--seed", min=0, max=2**64 - 1, help="Seed of the scenario plan (64-bit).")] = 0,
    plan: Annotated[str, typer.Option("--plan", help="Scenario plan: schedule or random.")] = "schedule",
    ground_truth: Annotated[bool, typer.Option("--ground-truth", help="Ask the mod for <name>.gt.npz too.")] = False,
    stall_timeout_s: Annotated[float, typer.Option("--stall-timeout", callback=_seconds, help="Restart the game after this many seconds without a capture.")] = 120.0,
    max_fruitless: Annotated[int, typer.Option("--max-fruitless", min=1, help="Give up after this many launches in a row without a capture.")] = 3,
    replace: Annotated[bool, typer.Option("--replace", help="Delete the folder's existing captures first.")] = False,
    workdir: Annotated[Optional[Path], typer.Option("--workdir", help="Working directory of the game (default: here).")] = None,
    renderdoccmd: Annotated[Optional[str], typer.Option("--renderdoccmd", help="Path of renderdoccmd.")] = None,
    per_launch: Annotated[
        int, typer.Option("--per-launch", min=0, help="Relaunch the game after this many captures (0 = never).")
    ] = 0,
    rd_options: Annotated[
        Optional[list[str]], typer.Option("--rd-opt", help="Extra `renderdoccmd capture` option, e.g. --rd-opt=--opt-hook-children.")
    ] = None,
    trigger: Annotated[
        Optional[str], typer.Option("--trigger", help="No mod: capture frames:N,M,... of each launch, or every:SECONDS.")
    ] = None,
    game: Annotated[Optional[str], typer.Option("--game", help="Game name in the sidecars of --trigger (default: the program's name).")] = None,
    virtual_display: Annotated[bool, typer.Option("--virtual-display", help="Start Xvfb for the game when DISPLAY is unset.")] = False,
    display_size: Annotated[str, typer.Option("--display-size", help="Screen size of --virtual-display, WIDTHxHEIGHT.")] = "1920x1080",
) -> None:
    """Run a game under RenderDoc with a capture mod (or --trigger without one); restart it on crash or stall;
    stop at --count or --time-budget.

    In the game's arguments, {capture_index} and {launch} are replaced per launch.

    Example: rdc-extract capture --out caps --count 6 -- python -m samples.city_game --mod mod_scripts/city_game/autocapture.py
    """
    from rdc_extract.capture.display import check_size
    from rdc_extract.capture.launcher import CaptureRunConfig, run_capture
    from rdc_extract.capture.plan import PLANS
    from rdc_extract.capture.progress import CaptureProgress, next_step, summary
    from rdc_extract.capture.trigger import TriggerError, parse_trigger

    if count is None and time_budget_s is None:
        raise typer.BadParameter("give --count, --time-budget or both", param_hint="--count")
    if plan not in PLANS:
        raise typer.BadParameter(f"expected one of {', '.join(PLANS)}", param_hint="--plan")
    try:
        trigger_plan = None if trigger is None else parse_trigger(trigger)
    except TriggerError as exc:
        raise typer.BadParameter(str(exc), param_hint="--trigger") from None
    if trigger_plan is not None and ground_truth:
        raise typer.BadParameter("ground truth needs a mod; --trigger runs have none", param_hint="--ground-truth")
    try:
        check_size(display_size)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--display-size") from None
    config = CaptureRunConfig(command=command, out_dir=out, count=count, every=every, warmup=warmup, seed=seed,
                              plan=plan, ground_truth=ground_truth, time_budget_s=time_budget_s,
                              stall_timeout_s=stall_timeout_s, max_fruitless_launches=max_fruitless,
                              workdir=workdir or Path.cwd(), replace=replace, renderdoccmd=renderdoccmd,
                              renderdoc_options=tuple(rd_options or ()), captures_per_launch=per_launch,
                              trigger=trigger_plan, game=game, virtual_display=virtual_display,
                              display_size=display_size)
    with CaptureProgress(stderr, count) as view:
        result = run_capture(config, view.update)
    stdout.print(summary(result), highlight=False, markup=False)
    following = next_step(result)
    if following:
        stdout.print(following, soft_wrap=True, highlight=False, markup=False)
    if count is not None and len(result.captures) < count:
        raise typer.Exit(EXIT_FAILED)


@app.command()
def batch(
    captures: Annotated[Path, typer.Argument(help="Folder of .rdc captures, searched recursively.")],
    out: Annotated[Path, typer.Argument(help="Dataset folder: frames/, manifest.jsonl, index.csv.")],
    *,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", min=1, help="Parallel workers; default: every core.")] = None,
    timeout_s: Annotated[float, typer.Option("--timeout", min=1, callback=_seconds, help="Seconds one capture may take before its worker is killed.")] = 600.0,
    recycle_after: Annotated[int, typer.Option("--recycle-after", min=1, help="Captures per worker process before it is replaced (bounds memory).")] = 25,
    force: Annotated[bool, typer.Option("--force", help="Redo captures already done.")] = False,
    retry_failed: Annotated[bool, typer.Option("--retry-failed", help="Retry captures that failed before.")] = False,
    profile: Annotated[Optional[str], typer.Option("--profile", "-p", help="Profile name or .toml path; default: auto-detect per capture.")] = None,
    outputs: Annotated[Optional[str], typer.Option("--outputs", help="Comma-separated outputs; default: all but drawids and instances.")] = None,
    backend: Annotated[str, typer.Option("--backend", help="local (this machine) or dask (a dask.distributed cluster).")] = "local",
    scheduler: Annotated[Optional[str], typer.Option("--scheduler", help="dask scheduler address, with --backend dask.")] = None,
    follow_links: Annotated[bool, typer.Option("--follow-links", help="Walk symbolic links to directories (each directory once; loops are reported).")] = False,
    job: Annotated[Optional[str], typer.Option("--job", hidden=True, help="module:function run per capture (tests, benchmarks); default: extraction.")] = None,
    remote: RemoteOption = None,
    remote_only: RemoteOnlyOption = None,
) -> None:
    """Extract every capture under a folder: parallel, crash-isolated, resumable (docs/batch.md).

    Exits 1 when any capture of the folder is failed (in this run or an earlier one).
    """
    from rdc_extract.batch.report import BatchProgress, next_steps, summary_view
    from rdc_extract.batch.runner import DEFAULT_JOB, BatchOptions, run_batch

    if profile is None and outputs is None:   # the installed profiles are checked while the workers start
        wanted, preflight = None, lambda: _checked_outputs(None, None)
    else:   # a bad --profile/--outputs stops here, before OUT is touched, not at every capture
        wanted, preflight = _checked_outputs(profile, outputs), None
    route = _route(remote, remote_only)
    options = BatchOptions(
        input_dir=captures, out_dir=out, jobs=jobs, timeout_s=timeout_s, recycle_after=recycle_after,
        force=force, retry_failed=retry_failed, backend=backend, scheduler=scheduler, job=job or DEFAULT_JOB,
        job_kwargs={"profile": profile, "outputs": wanted}, follow_links=follow_links, remote=route,
        preflight=preflight,
    )
    if backend == "local":
        _warn_about_shader_cache()
    result = run_batch(options, BatchProgress(stderr))
    stdout.print(summary_view(result))
    for line in next_steps(result):
        stdout.print(line, soft_wrap=True, highlight=False, markup=False)
    if result.stopped:
        stderr.print(f"error: batch stopped early: {result.stopped}", soft_wrap=True, highlight=False, markup=False)
    if result.exit_code:
        raise typer.Exit(EXIT_FAILED)


def _warn_about_shader_cache() -> None:
    from rdc_extract.doctor import mesa_shader_cache, shader_cache_problem

    problem = shader_cache_problem(mesa_shader_cache())
    if problem:
        stderr.print(f"warning: {problem} (docs/doctor.md)", soft_wrap=True, highlight=False, markup=False)


def _invoked_only(args: list[str]) -> list[typer.models.CommandInfo]:
    """The registered commands with only the one `args` name, when they name one: typer inspects every
    command's signature to build the command line, ~50 ms of each run otherwise."""
    named = [command for command in app.registered_commands
             if args and (command.name or typer.main.get_command_name(command.callback.__name__)) == args[0]]
    return named or app.registered_commands


def main() -> None:
    """Run the command; a command that replayed leaves at once after shutting replay down (rd/session.py)."""
    one_blas_thread_unless_set()
    every_command = app.registered_commands
    app.registered_commands = _invoked_only(sys.argv[1:])
    try:
        app()
    except SystemExit as done:
        code = done.code
        if code is None or isinstance(code, int):
            from rdc_extract.extract import head_start
            from rdc_extract.rd.session import exit_after_replay

            exit_after_replay(code or 0)
            head_start.exit_after_answer(code or 0)
        raise
    finally:
        app.registered_commands = every_command
