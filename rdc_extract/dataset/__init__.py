"""Writing the dataset: atomic file primitives, the table of per-output writers, and publishing staged frames whole."""
