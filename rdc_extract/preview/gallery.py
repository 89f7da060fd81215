"""`rdc-extract preview`: a static HTML gallery of contact sheets, one folder written whole (docs/preview.md).

The folder holds `index.html` and `frames/<frame_id>.png`, linked relatively
with no script, so it opens from a file:// URL, a copy or an archive. It is
built in a staging folder beside its destination and renamed into place; an
existing destination is replaced only when it is an earlier gallery.
"""

from __future__ import annotations

import html
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import numpy as np

from rdc_extract.data.reader import Dataset, Frame
from rdc_extract.dataset.files import write_png, write_text
from rdc_extract.dataset.lock import reading_lock
from rdc_extract.dataset.publish import FRAMES_DIR
from rdc_extract.decode.preview import thumbnail
from rdc_extract.errors import DatasetFileError, PreviewError, WriteFailed
from rdc_extract.preview.colours import id_colours, legend_entries, normals_colour, overlay
from rdc_extract.preview.mappings import mapping_classes
from rdc_extract.preview.stats import IDENTIFYING_FIELDS, flat_scalars, shown_value

GALLERY_DIR = "preview"
GALLERY_MARK = "<!-- rdc-extract preview gallery -->"
DEFAULT_FRAMES = 16
# Not `.tmp-` (dataset/files.py): `batch` deletes leftover files of that name in OUT and a gallery's is a folder.
STAGING_PREFIX = ".preview-staging-"
PANEL_SIDE = 640   # larger frames are shown at every n-th pixel


def spread(total: int, count: int | None) -> list[int]:
    """Positions of `count` frames spread evenly over `total` (first and last included); all when None."""
    if count is None or count >= total:
        return list(range(total))
    if count <= 0:
        return []
    if count == 1:
        return [0]
    return sorted({round(step * (total - 1) / (count - 1)) for step in range(count)})


@dataclass(frozen=True)
class Shown:
    """One frame of the gallery: its sheet (relative to the gallery), or why it could not be drawn."""

    frame_id: str
    sheet: str | None
    facts: list[tuple[str, str]]
    error: str | None = None


@dataclass(frozen=True)
class Gallery:
    folder: Path
    shown: list[Shown]
    frames: int

    @property
    def failed(self) -> list[Shown]:
        return [entry for entry in self.shown if entry.error is not None]


def check_gallery_target(out: Path, dest: Path) -> None:
    """Refuse a destination that is the dataset, holds it, lies in its frames/, or is a folder of other files."""
    out_real, dest_real = out.resolve(), dest.resolve()
    if out_real.is_relative_to(dest_real):
        raise PreviewError(dest, f"holds the dataset {out}: a gallery there would replace it; choose another folder")
    if dest_real.is_relative_to(out_real / FRAMES_DIR):
        raise PreviewError(dest, f"is inside the dataset's {FRAMES_DIR}/ folder; choose a folder outside it")
    if dest.is_symlink() or (dest.exists() and not dest.is_dir()):
        raise PreviewError(dest, "exists and is not a folder")
    if dest.is_dir() and any(dest.iterdir()) and not _is_gallery(dest):
        raise PreviewError(dest, "exists, is not empty and holds no earlier gallery; choose another folder")


def _is_gallery(folder: Path) -> bool:
    try:
        with (folder / "index.html").open(encoding="utf-8", errors="replace") as handle:
            return handle.readline().startswith(GALLERY_MARK)
    except OSError:
        return False


def frame_sheet(frame: Frame) -> np.ndarray:
    """The frame's contact sheet: rgb, label overlay and legend, depth, normals, instances, draw ids."""
    from rdc_extract.preview.plots import Panel, contact_sheet

    panels: list[Panel] = []
    rgb = thumbnail(frame.rgb(), PANEL_SIDE) if frame.has("rgb") else None
    if rgb is not None:
        panels.append(Panel("rgb", rgb))
    legend, more = [], 0
    mapping = frame.label_mapping
    if mapping is not None and {"ids", "color"} <= mapping.files.keys():
        ids, colours = frame.labels("ids"), frame.labels("color")
        classes = mapping_classes(mapping.name, mapping.sha256)
        legend, more = legend_entries(ids, colours, classes.name_of, leave_out=classes.unlabelled_id)
        ids, colours = thumbnail(ids, PANEL_SIDE), thumbnail(colours, PANEL_SIDE)
        labelled = ids != classes.unlabelled_id if classes.unlabelled_id is not None else np.ones(ids.shape, bool)
        shown = overlay(rgb, colours, labelled) if rgb is not None else colours
        panels.append(Panel(f"labels ({mapping.name})" + (" over rgb" if rgb is not None else ""), shown))
    if frame.has("depth") or frame.has("depth_kitti"):
        panels.append(Panel("depth", thumbnail(frame.depth(), PANEL_SIDE), depth=True))
    if frame.has("normals") or frame.has("normals_u16"):
        panels.append(Panel("normals (camera frame as RGB; black: none)",
                            normals_colour(thumbnail(frame.normals(), PANEL_SIDE))))
    instances = frame.instances()
    if instances is not None:
        panels.append(Panel(f"instances ({len(instances.table)})", id_colours(thumbnail(instances.ids, PANEL_SIDE))))
    if frame.has("drawids"):
        panels.append(Panel("draw ids", id_colours(thumbnail(frame.read("drawids"), PANEL_SIDE))))
    if not panels:
        raise DatasetFileError(frame.folder, "nothing to show: no rgb, labels, depth, normals or ids output")
    return contact_sheet(frame.frame_id, panels, legend, more)


