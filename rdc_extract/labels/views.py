"""Renderings of class mappings and relabel reports for people: rich tables and a colour legend image."""

from __future__ import annotations

import numpy as np
from rich.console import Group
from rich.table import Table
from rich.text import Text

from pathlib import Path

from rdc_extract.batch.index import INDEX_NAME, read_index
from rdc_extract.dataset.names import command_line, shown
from rdc_extract.export.registry import suggested_export
from rdc_extract.labels.classmap import ClassMap, is_mapping_file
from rdc_extract.labels.relabel import (
    COVERAGE_NAME, CURRENT, LINKED, RELABELLED, SWITCHED, UNFINISHED, RelabelReport,
)
from rdc_extract.labels.sets import set_folder
from rdc_extract.labels.signature_rules import NO_CLASS, SIGNATURES_FIRST
from rdc_extract.labels.signature_tally import SignatureReport
from rdc_extract.labels.suggest import MIXED, SuggestionReport

UNLABELLED_SHOWN = 10


def _swatch(color: tuple[int, int, int]) -> Text:
    r, g, b = color
    return Text.assemble(("   ", f"on rgb({r},{g},{b})"), f" {r},{g},{b}")


def class_table(class_map: ClassMap) -> Table:
    """One row per class: name, id, trainId, category, colour swatch, the raw values it covers."""
    title = f"{class_map.name} — {class_map.description}" if class_map.description else class_map.name
    table = Table(title=title, caption=(
        f"source {class_map.source}.png · uncovered values → id {class_map.unlabelled_id}"
        + (f", trainId {class_map.ignore_train_id}" if class_map.has_train_ids else "")
        + f" · sha256 {class_map.sha256[:16]}…"
    ))
    for column in ("name", "id", "trainId", "category", "colour", "raw"):
        table.add_column(column, justify="right" if column in ("id", "trainId") else "left",
                         no_wrap=column in ("name", "colour", "raw"))
    signatures = [0] * len(class_map.classes)
    for index in class_map.rules.exact.values():
        signatures[index] += 1
    for index, c in enumerate(class_map.classes):
        rules = [rule.describe() for rule in c.raw]
        rules += [f"{signatures[index]} signature{'s' if signatures[index] > 1 else ''}"] if signatures[index] else []
        rules += [" ".join(f"{kind}={'|'.join(globs)}" for kind, globs in rule.patterns)
                  for rule in class_map.rules.names if rule.class_index == index]
        train = "—" if c.train_id is None else str(c.train_id)
        table.add_row(c.name, str(c.id), train, c.category, _swatch(c.color), " | ".join(rules) or "—")
    if class_map.rules:
        winner = "signature" if class_map.rules.precedence == SIGNATURES_FIRST else "stencil"
        table.caption += f" · {winner} rules win where both match"
    return table


def uncovered_values(class_map: ClassMap) -> str:
    """The raw values no rule covers, as compact ranges (``4-6, 8-127``)."""
    values = np.flatnonzero(~class_map.covered).tolist()
    spans: list[tuple[int, int]] = []
    for v in values:
        if spans and spans[-1][1] == v - 1:
            spans[-1] = (spans[-1][0], v)
        else:
            spans.append((v, v))
    return ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in spans) or "none"


def relabel_summary(report: RelabelReport) -> Group:
    """Counts per outcome, unmapped raw values with pixel counts, failures, and the index note."""
    parts = []
    counts = Table(title=f"relabel {report.out_dir} → {report.mapping} ({report.mapping_sha256[:12]})", show_header=False)
    counts.add_row("relabelled", str(report.count(RELABELLED)))
    counts.add_row("already current (skipped)", str(report.count(CURRENT)))
    if report.count(SWITCHED):
        counts.add_row("already labelled, made the default", str(report.count(SWITCHED)))
    counts.add_row("unfinished (no meta.json, left alone)", str(report.count(UNFINISHED)))
    if report.count(LINKED):
        counts.add_row("symbolic links (not followed)", f"[yellow]{report.count(LINKED)}[/yellow]")
    failed = report.failed
    counts.add_row("failed", f"[red]{len(failed)}[/red]" if failed else "0")
    counts.add_row("index", report.index_note)
    parts.append(counts)
    unmapped = report.unmapped
    if unmapped:
        table = Table(title="[yellow]raw values not covered by the mapping[/yellow] (labelled as unlabelled)")
        for column in ("value", "hex", "bits", "pixels", "frames"):
            table.add_column(column, justify="right")
        for value, (pixels, frames) in unmapped.items():
            table.add_row(str(value), f"{value:#04x}", f"{value:08b}", f"{pixels:,}", str(frames))
        parts.append(table)
    else:
        parts.append(Text("every raw value present is covered by the mapping", style="green"))
    parts += _coverage_parts(report)
    for title, outcomes in (("[red]failed frames[/red]", failed),
                            ("[yellow]symbolic links in frames/, not followed[/yellow]", report.linked)):
        if outcomes:
            table = Table(title=title)
            table.add_column("frame")
            table.add_column("error")
            for outcome in outcomes:
                table.add_row(Text(shown(outcome.frame_id)), Text(shown(outcome.error or "")))
            parts.append(table)
    return Group(*parts)


