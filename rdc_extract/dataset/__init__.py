"""Writing the dataset: atomic file primitives and the table of per-output writers."""
