"""The command line as a user starts it: what it imports, and how a replaying command leaves.

`rdc-extract extract` pays for every module the CLI imports and for the
interpreter's exit (docs/performance.md), so the CLI imports each command's
needs only when that command runs, and a command that replayed ends with
`os._exit` after shutting replay down. These tests pin the behaviour; the
time it saves is measured by bench/bench_extract.py, not here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.broken_captures import truncated

REPO = Path(__file__).resolve().parents[1]
SAMPLE = sorted((REPO / "samples" / "captures").glob("*.rdc"))[0]
NOT_FOR_EXTRACT = ("joblib", "dask", "PIL", "rich.progress", "pydantic", "rdc_extract.batch.runner",
                   "rdc_extract.batch.workers", "rdc_extract.labels.relabel",
                   # each cost extract's start-up ~5-15 ms for nothing it does (docs/performance.md)
                   "numpy.ma", "rich._emoji_codes", "rdc_extract.doctor", "rdc_extract.inspect", "socket",
                   "matplotlib", "rdc_extract.preview")


def _imported(importtime_stderr: str) -> set[str]:
    """Module names from `python -X importtime` output ("import time: self | cumulative | name")."""
    return {line.rsplit("|", 1)[1].strip() for line in importtime_stderr.splitlines()
            if line.startswith("import time:") and line.count("|") == 2}


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == name or m.startswith(name + ".") for name in NOT_FOR_EXTRACT))


def test_importing_the_cli_leaves_out_batch_dask_and_pillow():
    probe = "import json, sys; import rdc_extract.cli; print(json.dumps(sorted(sys.modules)))"
    modules = set(json.loads(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                                            check=True, cwd=REPO).stdout))
    assert "rdc_extract.cli" in modules
    assert _heavy(modules) == []


def test_extract_imports_no_batch_machinery_and_exits_with_its_output_flushed(tmp_path):
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "rdc_extract", "extract", str(SAMPLE),
                           str(tmp_path)], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "rdc_extract.extract.pipeline" in _imported(done.stderr)
    assert _heavy(_imported(done.stderr)) == []
    assert "replay" in done.stdout and done.stdout.rstrip().endswith("┘"), "the summary table is printed whole"
    assert (tmp_path / "frames" / SAMPLE.stem / "meta.json").is_file()


def test_extract_of_a_corrupt_capture_exits_1_with_its_one_error_line(tmp_path):
    broken = truncated(SAMPLE, tmp_path / "broken.rdc")
    done = subprocess.run([sys.executable, "-m", "rdc_extract", "extract", str(broken), str(tmp_path / "out")],
                          capture_output=True, text=True, cwd=REPO, timeout=300)
    assert done.returncode == 1
    assert done.stderr.startswith(f"error: {broken}: ") and done.stderr.count("\n") == 1


def test_inspect_json_is_complete_when_piped():
    done = subprocess.run([sys.executable, "-m", "rdc_extract", "inspect", str(SAMPLE), "--json"],
                          capture_output=True, text=True, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["capture"] == str(SAMPLE)


def test_a_clean_extract_leaves_no_renderdoc_log_behind(tmp_path):
    log = tmp_path / "renderdoc.log"
    done = subprocess.run([sys.executable, "-m", "rdc_extract", "extract", str(SAMPLE), str(tmp_path / "out")],
                          capture_output=True, text=True, env={**os.environ, "RENDERDOC_DEBUG_LOG_FILE": str(log)})
    assert done.returncode == 0, done.stderr
    assert not log.exists(), "the fast exit skipped RenderDoc's own removal of its log"


def test_the_command_line_is_built_with_only_the_command_it_names():
    from rdc_extract.cli import _invoked_only, app

    every = app.registered_commands
    assert [command.callback.__name__ for command in _invoked_only(["relabel", "OUT", "--force"])] == ["relabel"]
    for args in ([], ["--help"], ["--version"], ["nope"]):   # group help, options and typos see every command
        assert _invoked_only(args) == every


def test_a_command_and_the_group_help_still_work_from_the_console_script():
    relabel = subprocess.run([sys.executable, "-m", "rdc_extract", "relabel", "--help"], capture_output=True,
                             text=True, cwd=REPO, timeout=60)
    assert relabel.returncode == 0 and "--classes" in relabel.stdout
    group = subprocess.run([sys.executable, "-m", "rdc_extract", "--help"], capture_output=True, text=True,
                           cwd=REPO, timeout=60)
    assert group.returncode == 0 and all(name in group.stdout for name in ("batch", "extract", "relabel", "inspect"))
    typo = subprocess.run([sys.executable, "-m", "rdc_extract", "relabl"], capture_output=True, text=True,
                          cwd=REPO, timeout=60)
    assert typo.returncode == 2 and "No such command" in typo.stderr


def test_every_command_runs_numpy_s_blas_on_one_thread_unless_the_user_says_otherwise():
    """OpenBLAS's threads spin ~0.13 s of CPU after numpy's import for matrix products of 3x3 (rdc_extract/blas.py)."""
    probe = ("import json, os, sys; import rdc_extract.rd.session as session; "
             "session.exit_after_replay = lambda code: print(json.dumps([os.environ.get(name) for name in "
             "('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS')])); "
             "sys.argv = ['rdc-extract', '--help']; from rdc_extract.cli import main; main()")
    plain = {name: value for name, value in os.environ.items() if not name.endswith("_NUM_THREADS")}
    for extra, expected in (({}, ["1", "1", "1"]), ({"OPENBLAS_NUM_THREADS": "3"}, ["3", "1", "1"])):
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO,
                              env={**plain, **extra}, timeout=60)
        assert json.loads(done.stdout.splitlines()[-1]) == expected, done.stderr[-2000:]
