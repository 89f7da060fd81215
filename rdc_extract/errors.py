"""One exception hierarchy for the whole tool; only the CLI turns it into exit codes."""

from __future__ import annotations

import errno
from pathlib import Path

from rdc_extract.dataset.names import shown

DISK_FULL = "disk full"
_DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)


def is_disk_full(exc: BaseException) -> bool:
    """No space left (or quota exceeded): a cause that freeing space cures, unlike a bad capture."""
    if isinstance(exc, OSError):
        return exc.errno in _DISK_FULL_ERRNOS
    return getattr(exc, "cause", None) == DISK_FULL


class RdcExtractError(Exception):
    """Base of every error the tool reports to a user."""

    def __reduce__(self) -> tuple:
        """Pickled as it is (message, path, cause, hint), whatever its constructor takes: errors cross
        processes (`extract`'s replay process, extract/head_start.py)."""
        return _restored, (type(self), self.args, self.__dict__)


def _restored(kind: type[RdcExtractError], args: tuple, state: dict) -> RdcExtractError:
    error = kind.__new__(kind)
    error.args = args
    error.__dict__.update(state)
    return error


class RenderDocNotFound(RdcExtractError):
    """The RenderDoc Python module could not be found or imported."""


class FileError(RdcExtractError):
    """A problem with one named file: the message is `<path>: [<cause>: ]<detail>[ (<hint>)]`, the path shown escaped."""

    cause = ""

    def __init__(self, path: str | Path, detail: str) -> None:
        self.path = Path(path)
        self.detail = detail
        self.hint = ""
        super().__init__(self._message())

    def _message(self) -> str:
        hint = f" ({self.hint})" if self.hint else ""
        return f"{shown(str(self.path))}: {self.cause + ': ' if self.cause else ''}{self.detail}{hint}"

    def add_hint(self, hint: str) -> None:
        """Where to look next, appended to the message in parentheses (it stays one line)."""
        self.hint = hint
        self.args = (self._message(),)


class WriteFailed(FileError):
    """An output file could not be written; the message names it, `cause` is "disk full" when space ran out."""

    def __init__(self, path: str | Path, error: OSError) -> None:
        self.cause = DISK_FULL if is_disk_full(error) else "cannot write"
        super().__init__(path, error.strerror or str(error))


class NotARegularFile(FileError):
    """A path to read is a directory, FIFO, socket or device: reading a FIFO would wait forever for a writer."""

    cause = "not a regular file"

    def __init__(self, path: str | Path, kind: str) -> None:
        self.kind = kind   # "a FIFO", "a directory", … (regular_files.file_kind)
        super().__init__(path, kind)


class CaptureError(FileError):
    """A problem with one capture file; `cause` is short and stable, for grouping failures.

    `inspect_helps`: the profile does not fit what the frame holds, which `rdc-extract inspect` shows check by
    check; extraction's message then points there (not for unreadable or corrupt files).
    """

    cause = "capture error"
    inspect_helps = False


class CaptureNotFound(CaptureError):
    cause = "no such capture"


class NotACapture(CaptureError):
    cause = "not a RenderDoc capture"


class CaptureCorrupt(CaptureError):
    cause = "capture is truncated or corrupt"


class CaptureDigestMismatch(CaptureError):
    """The capture's bytes are not the ones its sidecar recorded when the capture was published."""

    cause = "capture does not match its sidecar's sha256"


class ApiNotReplayable(CaptureError):
    cause = "capture's graphics API cannot be replayed on this machine"


class ReplayFailed(CaptureError):
    cause = "replay failed"


REMOTE_UNAVAILABLE = "remote server unavailable"
REMOTE_LOST = "remote server lost"


class RemoteUnavailable(RdcExtractError):
    """No remote server took the connection (refused, busy, not answering, or not replaying the API)."""

    cause = REMOTE_UNAVAILABLE


class RemoteReplayLost(RdcExtractError):
    """The connection to the remote server broke before a replay was over: nothing it returned is trusted."""

    cause = REMOTE_LOST


class RemoteCaptureError(CaptureError):
    """A capture that could not be replayed remotely for the server's sake, not its own (a transient cause)."""

    def __init__(self, path: str | Path, error: RemoteUnavailable | RemoteReplayLost) -> None:
        self.cause = error.cause
        super().__init__(path, str(error))


