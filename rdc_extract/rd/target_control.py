"""RenderDoc's target-control connection to a launched game, turned into plain events.

Every process RenderDoc hooks runs a small target-control server (TCP, local
ports from 38920). `TargetControlWatcher` finds the one that belongs to a launch
(`EnumerateRemoteTargets`, then `CreateTargetControl` and `GetPID()` matched
by the caller's `belongs(pid)`), stays connected, and forwards what it receives
as the dataclasses below. Replay is never initialised: target control works
without `InitialiseReplay` (checked with RenderDoc 1.24).

RenderDoc objects are used only on the watcher's own thread, which creates and
shuts down every connection. The module itself is loaded by `start()`, on the
caller's thread: two threads importing renderdoc.so at once crashed the
process (segmentation fault, seen here). The launcher reads events with
`drain()`; nothing here decides what they mean
(rdc_extract/capture/target_tracker.py does). Capture requests
(`queue_capture`, `trigger_capture`) are queued the same way and sent on the
watcher's thread once it is connected, so one made before the connection waits
for it.

Seen with RenderDoc 1.24 on Linux (headless EGL game under `renderdoccmd capture`):
enumerating the local targets takes ~1 ms, connecting ~5 ms; the target is
listed within ~50 ms of the launch (librenderdoc is preloaded); `GetAPI()`
stays empty, the API comes in a `RegisterAPI` message; `ReceiveMessage`
returns a `Noop` after ~2 ms when nothing is waiting; a capture made with the
in-app API arrives as `NewCapture` with the path RenderDoc wrote and frame
number 0xFFFFFFFF; a killed game gives `Disconnected` within ~5 ms. A second
client connecting without force gets `GetPID() == 0` and the first client's
name from `GetBusyClient()`. `QueueCapture(frame, 1)` (frames counted from the
process start) and `TriggerCapture(1)` (the next frame) need a program that
presents frames to a window: a headless EGL program (surfaceless or pbuffer)
has no frame boundary RenderDoc can use ("Invalid FrameCapturer" in its log)
and never captures. NewCapture arrives once the file is written, with the
frame number it was taken at.
"""

from __future__ import annotations

import queue
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from rdc_extract.errors import RdcExtractError
from rdc_extract.rd.loader import load_renderdoc

LOCAL_HOST = ""  # RenderDoc's "this machine"
CLIENT_NAME = "rdc-extract"
NO_FRAME_NUMBER = 0xFFFFFFFF  # NewCapture's frame number for captures made with the in-app API
_MAX_MESSAGES_PER_ROUND = 64


@dataclass(frozen=True)
class TargetConnected:
    """Connected to the launch's target: RenderDoc's `ident` (its port), the target's pid and process name."""

    ident: int
    pid: int
    name: str
    api: str  # "" until the game registers a graphics API


@dataclass(frozen=True)
class TargetApi:
    """The target started using a graphics API (`RegisterAPI`)."""

    api: str


@dataclass(frozen=True)
class TargetWindows:
    """How many windows the target presents frames to (`CapturableWindowCount`; sent on its first present)."""

    count: int


@dataclass(frozen=True)
class TargetCapture:
    """RenderDoc announced a capture it wrote (`NewCapture`); `path` is as the target wrote it."""

    path: str
    frame_number: int | None  # None for in-app captures, which have no frame number
    api: str
    capture_id: int

    @property
    def file_name(self) -> str:
        return re.split(r"[\\/]", self.path)[-1]


@dataclass(frozen=True)
class TargetBusy:
    """A target that serves another client (e.g. RenderDoc's UI): its pid is hidden, it may be ours."""

    ident: int
    client: str


@dataclass(frozen=True)
class TargetDisconnected:
    """The connection to the launch's target closed: the game quit, died, or another client took over."""

    ident: int


@dataclass(frozen=True)
class TargetControlUnavailable:
    """Target control cannot be used at all in this process (e.g. RenderDoc's Python module is missing)."""

    reason: str


TargetEvent = (TargetConnected | TargetApi | TargetWindows | TargetCapture | TargetBusy | TargetDisconnected
               | TargetControlUnavailable)


_FINAL_READ_S = 2.0  # after stop(): how long to wait for the Disconnected message