def frame_facts(frame: Frame) -> list[tuple[str, str]]:
    """What the gallery lists under a sheet: size, profile, mapping, and the sidecar's scenario fields."""
    facts = []
    if "image" in frame.meta:
        height, width = frame.size
        facts.append(("size", f"{width}×{height}"))
    facts.append(("profile", str((frame.meta.get("profile") or {}).get("name", "?"))))
    if frame.label_mapping is not None:
        facts.append(("labels", frame.label_mapping.name))
    scenario = flat_scalars(frame.scenario or {})
    facts += [(key, shown_value(value)) for key, value in scenario.items()
              if key.split(".")[0] not in IDENTIFYING_FIELDS]
    return facts


def write_gallery(out: Path, dest: Path, count: int | None, card: Path | None = None,
                  on_frame: Callable[[str], None] | None = None) -> Gallery:
    """Draw the sheets of `count` frames spread over the dataset (all when None) into the gallery `dest`."""
    check_gallery_target(out, dest)
    dataset = Dataset(out)
    picked = [dataset[position] for position in spread(len(dataset), count)]
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=dest.parent))
    except OSError as exc:
        raise WriteFailed(dest, exc) from exc
    try:
        shown = []
        with reading_lock(out):
            for frame in picked:
                shown.append(_draw(frame, stage))
                if on_frame is not None:
                    on_frame(frame.frame_id)
        card_link = None if card is None else Path(os.path.relpath(card, dest)).as_posix()
        write_text(stage / "index.html", gallery_html(out.resolve().name, shown, len(dataset), card_link))
        _publish(stage, dest)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return Gallery(dest, shown, len(dataset))


def _draw(frame: Frame, stage: Path) -> Shown:
    try:
        facts = frame_facts(frame)
        sheet = f"{FRAMES_DIR}/{frame.frame_id}.png"
        write_png(stage / sheet, frame_sheet(frame))
    except DatasetFileError as exc:
        return Shown(frame.frame_id, None, [], str(exc))
    return Shown(frame.frame_id, sheet, facts)


def _publish(stage: Path, dest: Path) -> None:
    """Rename the staging folder to `dest`; an earlier gallery there is renamed away first, then deleted."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(stage, 0o777 & ~umask)   # mkdtemp makes 0700; a gallery is an ordinary folder
    old = None
    try:
        if dest.exists():
            if any(dest.iterdir()) and not _is_gallery(dest):   # filled by another program meanwhile
                raise PreviewError(dest, "was filled while drawing the gallery; nothing replaced")
            old = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}old-", dir=dest.parent))
            os.replace(dest, old / "gallery")
        os.replace(stage, dest)
    except OSError as exc:
        raise WriteFailed(dest, exc) from exc
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def gallery_html(name: str, shown: list[Shown], total: int, card: str | None) -> str:
    """index.html: one section per frame (its sheet, full size on click, and its facts); no script."""
    title = html.escape(f"{name}: preview")
    card_line = f' The dataset card: <a href="{html.escape(quote(card))}">README.md</a>.' if card else ""
    parts = [
        GALLERY_MARK, "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>{title}</title>",
        "<style>body{font-family:sans-serif;margin:1.5em;max-width:1400px}img{width:100%;height:auto;"
        "border:1px solid #ccc}section{margin-bottom:2.5em}dl{display:flex;flex-wrap:wrap;gap:.2em 1.2em;"
        "margin:.4em 0}dt{font-weight:bold}dd{margin:0}.error{color:#b00020}</style>",
        "</head>", "<body>", f"<h1>{title}</h1>",
        f"<p>{len(shown)} of {total} frames, spread evenly over the frame ids (<code>rdc-extract preview --all"
        f"</code> shows every frame).{card_line}</p>",
    ]
    if shown:
        parts.append("<p>" + " · ".join(f'<a href="#{html.escape(quote(entry.frame_id))}">'
                                        f"{html.escape(entry.frame_id)}</a>" for entry in shown) + "</p>")
    for entry in shown:
        anchor = html.escape(quote(entry.frame_id))
        parts.append(f'<section id="{anchor}"><h2>{html.escape(entry.frame_id)}</h2>')
        if entry.error is not None:
            parts.append(f'<p class="error">not shown: {html.escape(entry.error)}</p>')
        else:
            href = html.escape(quote(entry.sheet))
            parts.append(f'<a href="{href}"><img src="{href}" alt="{html.escape(entry.frame_id)}" '
                         'loading="lazy"></a>')
            parts.append("<dl>" + "".join(f"<div><dt>{html.escape(key)}</dt><dd>{html.escape(value)}</dd></div>"
                                          for key, value in entry.facts) + "</dl>")
        parts.append("</section>")
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)
