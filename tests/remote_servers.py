"""Real `renderdoccmd remoteserver` processes on the loopback address, and a server that never answers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

RENDERDOCCMD = "renderdoccmd"
# Where a server keeps the captures clients send it (a fixed folder: RenderDoc ignores TMPDIR); a server killed
# with SIGKILL, as these tests do, never removes them.
REMOTE_COPIES = Path("/tmp/RenderDoc")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RemoteServer:
    """`renderdoccmd remoteserver` on 127.0.0.1:`port`, started and killed at will."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None
        self.log = Path(tempfile.gettempdir()) / f"rdc-extract-test-server-{self.port}.log"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> RemoteServer:
        self.process = subprocess.Popen(
            [RENDERDOCCMD, "remoteserver", "-h", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            env={**os.environ, "EGL_PLATFORM": "surfaceless", "RENDERDOC_DEBUG_LOG_FILE": str(self.log)})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                time.sleep(0.2)  # a probe connection keeps it busy for a moment
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"renderdoccmd remoteserver did not listen on {self.address}")

    def kill(self) -> None:
        """SIGKILL the server, and remove what it leaves behind: the captures sent to it and its log."""
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        for copy in REMOTE_COPIES.glob(f"renderdoccmd_*_remotecopy_{self.process.pid}_*.rdc"):
            copy.unlink(missing_ok=True)
        self.log.unlink(missing_ok=True)


@contextmanager
def remote_servers(count: int) -> Iterator[list[RemoteServer]]:
    servers = [RemoteServer().start() for _ in range(count)]
    try:
        yield servers
    finally:
        for server in servers:
            server.kill()


@contextmanager
def silent_server() -> Iterator[str]:
    """A TCP listener that accepts connections and never says a word: (its address)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()
        for connection in held:
            connection.close()
