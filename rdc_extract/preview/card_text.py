"""The dataset card's Markdown, from `CardData` (pure: same data, same text, so reruns change nothing)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rdc_extract.preview.card import CARD_MARK, CardData, FAILURES_FILE
from rdc_extract.preview.mappings import MappingClasses
from rdc_extract.preview.stats import (
    DEPTH_BIN_RATIO, DEPTH_PERCENTS, MAX_SCENARIO_VALUES, ClassTally, depth_percentiles, sorted_counts,
)

MAX_UNREADABLE_LISTED = 10
MAX_VALUE_CHARS = 60   # a scenario value longer than this (a command line) is cut in the tables


def card_markdown(data: CardData, class_plots: Mapping[tuple[str, str], str], depth_plot: str | None,
                  version: str) -> str:
    """README.md of a dataset: contents, splits, scenarios, classes, depth, failures, how to load it."""
    sections = [_header(data, version), _splits(data), _scenarios(data)]
    sections += [_classes(data.tallies[key], data.classes[key], class_plots.get(key)) for key in sorted(data.tallies)]
    sections += [_depth(data, depth_plot), _failures(data), _loading(data), _unreadable(data)]
    return "\n".join(section for section in sections if section)


def _header(data: CardData, version: str) -> str:
    unreadable = f" ({len(data.unreadable)} unreadable, listed at the end)" if data.unreadable else ""
    rows = [
        ("frames", f"{data.frames}{unreadable}"),
        ("image size (width × height)", _counts(data.count(lambda r: None if r.size is None else
                                                           f"{r.size[1]}×{r.size[0]}"))),
        ("profiles", _counts(data.count(lambda r: r.profile))),
        ("capture APIs", _counts(data.count(lambda r: r.api))),
        ("label mappings", _counts(data.count(lambda r: None if r.mapping is None else r.mapping[0]), "no labels")),
        ("made with", _counts(data.count(_tools))),
    ]
    if data.failures is not None:
        rows.append(("failed captures", f"{sum(data.failures.values())} (see Failures)"))
    lines = [f"{CARD_MARK} written by rdc-extract {version} (`rdc-extract card`, or `preview`) from the frames; "
             "rerun it to refresh this file: edits here are replaced. -->",
             f"# Dataset card: {_cell(data.name)}", "",
             "Labelled frames extracted from RenderDoc captures by rdc-extract (one folder per frame under "
             "`frames/`, described in meta.json).", "",
             "| | |", "| --- | --- |"]
    lines += [f"| {label} | {value} |" for label, value in rows]
    return "\n".join(lines) + "\n"


def _tools(record: Any) -> str | None:
    rdc_extract, renderdoc = record.versions
    if rdc_extract is None and renderdoc is None:
        return None
    return f"rdc-extract {rdc_extract or '?'}, RenderDoc {renderdoc or '?'}"


def _counts(counts: Mapping[Any, int], missing: str = "unknown") -> str:
    """`a (3), b (1)`, values cut to MAX_VALUE_CHARS; frames without a value as `unknown (n)`."""
    shown = [(missing if value is None else _cell(_cut(str(value))), count) for value, count in sorted_counts(counts)]
    return ", ".join(f"{value} ({count})" for value, count in shown) or "–"


def _splits(data: CardData) -> str:
    if data.splits is None:
        return ""
    lines = ["## Splits", "", "Frames per value of index.csv's `split` column.", "", "| split | frames |",
             "| --- | ---: |"]
    lines += [f"| {_cell(split)} | {count} |" for split, count in sorted_counts(data.splits)]
    return "\n".join(lines) + "\n"


def _scenarios(data: CardData) -> str:
    scenarios = data.scenarios
    lines = ["## Scenarios", ""]
    if scenarios is None or not (scenarios.fields or scenarios.many):
        lines.append("No frame has a scenario: its captures had no sidecar (docs/capture.md of rdc-extract).")
        return "\n".join(lines) + "\n"
    with_sidecar = sum(record.scenario is not None for record in data.records.values())
    lines += [f"Frames per value of each field their captures' sidecars record ({with_sidecar} of "
              f"{len(data.records)} frames have one; `scenario` in meta.json).", "",
              "| field | frames per value |", "| --- | --- |"]
    lines += [f"| {_cell(key)} | {_counts(counts)} |" for key, counts in scenarios.fields.items()]
    if scenarios.many:
        many = ", ".join(f"{_cell(key)} ({count})" for key, count in scenarios.many.items())
        lines += ["", f"Also recorded, with more than {MAX_SCENARIO_VALUES} distinct values: {many}."]
    return "\n".join(lines) + "\n"


def _classes(tally: ClassTally, classes: MappingClasses, plot: str | None) -> str:
    total = tally.total_pixels
    lines = [f"## Classes: mapping `{_cell(classes.name)}`", ""]
    if plot:
        lines += [f"![pixels per class, mapping {_cell(classes.name)}]({plot})", ""]
    lines.append(f"Label ids (labels.png) of the {tally.frames} frames labelled with it (sha256 "
                 f"`{classes.sha256[:12]}…`): share of their {total} pixels, and frames where the class occurs.")
    if classes.note:
        lines += ["", f"Note: {classes.note}."]
    lines += ["", "| id | trainId | class | pixels | share | frames |", "| ---: | ---: | --- | ---: | ---: | ---: |"]
    for label in sorted(set(classes.entries) | set(tally.pixels)):
        entry = classes.entries.get(label)
        train = "" if entry is None or entry.train_id is None else str(entry.train_id)
        pixels = tally.pixels.get(label, 0)
        lines.append(f"| {label} | {train} | {_cell(classes.name_of(label))} | {pixels} | "
                     f"{_percent(pixels / total if total else 0.0)} | {tally.frames_with.get(label, 0)} |")
    return "\n".join(lines) + "\n"


def _depth(data: CardData, plot: str | None) -> str:
    depth = data.depth
    if depth is None:
        return ""
    frames = sum(record.depth is not None for record in data.records.values())
    lines = ["## Depth", ""]
    if plot:
        lines += [f"![depth histogram]({plot})", ""]
    pixels = depth.valid + depth.invalid
    lines.append(f"Metres along the optical axis over the {frames} frames with depth: {depth.valid} of their "
                 f"{pixels} pixels ({_percent(depth.valid / pixels if pixels else 0.0)}) have a depth; the others "
                 "show nothing drawn (sky, cleared background).")
    assumed = sum(record.unit_assumed for record in data.records.values() if record.depth is not None)
    if assumed:
        lines += ["", f"The metres of {assumed} of these frames take the game's world unit as a metre: no profile "
                      "states the game's scale (`[depth] metres_per_unit`; meta.json `depth.metres_per_unit`)."]
    percentiles = depth_percentiles(depth)
    if percentiles:
        heads = ["min", *(f"{p} %" for p in DEPTH_PERCENTS), "max"]
        values = [depth.low, *percentiles, depth.high]
        lines += ["", f"Percentiles read from a histogram of log-spaced bins (each within "
                      f"{(DEPTH_BIN_RATIO - 1):.1%}); min and max exact.", "",
                  "| " + " | ".join(heads) + " |", "|" + " ---: |" * len(heads),
                  "| " + " | ".join(_metres(value) for value in values) + " |"]
    return "\n".join(lines) + "\n"


def _failures(data: CardData) -> str:
    if data.failures is None:
        return ""
    lines = ["## Failures", "", f"{sum(data.failures.values())} captures failed to extract ({FAILURES_FILE} lists "
             "each with its error; `rdc-extract batch --retry-failed` tries them again).", ""]
    if data.failures:
        lines += ["| cause | captures |", "| --- | ---: |"]
        lines += [f"| {_cell(cause)} | {count} |" for cause, count in sorted_counts(data.failures)]
    return "\n".join(lines) + "\n"


def _loading(data: CardData) -> str:
    split = ('\ntrain = dataset.select(row["frame_id"] for row in dataset.index() if row["split"] == "train")'
             if data.splits else "")
    return "\n".join([
        "## Loading it", "",
        "With rdc-extract installed (no RenderDoc needed to read; rdc-extract's docs/training.md, \"Installing "
        "where training happens\"):", "",
        "```python",
        "from rdc_extract.data import Dataset",
        "",
        'dataset = Dataset("path/to/this/folder")',
        "frame = dataset[0]",
        ("rgb, train_ids, depth = frame.rgb(), frame.labels(), frame.depth()   # depth: metres, NaN where none"
         if any(record.mapping for record in data.records.values()) else
         "rgb, depth = frame.rgb(), frame.depth()   # depth: metres, NaN where none; these frames have no labels")
        + split,
        "```", "",
        "rdc-extract's docs/training.md (\"From captures to a DataLoader\") shows the PyTorch `Dataset` and a "
        "training loop; docs/dataset.md describes every file of a frame.",
    ]) + "\n"


def _unreadable(data: CardData) -> str:
    if not data.unreadable:
        return ""
    shown = sorted(data.unreadable.items())[:MAX_UNREADABLE_LISTED]
    more = len(data.unreadable) - len(shown)
    lines = ["## Unreadable frames", "", "Left out of every number above:", ""]
    lines += [f"- `{_cell(frame_id)}`: {_cell(error)}" for frame_id, error in shown]
    if more:
        lines.append(f"- and {more} more")
    return "\n".join(lines) + "\n"


def _cut(text: str) -> str:
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS - 1] + "…"


def _percent(share: float) -> str:
    if share == 0:
        return "0 %"
    if share < 0.0001:
        return "<0.01 %"
    return f"{share * 100:.2f} %"


def _metres(value: float | None) -> str:
    return "–" if value is None else f"{value:.3g} m"


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell: no line breaks, pipes or HTML."""
    return (" ".join(str(text).split()).replace("\\", "\\\\").replace("|", "\\|")
            .replace("<", "&lt;").replace(">", "&gt;").replace("`", "'"))