class TargetControlWatcher:
    """A background thread that finds the launch's RenderDoc target, stays connected and queues events.

    `belongs(pid)` says whether a target's process is part of the launch (the
    launcher checks the process group). Targets that are not are remembered and
    not contacted again while they stay listed. Connections are never forced:
    a target busy with another client is reported (`TargetBusy`), not taken over.
    """

    def __init__(self, belongs: Callable[[int], bool], *, host: str = LOCAL_HOST, client_name: str = CLIENT_NAME,
                 search_interval_s: float = 0.5, idle_poll_s: float = 0.02) -> None:
        self._belongs = belongs
        self._host = host
        self._client_name = client_name
        self._search_interval_s = search_interval_s
        self._idle_poll_s = idle_poll_s
        self._events: queue.SimpleQueue[TargetEvent] = queue.SimpleQueue()
        self._requests: queue.SimpleQueue[int | None] = queue.SimpleQueue()  # frame to queue; None = trigger now
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> TargetControlWatcher:
        """Load RenderDoc's module here (a missing one becomes a TargetControlUnavailable event), then watch."""
        try:
            rd = load_renderdoc()
        except RdcExtractError as exc:
            self._events.put(TargetControlUnavailable(str(exc)))
            return self
        self._thread = threading.Thread(target=self._run, args=(rd,), name="renderdoc-target-control", daemon=True)
        self._thread.start()
        return self

    def drain(self) -> list[TargetEvent]:
        """Every event queued since the last call, oldest first."""
        events = []
        while True:
            try:
                events.append(self._events.get_nowait())
            except queue.Empty:
                return events

    def queue_capture(self, frame_number: int) -> None:
        """Ask RenderDoc to capture frame `frame_number` (counted from the process start) of the target."""
        self._requests.put(frame_number)

    def trigger_capture(self) -> None:
        """Ask RenderDoc to capture the target's next frame."""
        self._requests.put(None)

    def stop(self, timeout_s: float = 5.0) -> list[TargetEvent]:
        """End the thread (after a last read of the connection) and return the events not drained yet."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        return self.drain()

    # --- the watcher's thread: the only place RenderDoc objects live ----------------------------------------

    def _run(self, rd) -> None:
        connection = None
        not_ours: dict[int, int] = {}  # ident -> pid of targets that belong to someone else
        busy_reported: set[int] = set()
        try:
            while not self._stop.is_set():
                if connection is None:
                    connection = self._find(rd, not_ours, busy_reported)
                    if connection is None:
                        self._stop.wait(self._search_interval_s)
                    continue
                ident, handle = connection
                if not self._pump(rd, ident, handle):
                    handle.Shutdown()
                    connection = None
                    busy_reported.clear()
            # The launcher stops the watcher after killing the game: read what it sent last,
            # until RenderDoc notices the closed connection (a loaded machine takes a moment).
            deadline = time.monotonic() + _FINAL_READ_S
            while connection is not None and time.monotonic() < deadline:
                if not self._pump(rd, *connection):
                    connection[1].Shutdown()
                    connection = None
                else:
                    time.sleep(self._idle_poll_s)
        except Exception as exc:  # a native-binding surprise must not take the launcher down
            self._events.put(TargetControlUnavailable(f"target control failed: {type(exc).__name__}: {exc}"))
        finally:
            if connection is not None:
                connection[1].Shutdown()

    def _find(self, rd, not_ours: dict[int, int], busy_reported: set[int]):
        listed = []
        ident = rd.EnumerateRemoteTargets(self._host, 0)
        while ident:
            listed.append(ident)
            ident = rd.EnumerateRemoteTargets(self._host, ident)
        for gone in set(not_ours) - set(listed):
            del not_ours[gone]
        for ident in listed:
            if ident in not_ours:
                continue
            handle = rd.CreateTargetControl(self._host, ident, self._client_name, False)
            if handle is None:
                continue
            busy, pid = handle.GetBusyClient(), handle.GetPID()
            if busy or pid == 0:
                handle.Shutdown()
                if ident not in busy_reported:
                    busy_reported.add(ident)
                    self._events.put(TargetBusy(ident, busy))
                continue
            busy_reported.discard(ident)
            if not self._belongs(pid):
                not_ours[ident] = pid
                handle.Shutdown()
                continue
            self._events.put(TargetConnected(ident, pid, handle.GetTarget(), handle.GetAPI()))
            return ident, handle
        return None

    def _pump(self, rd, ident: int, handle) -> bool:
        """Send waiting capture requests, read waiting messages (up to a bound), then pause briefly;
        False once the connection is gone."""
        kinds = rd.TargetControlMessageType
        while not self._stop.is_set():
            try:
                frame = self._requests.get_nowait()
            except queue.Empty:
                break
            if frame is None:
                handle.TriggerCapture(1)
            else:
                handle.QueueCapture(frame, 1)
        for _ in range(_MAX_MESSAGES_PER_ROUND):
            message = handle.ReceiveMessage(None)
            kind = message.type
            if kind == kinds.Disconnected or not handle.Connected():
                self._events.put(TargetDisconnected(ident))
                return False
            if kind == kinds.Noop:
                break
            if kind == kinds.NewCapture:
                new = message.newCapture
                frame = None if new.frameNumber == NO_FRAME_NUMBER else int(new.frameNumber)
                self._events.put(TargetCapture(new.path, frame, new.api, int(new.captureId)))
            elif kind == kinds.RegisterAPI:
                self._events.put(TargetApi(message.apiUse.name))
            elif kind == kinds.CapturableWindowCount:
                self._events.put(TargetWindows(int(message.capturableWindowCount)))
        self._stop.wait(self._idle_poll_s)
        return True
