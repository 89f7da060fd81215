"""numpy's BLAS on one thread.

The package's matrix products are 3×3 and (N, 3)·(3, 3): OpenBLAS's threads
gain nothing on them and spin on the cores that replay, compression and the
other workers need. Measured with perf: ~0.13 s of CPU spinning after numpy's
import in every `extract`, and ~2 % of a `--jobs 1` batch's time when left in
its children.
"""

from __future__ import annotations

import os

ONE_BLAS_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def one_blas_thread_unless_set() -> None:
    """For this process and its children; call before numpy is imported. A setting of the user's own wins."""
    for name, value in ONE_BLAS_THREAD.items():
        os.environ.setdefault(name, value)
