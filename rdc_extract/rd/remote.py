"""Replay on RenderDoc remote servers (`renderdoccmd remoteserver`): D3D11 captures on a Linux farm.

RenderDoc replays a D3D11 capture only on Windows; its remote server replays
captures for a client elsewhere. A process that routes replay here copies the
capture to a server (`CopyCaptureToRemote`), opens it there (`OpenCapture`) and
uses the controller it gets back like a local one: the rest of extraction
does not know the difference.

A server serves one client at a time ("Remote side of network connection is
busy", also for a moment after a client left), so a process keeps its
connection across captures: it is its claim on the server. A process finding
every server busy waits for one to be free (a batch starts at most one worker
per server). A server that dies leaves the controller answering with empty
data, so every remote replay ends with a `Ping`: a lost connection fails the
replay (`RemoteReplayLost`) and the next replay tries the other servers first.

Which servers, and which captures go there, is this process's route: set by
`route_replay`, or read from the environment (`ROUTE_ENV`, `ONLY_ENV`), which
is how a batch hands it to its replay children.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from rdc_extract.errors import REMOTE_LOST, RdcExtractError, RemoteCaptureError, RemoteReplayLost, RemoteUnavailable
from rdc_extract.rd import compat

DEFAULT_PORT = 39920   # RenderDoc's remote server port
BUSY = "NetworkRemoteBusy"  # RenderDoc's result when a server serves another client
BUSY_WAIT_S = 600.0
PROXY = "Vulkan"         # how long a replay waits for a busy server (a batch's --timeout ends it sooner)
ROUTE_ENV = "RDC_EXTRACT_REMOTE"            # comma-separated host:port list
ONLY_ENV = "RDC_EXTRACT_REMOTE_ONLY"        # comma-separated API names; unset: every capture goes remote

T = TypeVar("T")


def server_address(text: str) -> str:
    """`host` or `host:port` → `host:port` (RenderDoc's default port when none is given)."""
    host, colon, port = text.strip().partition(":")
    if not host or any(c.isspace() or c in ",:/" for c in host) or ":" in port:
        raise RdcExtractError(f"remote server {text!r}: expected HOST or HOST:PORT (a host name or IPv4 address)")
    if colon and not (port.isdigit() and 0 < int(port) < 65536):
        raise RdcExtractError(f"remote server {text!r}: the port must be a number from 1 to 65535")
    return f"{host}:{int(port) if colon else DEFAULT_PORT}"


@dataclass(frozen=True)
class Route:
    """The remote servers of this process, and the APIs sent to them (None: every capture)."""

    servers: tuple[str, ...]
    only_apis: frozenset[str] | None = None

    def wants(self, api: str) -> bool:
        return bool(self.servers) and (self.only_apis is None or api in self.only_apis)

    def to_env(self) -> dict[str, str]:
        env = {ROUTE_ENV: ",".join(self.servers)}
        if self.only_apis is not None:
            env[ONLY_ENV] = ",".join(sorted(self.only_apis))
        return env


def route_env(route: Route | None) -> dict[str, str]:
    """The environment that gives a new process `route` (and no route when None, whatever the caller's is)."""
    return route.to_env() if route is not None else {ROUTE_ENV: ""}


def route_from_options(servers: Sequence[str], only_apis: Sequence[str] | None) -> Route | None:
    """The route `--remote` and `--remote-only` ask for (None without servers); bad addresses raise."""
    if not servers:
        if only_apis:
            raise RdcExtractError("--remote-only needs at least one --remote HOST")
        return None
    addresses = tuple(dict.fromkeys(server_address(s) for s in servers))
    return Route(addresses, frozenset(a.strip() for a in only_apis if a.strip()) if only_apis else None)


@dataclass
class _State:
    route: Route | None = None
    configured: bool = False
    server: Any = None                            # the connection this process holds, to `address`
    address: str = ""
    lost: set[str] = field(default_factory=set)   # servers whose connection broke: tried last


_state = _State()


def route_replay(route: Route | None) -> None:
    """Send this process's replays of the APIs `route` names to its servers (None: replay locally)."""
    _release()
    _state.route, _state.configured = route, True
    _state.lost.clear()


def current_route() -> Route | None:
    if not _state.configured:
        servers = [s for s in os.environ.get(ROUTE_ENV, "").split(",") if s.strip()]
        only = os.environ.get(ONLY_ENV)
        _state.route = route_from_options(servers, only.split(",") if only is not None else None)
        _state.configured = True
    return _state.route


def _order(servers: Sequence[str]) -> list[str]:
    """Servers to try: from one chosen by this process's id (spreading processes over servers), lost ones last."""
    start = os.getpid() % len(servers)
    rotated = list(servers[start:]) + list(servers[:start])
    return [s for s in rotated if s not in _state.lost] + [s for s in rotated if s in _state.lost]


def held_connection(rd: Any, route: Route) -> tuple[Any, str]:
    """The connection this process holds (checked with a `Ping`), or a new one: (server, address)."""
    if _state.server is not None:
        if compat.result_ok(_state.server.Ping()):
            return _state.server, _state.address
        _state.lost.add(_state.address)
        _release()
    _state.server, _state.address = connect(rd, route)
    return _state.server, _state.address


def _release() -> None:
    server, _state.server, _state.address = _state.server, None, ""
    if server is not None:
        _close(server)


def connect(rd: Any, route: Route, busy_wait_s: float = BUSY_WAIT_S) -> tuple[Any, str]:
    """A connection to the first free server of `route`: (server, address).

    Waits while every server that answers is busy with another client (up to
    `busy_wait_s`); raises RemoteUnavailable, naming each server and why, when
    none answers or the wait is over.
    """
    deadline = time.monotonic() + busy_wait_s
    pause = 0.1
    while True:
        refusals, busy = [], False
        for address in _order(route.servers):
            result, server = rd.CreateRemoteServerConnection(address)
            if compat.result_ok(result):
                _state.lost.discard(address)
                return server, address
            busy = busy or compat.result_code_name(result) == BUSY
            refusals.append(f"{address}: {compat.result_message(result)}")
        if not busy or time.monotonic() + pause > deadline:
            raise RemoteUnavailable("; ".join(refusals))
        time.sleep(pause)
        pause = min(pause * 2, 2.0)


def _close(server: Any) -> None:
    try:
        server.ShutdownConnection()
    except Exception:  # noqa: BLE001 - a broken connection may fail to close; it is gone either way
        pass


def supported_apis(rd: Any, address: str) -> list[str]:
    """The APIs the server at `address` replays (`doctor --remote`); RemoteUnavailable when it does not answer."""
    server, _ = connect(rd, Route((address,)), busy_wait_s=0.0)
    try:
        return list(server.RemoteSupportedReplays())
    finally:
        _close(server)


class OpenRefused(Exception):
    """The server could not open the capture: (address, RenderDoc's result code name, its message)."""

    def __init__(self, address: str, code: str, message: str) -> None:
        super().__init__(f"{address}: {message}")
        self.address, self.code, self.message = address, code, message


@contextmanager
def remote_controller(rd: Any, route: Route, path: Path, api: str) -> Iterator[tuple[Any, str]]:
    """(controller, server address) of `path` opened on a server of `route`; closed there afterwards.

    Raises RemoteUnavailable when no server takes the connection or it does not replay `api`, OpenRefused when
    the server cannot open the capture, and RemoteReplayLost when the connection broke before the replay was
    over (whatever the replay's own error was: its data cannot be trusted).
    """
    server, address = held_connection(rd, route)
    supported = list(server.RemoteSupportedReplays())
    if api not in supported:
        raise RemoteUnavailable(f"{address} does not replay {api} (it replays {', '.join(supported) or 'nothing'})")
    remote_path = server.CopyCaptureToRemote(str(path), None)
    if not remote_path:
        _check_alive(server, address, "while copying the capture")
        raise RemoteReplayLost(f"{address}: copying the capture to the server failed")
    result, controller = server.OpenCapture(_proxy(server), remote_path, rd.ReplayOptions(), None)
    if not compat.result_ok(result):
        _check_alive(server, address, "while opening the capture")
        raise OpenRefused(address, compat.result_code_name(result), compat.result_message(result))
    try:
        yield controller, address
    except BaseException:
        server.CloseCapture(controller)
        _check_alive(server, address, "during the replay")
        raise
    server.CloseCapture(controller)
    _check_alive(server, address, "during the replay")


def _proxy(server: Any) -> int:
    """The local proxy renderer a remote replay mirrors into: Vulkan when this machine has it (opening took
    0.65 s against 0.76 s with RenderDoc's own choice, GL/GLES, on a sample capture), else RenderDoc's choice."""
    proxies = list(server.LocalProxies())
    return proxies.index(PROXY) if PROXY in proxies else server.NoPreference


def _check_alive(server: Any, address: str, when: str) -> None:
    if not compat.result_ok(server.Ping()):
        _state.lost.add(address)
        _release()
        raise RemoteReplayLost(f"{address}: connection to the remote server lost {when}")


def retried_elsewhere(replay: Callable[[], T]) -> T:
    """`replay()`, run once more when its server was lost and another one may take it."""
    try:
        return replay()
    except RemoteCaptureError as exc:
        route = current_route()
        if exc.cause != REMOTE_LOST or route is None or len(route.servers) < 2:
            raise
        return replay()
