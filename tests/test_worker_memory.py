"""A batch worker gives back the memory an outsized capture freed before it takes the next one (child.keep_memory_bounded)."""

from __future__ import annotations

import subprocess
import sys
from collections import deque

_PROBE = """
import numpy as np
from rdc_extract.batch.child import release_freed_memory

def resident_mb():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * 4096 / 2**20

blocks = [np.ones(1000, dtype=np.uint8) for _ in range(200_000)]  # heap allocations, as decoding leaves behind
kept = blocks[::100]  # a few survivors scattered through the heap keep glibc from trimming it by itself
del blocks
before = resident_mb()
release_freed_memory()
print(before - resident_mb())
"""


def test_freed_heap_goes_back_to_the_system():
    released_mb = float(subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                                       check=True).stdout)
    assert released_mb > 50


def test_the_heap_is_trimmed_only_after_a_capture_that_left_more_than_captures_usually_leave(monkeypatch):
    from rdc_extract.batch import child

    residents = iter([300.0, 310.0, 305.0, 305.0 + child.TRIM_SLACK_MB + 5, 300.0, 160.0, 300.0])
    trims = []
    monkeypatch.setattr(child, "resident_mb", lambda: next(residents))
    monkeypatch.setattr(child, "release_freed_memory", lambda: trims.append(len(left_behind)))
    left_behind: deque[float] = deque(maxlen=child.USUAL_OVER)
    for _ in range(7):
        child.keep_memory_bounded(left_behind)
    # only the outsized fourth capture trims; a small (failed) capture does not make ordinary ones trim
    assert trims == [4]
    assert len(left_behind) == 7
