"""`rdc-extract extract` replays in a process forked before the command line is imported (extract/head_start.py).

The arguments are read twice: plainly by `request_in` before the fork, properly by the command line after it;
the replay process is used only when both agree. Real replays, real processes: the console entry is run as a
user runs it.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from rdc_extract.errors import CaptureCorrupt, IdentificationFailed, ProfileError, RdcExtractError
from rdc_extract.extract.head_start import SWITCH_ENV, Request, request_in

REPO = Path(__file__).resolve().parents[1]
SAMPLE = sorted((REPO / "samples" / "captures").glob("*.rdc"))[0]


@pytest.mark.parametrize(("argv", "request_"), [
    (["extract", "a.rdc", "out"], Request("a.rdc", None, None)),
    (["extract", "a.rdc", "out", "--profile", "city_game", "--outputs", "rgb,depth"],
     Request("a.rdc", "city_game", "rgb,depth")),
    (["extract", "-p", "g.toml", "a.rdc", "--outputs=rgb", "out"], Request("a.rdc", "g.toml", "rgb")),
    (["extract", "a.rdc", "out", "--profile", "a", "--profile", "b"], Request("a.rdc", "b", None)),  # the last wins
])
def test_plain_extract_arguments_name_the_replay(argv, request_):
    assert request_in(argv) == request_


@pytest.mark.parametrize("argv", [
    [], ["inspect", "a.rdc"], ["batch", "in", "out"],
    ["extract", "a.rdc"], ["extract", "a.rdc", "out", "more"],        # the command line will refuse these
    ["extract", "a.rdc", "out", "--remote", "host"],                   # replayed elsewhere
    ["extract", "a.rdc", "out", "--help"], ["extract", "a.rdc", "out", "--profil", "x"],
    ["extract", "a.rdc", "out", "-p=x"], ["extract", "a.rdc", "out", "--outputs"],
])
def test_anything_else_starts_no_replay(argv):
    assert request_in(argv) is None


@pytest.mark.parametrize("error", [
    CaptureCorrupt(Path("a.rdc"), "truncated"),
    ProfileError(Path("p.toml"), "no [gbuffer]"),
    IdentificationFailed(Path("a.rdc"), "no G-buffer pass", candidates=["pass 1"]),
    RdcExtractError("plain"),
])
def test_errors_cross_processes_whole(error):
    if hasattr(error, "add_hint"):
        error.add_hint("see inspect")
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error) and str(again) == str(error) and vars(again) == vars(error)


def _extract(out: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rdc_extract", "extract", str(SAMPLE), str(out), *args],
                          capture_output=True, text=True, cwd=REPO, timeout=300, env={**os.environ, **(env or {})})


def _frame(out: Path) -> Path:
    return out / "frames" / SAMPLE.stem


def test_a_frame_replayed_ahead_is_the_frame_replayed_in_process(tmp_path):
    ahead, here = _extract(tmp_path / "ahead"), _extract(tmp_path / "here", env={SWITCH_ENV: "0"})
    assert ahead.returncode == 0 and here.returncode == 0, ahead.stderr + here.stderr
    assert "handover" in json.loads((_frame(tmp_path / "ahead") / "meta.json").read_text())["timing_s"]
    assert "handover" not in json.loads((_frame(tmp_path / "here") / "meta.json").read_text())["timing_s"]
    files = sorted(p.name for p in _frame(tmp_path / "here").iterdir() if p.name != "meta.json")
    assert files == sorted(p.name for p in _frame(tmp_path / "ahead").iterdir() if p.name != "meta.json")
    for name in files:
        assert (_frame(tmp_path / "ahead") / name).read_bytes() == (_frame(tmp_path / "here") / name).read_bytes(), name


def test_a_crash_in_the_replay_process_is_one_line_naming_the_capture(tmp_path):
    done = _extract(tmp_path / "out", env={"RDC_EXTRACT_TEST_FAULT": f"crash:{SAMPLE.stem}", "TMPDIR": str(tmp_path)})
    assert done.returncode == 1
    assert done.stderr.startswith(f"error: {SAMPLE}: replay failed: crashed (SIGSEGV); RenderDoc's log: ")
    assert done.stderr.count("\n") == 1
    assert not _frame(tmp_path / "out").exists()


def test_a_command_line_that_fails_stops_the_replay_and_leaves_no_log(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "RENDERDOC_DEBUG_LOG_FILE"}
    done = subprocess.run([sys.executable, "-m", "rdc_extract", "extract", str(SAMPLE), str(tmp_path / "out"),
                           "--outputs", "nope"], capture_output=True, text=True, cwd=REPO, timeout=300,
                          env={**env, "TMPDIR": str(tmp_path)})
    assert done.returncode == 1 and "unknown output 'nope'" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [], "the stopped replay's RenderDoc log was left"


def test_a_replay_of_something_else_is_stopped_and_the_command_replays_itself(tmp_path):
    probe = textwrap.dedent(f"""
        import os
        from pathlib import Path
        from rdc_extract.extract import head_start
        head_start.start(["extract", {str(SAMPLE)!r}, "out"])
        pid = head_start._replaying.pid
        print(head_start.take(Path({str(SAMPLE)!r}), "city_game", None))
        try:
            os.kill(pid, 0)
            print("still running")
        except ProcessLookupError:
            print("stopped")
    """)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, timeout=300,
                          env={**os.environ, "TMPDIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["None", "stopped"]
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_during_replay_leaves_no_process_and_no_log(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "RENDERDOC_DEBUG_LOG_FILE"}
    running = subprocess.Popen([sys.executable, "-m", "rdc_extract", "extract", str(SAMPLE), str(tmp_path / "out")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO, start_new_session=True,
                               env={**env, "TMPDIR": str(tmp_path)})
    deadline = time.monotonic() + 60
    wchan = Path(f"/proc/{running.pid}/wchan")
    seen: set[str] = set()   # where the command was found waiting
    # the replay has started (RenderDoc opened its log) and the command waits for it (reads the pipe)
    while not (list(tmp_path.glob("rdc-extract-replay-*.log")) and any("pipe" in place for place in seen)):
        if running.poll() is not None or time.monotonic() > deadline:
            running.kill()
            if seen <= {"0"}:
                pytest.skip("this kernel does not say where a process waits (/proc/PID/wchan)")
            pytest.fail("the replay ended before the command waited for it")
        with contextlib.suppress(OSError):
            seen.add(wchan.read_text())
        time.sleep(0.005)
    os.killpg(running.pid, signal.SIGINT)   # what Ctrl-C in a terminal does: the whole process group
    assert running.wait(timeout=60) == 130
    with pytest.raises(ProcessLookupError):
        os.killpg(running.pid, 0)
    assert list(tmp_path.glob("rdc-extract-replay-*")) == [], "the interrupted replay's log was left"


@pytest.mark.parametrize("case", ["bad sidecar", "unknown profile"])
def test_errors_read_the_same_whichever_process_replayed(tmp_path, case):
    capture = tmp_path / "cap.rdc"
    capture.symlink_to(SAMPLE)
    args = []
    if case == "bad sidecar":
        capture.with_suffix(".json").write_text("{nope")   # the replay process reads it and fails first
    else:
        args = ["--profile", "no_such_game"]                 # the command line fails first and stops the replay
    outcomes = [subprocess.run([sys.executable, "-m", "rdc_extract", "extract", str(capture), str(tmp_path / "out"),
                                *args], capture_output=True, text=True, cwd=REPO, timeout=300,
                               env={**os.environ, SWITCH_ENV: switch}) for switch in ("1", "0")]
    assert [done.returncode for done in outcomes] == [1, 1]
    assert outcomes[0].stderr == outcomes[1].stderr and outcomes[0].stderr.count("\n") == 1, outcomes[0].stderr
