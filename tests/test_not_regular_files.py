"""Inputs that are not regular files (FIFOs, devices, sockets, directories) fail at once, never hang.

Opening a FIFO for reading waits for a writer forever. In-process tests make
their FIFOs with the `fifo` fixture, whose watchdog opens them for writing if
the code under test is still blocked after a while: a regression then fails
(it reads an empty file) instead of hanging the suite. Commands run in
subprocesses with a timeout.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from rdc_extract.capture.sidecar import read_sidecar
from rdc_extract.errors import CaptureError, ClassMapError, NotACapture, NotARegularFile, ProfileError, SidecarError
from rdc_extract.extract.replay import sidecar_of
from rdc_extract.labels.classmap import load_class_map
from rdc_extract.profiles.schema import load_profile
from rdc_extract.rd.session import check_capture_file
from rdc_extract.regular_files import open_regular_file

WATCHDOG_S = 20.0
COMMAND_TIMEOUT_S = 180.0


@pytest.fixture()
def fifo(tmp_path) -> Iterator[Callable[[str], Path]]:
    """`fifo(name)` makes tmp_path/name a FIFO; blocked readers are released after WATCHDOG_S."""
    made: list[Path] = []
    done = threading.Event()

    def release_blocked_readers() -> None:
        if done.wait(WATCHDOG_S):
            return
        while not done.wait(0.1):
            for path in made:
                try:
                    os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))  # succeeds only while a reader waits
                except OSError:
                    pass

    def make(name: str) -> Path:
        path = tmp_path / name
        os.mkfifo(path)
        made.append(path)
        return path

    watchdog = threading.Thread(target=release_blocked_readers, daemon=True)
    watchdog.start()
    yield make
    done.set()
    watchdog.join()


def test_open_regular_file_refuses_fifos_devices_sockets_and_directories(fifo, tmp_path):
    listening = socket.socket(socket.AF_UNIX)
    listening.bind(str(tmp_path / "socket"))
    (tmp_path / "link_to_fifo").symlink_to(fifo("pipe"))
    (tmp_path / "regular").write_bytes(b"data")
    try:
        kinds = {}
        for path in (tmp_path / "pipe", tmp_path / "link_to_fifo", Path("/dev/null"), tmp_path / "socket", tmp_path):
            with pytest.raises(NotARegularFile) as caught:
                open_regular_file(path)
            kinds[path.name] = caught.value.kind
            assert str(caught.value) == f"{path}: not a regular file: {caught.value.kind}"
    finally:
        listening.close()
    assert kinds == {"pipe": "a FIFO", "link_to_fifo": "a FIFO", "null": "a character device",
                     "socket": "a socket", tmp_path.name: "a directory"}
    with open_regular_file(tmp_path / "regular") as handle:
        assert handle.read() == b"data"
    with pytest.raises(FileNotFoundError):
        open_regular_file(tmp_path / "missing")


def test_profile_class_map_sidecar_and_capture_readers_refuse_a_fifo(fifo, tmp_path):
    cases = [
        (load_profile, fifo("profile.toml"), ProfileError, "is a FIFO, expected a profile .toml file"),
        (load_class_map, fifo("classes.toml"), ClassMapError, "is a FIFO, expected a class-mapping .toml file"),
        (read_sidecar, fifo("cap.json"), SidecarError, "invalid sidecar: is a FIFO, not a regular file"),
        (check_capture_file, fifo("pipe.rdc"), NotACapture, "not a RenderDoc capture: is a FIFO"),
    ]
    for read, path, error, message in cases:
        with pytest.raises(error) as caught:
            read(path)
        assert str(caught.value) == f"{path}: {message}"


def test_a_capture_whose_sidecar_is_a_fifo_is_an_error_not_a_capture_without_sidecar(fifo, tmp_path, gl_capture):
    capture = tmp_path / "cap.rdc"
    shutil.copyfile(gl_capture, capture)
    fifo("cap.json")
    with pytest.raises(SidecarError, match="is a FIFO"):
        sidecar_of(capture)


def test_commands_given_a_fifo_fail_at_once_with_one_line(tmp_path, gl_capture):
    pipe_toml, pipe_rdc = tmp_path / "pipe.toml", tmp_path / "pipe.rdc"
    os.mkfifo(pipe_toml)
    os.mkfifo(pipe_rdc)
    captures = tmp_path / "captures"
    captures.mkdir()
    shutil.copyfile(gl_capture, captures / "a.rdc")
    commands = {
        "classes": ["classes", str(pipe_toml)],
        "relabel --classes": ["relabel", str(tmp_path / "out_relabel"), "--classes", str(pipe_toml)],
        "batch --profile": ["batch", str(captures), str(tmp_path / "out_batch"), "--profile", str(pipe_toml)],
        "extract --profile": ["extract", str(captures / "a.rdc"), str(tmp_path / "out_p"), "--profile", str(pipe_toml)],
        "inspect": ["inspect", str(pipe_rdc)],
        "extract": ["extract", str(pipe_rdc), str(tmp_path / "out_extract")],
    }
    running = {name: subprocess.Popen([sys.executable, "-m", "rdc_extract", *args], stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True, start_new_session=True)
               for name, args in commands.items()}
    try:
        for name, process in running.items():
            try:
                stdout, stderr = process.communicate(timeout=COMMAND_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                pytest.fail(f"`rdc-extract {name}` given a FIFO still runs after {COMMAND_TIMEOUT_S:g} s")
            assert process.returncode == 1, (name, stdout, stderr)
            assert stderr.startswith("error: ") and len(stderr.strip().splitlines()) == 1, (name, stderr)
            assert "is a FIFO" in stderr, (name, stderr)
    finally:
        for process in running.values():
            if process.poll() is None:
                os.killpg(process.pid, 9)
                process.wait()


@pytest.mark.parametrize("out", ["file", "file/below"])
def test_an_output_folder_that_is_a_file_is_one_line_naming_it(tmp_path, gl_capture, out):
    (tmp_path / "file").write_text("not a folder")
    captures = tmp_path / "captures"
    captures.mkdir()
    shutil.copyfile(gl_capture, captures / "a.rdc")
    for command in (["batch", str(captures)], ["extract", str(captures / "a.rdc")]):
        done = subprocess.run([sys.executable, "-m", "rdc_extract", *command, str(tmp_path / out)],
                              capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S)
        assert done.returncode == 1, done.stderr
        assert done.stderr == f"error: {tmp_path / out}: cannot be the output folder: it, or a folder above it, " \
                              "is a file\n"
    assert (tmp_path / "file").read_text() == "not a folder"


def test_a_capture_path_that_loops_is_a_capture_error_naming_it(tmp_path):
    (tmp_path / "a.rdc").symlink_to(tmp_path / "b.rdc")
    (tmp_path / "b.rdc").symlink_to(tmp_path / "a.rdc")
    with pytest.raises(CaptureError) as raised:
        check_capture_file(tmp_path / "a.rdc")
    assert str(raised.value) == f"{tmp_path / 'a.rdc'}: capture error: cannot be read: Too many levels of symbolic links"
