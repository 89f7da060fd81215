"""Figures drawn with matplotlib (the `preview` extra), returned as uint8 RGB arrays for `write_png`.

Drawn with matplotlib's default style whatever the user's matplotlibrc, on
an Agg canvas (no display, no pyplot state), and encoded by the dataset's own
PNG writer, which adds no date or version: the same data gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np

from rdc_extract.errors import MissingDependency
from rdc_extract.preview.colours import LegendEntry
from rdc_extract.preview.mappings import MappingClasses
from rdc_extract.preview.stats import DepthStats, depth_bin_edges

DPI = 100
MAX_BARS = 30
NO_DEPTH_COLOUR = "#bdbdbd"
DEPTH_COLOURS = "turbo_r"   # near red, far blue


def _matplotlib() -> Any:
    try:
        import matplotlib
    except ModuleNotFoundError:
        raise MissingDependency("previews and the dataset card are drawn with matplotlib, which is not installed: "
                                "pip install 'rdc-extract[preview]'") from None
    return matplotlib


@contextmanager
def _figure(width_in: float, height_in: float) -> Iterator[Any]:
    _matplotlib()
    from matplotlib import rc_context, style
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with style.context("default"), rc_context({"font.size": 9}):
        figure = Figure(figsize=(width_in, height_in), dpi=DPI, layout="constrained")
        FigureCanvasAgg(figure)
        yield figure


def _pixels(figure: Any) -> np.ndarray:
    figure.canvas.draw()
    return np.array(figure.canvas.buffer_rgba())[..., :3]


def _rgb(colour: Sequence[int]) -> tuple[float, float, float]:
    return tuple(channel / 255 for channel in colour[:3])


def class_bars(tally: Any, classes: MappingClasses) -> np.ndarray:
    """Share of the labelled frames' pixels per class (the MAX_BARS largest), bars in the classes' colours."""
    total = tally.total_pixels or 1
    shown = sorted(tally.pixels.items(), key=lambda item: (-item[1], item[0]))[:MAX_BARS]
    with _figure(7.0, 1.0 + 0.26 * max(len(shown), 1)) as figure:
        axes = figure.add_subplot()
        names = [f"{classes.name_of(label)} ({label})" for label, _ in shown]
        colours = [_rgb(classes.entries[label].color) if label in classes.entries else (0.5, 0.5, 0.5)
                   for label, _ in shown]
        shares = [100 * pixels / total for _, pixels in shown]
        bars = axes.barh(range(len(shown)), shares, color=colours, edgecolor="black", linewidth=0.5)
        axes.bar_label(bars, labels=[f"{share:.2g} %" for share in shares], padding=3, fontsize=8)
        axes.margins(x=0.12)
        axes.set_yticks(range(len(shown)), names)
        axes.invert_yaxis()
        axes.set_xlabel("share of pixels (%)")
        axes.set_title(f"pixels per class, mapping {classes.name} ({tally.frames} frames)")
        return _pixels(figure)


def depth_histogram(depth: DepthStats) -> np.ndarray:
    """The dataset's depth histogram on a log axis (metres)."""
    edges = depth_bin_edges()[depth.first_bin:depth.first_bin + len(depth.counts) + 1]
    with _figure(7.0, 3.0) as figure:
        axes = figure.add_subplot()
        axes.stairs(depth.counts, edges, fill=True, color="#4c72b0")
        axes.set_xscale("log")
        axes.set_xlabel("depth (m)")
        axes.set_ylabel("pixels")
        axes.set_title(f"depth of {depth.valid} pixels; {depth.invalid} without depth not shown")
        return _pixels(figure)


def _depth_scale(low: float, high: float) -> tuple[Any, list[float] | None]:
    """A logarithmic colour scale with ticks at 1, 2, 5 × 10^k m when depth spans a decade or more, else linear."""
    from matplotlib.colors import LogNorm, Normalize

    if high < 10 * low:
        return Normalize(vmin=low, vmax=high), None
    decades = range(int(np.floor(np.log10(low))), int(np.ceil(np.log10(high))) + 1)
    ticks = [step * 10.0 ** decade for decade in decades for step in (1, 2, 5) if low <= step * 10.0 ** decade <= high]
    return LogNorm(vmin=low, vmax=high), ticks


@dataclass(frozen=True)
class Panel:
    """One tile of a contact sheet: an RGB image, or (`depth`) float metres with NaN where none."""

    title: str
    image: np.ndarray
    depth: bool = False


def contact_sheet(title: str, panels: Sequence[Panel], legend: Sequence[LegendEntry], more_classes: int,
                  columns: int = 3) -> np.ndarray:
    """The panels in a grid, the depth panel with a colour bar in metres, the label legend underneath."""
    _matplotlib()
    from matplotlib import colormaps
    from matplotlib.patches import Patch

    height, width = panels[0].image.shape[:2]
    columns = min(columns, len(panels))
    rows = -(-len(panels) // columns)
    panel_in = 4.2
    legend_in = 0.3 * (-(-(len(legend) + bool(more_classes)) // 4)) + 0.3 if legend else 0.0
    with _figure(panel_in * columns + 0.6, rows * panel_in * height / width + 0.5 + legend_in) as figure:
        grid = figure.subplots(rows, columns, squeeze=False)
        for axes in grid.ravel()[len(panels):]:
            axes.set_axis_off()
        for axes, panel in zip(grid.ravel(), panels):
            axes.set_xticks([])
            axes.set_yticks([])
            axes.set_title(panel.title)
            if not panel.depth:
                axes.imshow(panel.image, interpolation="nearest")
                continue
            valid = panel.image[np.isfinite(panel.image)]
            if not valid.size:
                axes.imshow(np.zeros((height, width, 3)) + _rgb((189, 189, 189)), interpolation="nearest")
                axes.text(0.5, 0.5, "no depth", transform=axes.transAxes, ha="center", va="center")
                continue
            low, high = (float(value) for value in np.percentile(valid, [1, 99]))
            norm, ticks = _depth_scale(low, max(high, low * 1.01))
            colours = colormaps[DEPTH_COLOURS].with_extremes(bad=NO_DEPTH_COLOUR)
            image = axes.imshow(np.ma.masked_invalid(panel.image), cmap=colours, interpolation="nearest", norm=norm)
            bar = figure.colorbar(image, ax=axes, shrink=0.9, extend="both")
            if ticks is not None:
                bar.set_ticks(ticks, labels=[f"{tick:g}" for tick in ticks])
                bar.ax.minorticks_off()
            bar.set_label("metres (grey: no depth)")
        if legend:
            handles = [Patch(facecolor=_rgb(entry.colour), edgecolor="black", linewidth=0.5,
                             label=f"{entry.name} ({entry.label})") for entry in legend]
            if more_classes:
                handles.append(Patch(facecolor="none", edgecolor="none", label=f"… {more_classes} more"))
            figure.legend(handles=handles, loc="outside lower center", ncols=4, frameon=False,
                          title="label overlay: class (id), largest first")
        figure.suptitle(title)
        return _pixels(figure)
