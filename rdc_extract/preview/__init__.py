"""`rdc-extract preview` and `card`: a gallery of contact sheets and the dataset card (docs/preview.md).

Drawing needs matplotlib (the `preview` extra), imported only when a figure is drawn.
"""