class ExtractionFailed(CaptureError):
    """The capture replayed but its contents could not be turned into outputs."""

    cause = "cannot extract"


OUTPUT_NOT_AVAILABLE = "output not available"


class OutputNotAvailable(ExtractionFailed):
    """An output asked for that this capture's frame cannot give (its profile does not offer it, a forward frame
    has no G-buffer, its depth no stencil): known once the frame is identified, before anything is read."""

    cause = OUTPUT_NOT_AVAILABLE


_TIMEOUT_CAUSE = ("timeout (> ", " s)")


def timeout_cause(seconds: float) -> str:
    """The cause a batch records for a capture that takes longer than its `--timeout`."""
    return f"{_TIMEOUT_CAUSE[0]}{seconds:g}{_TIMEOUT_CAUSE[1]}"


def timed_out_after(cause: str | None) -> float | None:
    """The `--timeout` a `timeout_cause` names, or None for any other cause."""
    head, tail = _TIMEOUT_CAUSE
    if not cause or not cause.startswith(head) or not cause.endswith(tail):
        return None
    try:
        return float(cause[len(head):-len(tail)])
    except ValueError:
        return None


class SweepTooSlow(ExtractionFailed):
    """A draw-id sweep foreseen to take longer than the batch allows a capture: stopped after a few of its steps
    and recorded as the timeout it would have become (a rerun treats both alike)."""

    def __init__(self, path: str | Path, detail: str, budget_s: float) -> None:
        self.cause = timeout_cause(budget_s)
        super().__init__(path, detail)


class ProfileMismatch(ExtractionFailed):
    """The profile does not fit the frame: its camera, depth conventions or target slots (docs/profiles.md)."""

    inspect_helps = True


class UnsupportedFormat(RdcExtractError):
    """A texture format the pure decoders do not know how to read."""


class TextureDataMismatch(RdcExtractError, ValueError):
    """Raw texture bytes do not match the size implied by width, height and format."""


class ProfileError(FileError):
    """A game profile (pipelines/*.toml) is missing, malformed or does not fit a frame."""


class IdentificationFailed(CaptureError):
    """The profile could not find the G-buffer or the final image; carries every candidate pass."""

    cause = "frame not understood"
    inspect_helps = True

    def __init__(self, path: str | Path, detail: str, candidates: list | None = None) -> None:
        super().__init__(path, detail)
        self.candidates = candidates or []
        self.rejected: list = []  # auto-detection: the game profiles tried before (profiles.registry.Rejection)


class ClassMapError(FileError):
    """A class-mapping file (pipelines/classes/*.toml) is missing or malformed; names file and entry."""


class NotADataset(FileError):
    """A folder given as a dataset has no `frames/` folder of frame folders (docs/dataset.md)."""

    @classmethod
    def without_frames(cls, path: str | Path) -> NotADataset:
        return cls(path, "not a dataset: no frames/ folder (see docs/dataset.md)")


class DatasetFileError(FileError):
    """A file of an extracted dataset (index.csv, a frame's meta.json or output) is missing or unreadable."""


class DatasetIndexError(FileError):
    """A dataset's index.csv cannot be read, or `split` cannot assign splits with what it holds."""


class SidecarError(FileError):
    """A capture's sidecar JSON is missing, unreadable or does not follow the schema (docs/capture.md)."""

    cause = "invalid sidecar"


class CaptureRunFailed(RdcExtractError):
    """`rdc-extract capture` gave up: the game keeps failing to produce captures, or RenderDoc is missing."""


class BatchError(RdcExtractError):
    """`rdc-extract batch` cannot run at all (bad input folder, output folder busy, workers cannot start)."""


class WorkerStartFailed(BatchError):
    """A batch worker could not import its job or initialise replay: an environment problem, so the batch stops."""


class BatchAbandoned(BatchError):
    """A batch worker found that the batch which handed it a capture is gone (killed); the result is dropped."""


class ExportError(FileError):
    """`rdc-extract export` cannot run or cannot read a frame: a bad DEST, a frame file it cannot use."""


class MissingDependency(RdcExtractError):
    """An optional package a command needs (an export format's) is not installed; the message says how to get it."""


class PreviewError(FileError):
    """`rdc-extract preview`/`card` would replace a file or folder they did not write (docs/preview.md)."""