def relabel_epilogue(report: RelabelReport, classes: str) -> list[str]:
    """Where this mapping's labels are, the dataset files written, and the command to run next (`classes`: the
    mapping as the command was given it), as lines to print whole."""
    labelled = report.labelled
    default = sum(1 for frame in labelled if frame.default and frame.default.get("mapping") == report.mapping)
    places = []
    if default:
        places.append(f"{default} frames as their default set (labels.png, labels_train.png, labels_color.png)")
    if len(labelled) > default:
        places.append(f"{len(labelled) - default} frames beside their default set, in "
                      f"frames/<frame_id>/{shown(set_folder(report.mapping))}")
    lines = [f"labels of {shown(report.mapping)}: " + "; ".join(places or ["no frame"]),
             f"written: {shown(str(report.out_dir / INDEX_NAME))}, {shown(str(report.out_dir / COVERAGE_NAME))}"]
    if len(labelled) > default:
        lines.append("next, to make them the default: " + command_line(
            "rdc-extract", "relabel", report.out_dir, "--classes", classes, "--default"))
    elif labelled and (export := suggested_export(report.out_dir, (read_index(report.out_dir) or {}).values(),
                                                  classes if is_mapping_file(classes) else None)):
        lines.append("next: " + export)
    return lines


def _coverage_parts(report: RelabelReport) -> list:
    """Scene pixels the signature rules label, the frames they could not be applied to, what to label next."""
    parts: list = []
    total = report.coverage
    without = report.without_draw_ids
    if without and (report.signature_rules or total.scene_pixels):
        parts.append(Text(f"{len(without)} frame{'s' if len(without) > 1 else ''} without draw ids "
                          "(drawids.png, drawids.json): labelled by stencil rules only", style="yellow"))
    if not total.scene_pixels:
        return parts
    share = total.labelled_pixels / total.scene_pixels
    summary = (f"signature rules label {share:.1%} of the {total.scene_pixels:,} scene pixels of "
               f"{len(report.labelled) - len(without)} frames with draw ids")
    if not total.unlabelled:
        parts.append(Text(f"{summary}: every signature present has a rule", style="green"))
        return parts
    parts.append(Text(f"{summary}; {total.unlabelled_pixels:,} ({1 - share:.1%}) are in "
                      f"{len(total.unlabelled)} signatures without a rule"))
    largest = total.largest_unlabelled()[:UNLABELLED_SHOWN]
    if largest:
        table = Table(title="largest signatures without a rule (label these next)",
                      caption=f"all of them: {report.out_dir / COVERAGE_NAME}")
        table.add_column("signature", no_wrap=True, min_width=32)
        for column in ("pixels", "share", "frames"):
            table.add_column(column, justify="right")
        table.add_column("name / markers")
        for signature, pixels in largest:
            table.add_row(signature or "(none)", f"{pixels:,}", f"{pixels / total.scene_pixels:.1%}",
                          str(total.frames[signature]), Text(shown(total.names[signature])))
        parts.append(table)
    return parts


def suggestion_view(report: SuggestionReport, class_map: ClassMap, path: Path) -> Text:
    """What --suggest wrote: how many rules, how many signatures left to name, how well they agree with the stencil."""
    named = [s for s in report.suggestions if s.class_index != NO_CLASS]
    mixed = [s for s in named if s.purity < MIXED]
    text = (f"{path}: {len(named)} signature rules from the stencil classes of {class_map.name} "
            f"({report.frames_used} frames), {len(report.suggestions) - len(named)} signatures without a "
            f"stencil class left to name, {len(mixed)} mixed (purity < {MIXED:.0%}); the rules give "
            f"{report.agreement:.2%} of the scene pixels their stencil class")
    if report.frames_skipped:
        text += f"; {len(report.frames_skipped)} frames without draw ids or {class_map.source}.png skipped"
    return Text(text)


def legend_image(class_map: ClassMap, *, row_px: int = 24, width_px: int = 360) -> np.ndarray:
    """A uint8 RGB ``(rows * row_px, width_px, 3)`` legend: a swatch and ``id/trainId name`` per class."""
    from PIL import Image, ImageDraw  # only the legend needs drawing text

    image = Image.new("RGB", (width_px, row_px * len(class_map.classes)), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    for row, c in enumerate(class_map.classes):
        top = row * row_px
        draw.rectangle((4, top + 3, 4 + 2 * row_px, top + row_px - 4), fill=c.color, outline=(0, 0, 0))
        train = "" if c.train_id is None else f"/{c.train_id}"
        draw.text((12 + 2 * row_px, top + row_px // 2 - 6), f"{c.id}{train}  {c.name}", fill=(0, 0, 0))
    return np.asarray(image, dtype=np.uint8)


def signatures_view(report: SignatureReport, top: int) -> Group:
    """The largest signatures, and how much of the dataset's scene pixels the top ones cover."""
    table = Table(title=f"draw signatures of {report.frames} frames ({report.frames_without_drawids} without draw ids)")
    for column in ("#", "signature", "frames", "draws", "pixels", "share", "name / markers"):
        table.add_column(column, justify="right" if column in ("#", "frames", "draws", "pixels", "share") else "left")
    shown = report.tallies[:top]
    for rank, entry in enumerate(shown, 1):
        share = entry.pixels / report.total_pixels if report.total_pixels else 0.0
        table.add_row(str(rank), entry.signature[:12], str(len(entry.frames)), str(entry.draws), str(entry.pixels),
                      f"{share:.1%}", f"{entry.name} {entry.marker_path}".strip())
    covered = sum(entry.pixels for entry in shown) / report.total_pixels if report.total_pixels else 0.0
    summary = (f"{len(report.tallies)} signatures; the {len(shown)} largest cover {covered:.1%} of the scene pixels. "
               f"All: {report.csv}" + (f"; contact sheet (tile n = row n above): {report.sheet}" if report.sheet else ""))
    return Group(table, Text(summary))
