"""`rdc-extract split`: train/val/test splits that never share a run, a seeded world or a scenario.

`assign` and `groups` are pure (plain data in, plain data out); `run` reads
and writes the dataset's index.csv and splits.json.
"""
