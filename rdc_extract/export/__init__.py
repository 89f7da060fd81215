"""`rdc-extract export OUT DEST --format F`: an extracted dataset in the layout another tool reads (docs/export.md).

One module per format (`coco.py`, …), each an `Exporter` (base.py) listed in
registry.py; what formats share — the frames to read (frames.py), DEST
written whole (destination.py), the summary (report.py) — is here once, and
run.py drives it.
"""
