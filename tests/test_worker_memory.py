"""A batch worker gives back the memory a capture freed before it takes the next one (child.release_freed_memory)."""

from __future__ import annotations

import subprocess
import sys

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


def test_the_heap_is_trimmed_only_past_the_slack_above_the_last_trim():
    from rdc_extract.batch.child import TRIM_SLACK_MB, keep_memory_bounded, resident_mb

    first = keep_memory_bounded(None)
    assert first >= resident_mb() - 1 and first - resident_mb() <= TRIM_SLACK_MB + 1
    assert keep_memory_bounded(first + 1000) == first + 1000  # below the limit: left as it is
    assert keep_memory_bounded(0.0) <= resident_mb() + TRIM_SLACK_MB + 1  # past it: trimmed, a new limit
