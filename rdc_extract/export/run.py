"""Drive one export: check DEST, list the frames, skip those lacking what the format needs, convert the rest
into a staging folder, publish it as DEST when at least one frame was exported.

A frame that lacks a file (not extracted with that output) or carries labels
of another class mapping is skipped with its reason; a frame whose files
cannot be used fails with a one-line error naming the file; neither stops the
export. Writing DEST (disk full) does stop it, and nothing is published.
The dataset's reading lock keeps batch, relabel and extract out meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from rdc_extract.dataset.lock import reading_lock
from rdc_extract.errors import ClassMapError, ExportError, RdcExtractError, WriteFailed
from rdc_extract.export.base import ExportContext, ExportFrame, Exporter, ExportOptions
from rdc_extract.export.destination import StagedDestination, check_destination
from rdc_extract.export.frames import list_frames
from rdc_extract.export.registry import load_format
from rdc_extract.export.report import ExportReport
from rdc_extract.labels.classmap import ClassMap, resolve_class_map


def export_dataset(out: str | Path, dest: str | Path, format_name: str, options: ExportOptions = ExportOptions(),
                   on_frame: Callable[[str], None] | None = None,
                   on_start: Callable[[int], None] | None = None) -> ExportReport:
    """Export the dataset at `out` to `dest` as `format_name`; `on_start(frames)` once the frames to convert are
    known, `on_frame(frame_id)` after each frame (progress).

    Raises ExportError for a DEST it must not write, NotADataset for an `out` without frames/, BatchError while
    a writer holds `out`, MissingDependency without the format's packages; per-frame problems are in the report.
    """
    out, dest = Path(out), Path(dest)
    exporter_class = load_format(format_name)
    check_destination(out, dest, options.force)
    report = ExportReport(format_name, out, dest)
    with reading_lock(out):
        listing = list_frames(out, options.splits)
        report.skipped += listing.skipped
        report.failed += listing.failed
        frames = _with_needs(exporter_class, listing.frames, report)
        class_map = None
        if exporter_class.uses_labels() and frames:
            class_map = export_mapping(out, frames, options.classes)
            frames = _labelled_with(class_map, frames, report)
        if not frames:
            return report
        if on_start is not None:
            on_start(len(frames))
        with StagedDestination(dest, options.force) as staged:
            exporter = exporter_class(ExportContext(out, staged.path, options, class_map))
            for frame in frames:
                _export_frame(exporter, frame, report)
                if on_frame is not None:
                    on_frame(frame.frame_id)
            if report.exported:
                report.files = exporter.finish()
                staged.publish()
                report.published = True
            report.notes += exporter.notes  # after finish: it may add notes on the whole export
    return report


def _export_frame(exporter: Exporter, frame: ExportFrame, report: ExportReport) -> None:
    try:
        counts = exporter.add_frame(frame)
    except WriteFailed:
        raise  # DEST cannot be written (disk full): the export stops, nothing is published
    except RdcExtractError as exc:
        report.failed.append((frame.frame_id, str(exc)))
    except Exception as exc:  # noqa: BLE001 — one bad frame is a line in the summary, not the end of the export
        report.failed.append((frame.frame_id, f"{frame.path}: {type(exc).__name__}: {exc}"))
    else:
        report.add(frame.split, counts)


def _with_needs(exporter_class: type[Exporter], frames: Sequence[ExportFrame],
                report: ExportReport) -> list[ExportFrame]:
    kept = []
    for frame in frames:
        missing = [need for need in exporter_class.needs if not (frame.path / need.file).is_file()]
        if missing:
            files = ", ".join(need.file for need in missing)
            outputs = ",".join(dict.fromkeys(need.output for need in missing))
            how = f"extract with --outputs ...,{outputs}"
            if any(need.output == "labels" for need in missing):   # a profile without a class mapping writes none
                how += "; or label by draw call: --outputs ...,drawids, then relabel (docs/classes.md)"
            report.skipped.append((frame.frame_id, f"no {files} ({how})"))
        else:
            kept.append(frame)
    return kept


def _labels(frame: ExportFrame) -> dict:
    labels = frame.meta.get("labels")
    return labels if isinstance(labels, dict) else {}


def export_mapping(out: Path, frames: Sequence[ExportFrame], classes: str | None) -> ClassMap:
    """The class mapping the export names classes by: `classes` (name or path), else the one the frames'
    meta.json name, when they name one; a shipped mapping is found by name, any other needs `classes`."""
    if classes is not None:
        return resolve_class_map(classes)
    names = sorted({str(_labels(frame).get("mapping")) for frame in frames if _labels(frame).get("mapping")})
    if len(names) != 1:
        found = ", ".join(names) or "none"
        raise ExportError(out, f"cannot tell which class mapping names the classes (frames are labelled with: "
                               f"{found}); pass --classes MAP")
    try:
        return resolve_class_map(names[0])
    except ClassMapError as exc:
        exc.add_hint(f"the frames are labelled with mapping {names[0]!r}: pass --classes PATH of its file")
        raise


def _labelled_with(class_map: ClassMap, frames: Sequence[ExportFrame], report: ExportReport) -> list[ExportFrame]:
    """The frames whose labels this mapping made (its content's hash in their meta.json); others are skipped."""
    kept = []
    for frame in frames:
        labels = _labels(frame)
        if labels.get("mapping_sha256") == class_map.sha256:
            kept.append(frame)
            continue
        if not labels.get("mapping"):
            report.skipped.append((frame.frame_id, "meta.json names no class mapping for its labels"))
            continue
        made_by = f"mapping {labels['mapping']!r}" + (" of other content" if labels["mapping"] == class_map.name else "")
        report.skipped.append((frame.frame_id, f"labelled with {made_by}, not {class_map.name!r} "
                                               f"(relabel it, or pass that mapping's file with --classes)"))
    return kept
