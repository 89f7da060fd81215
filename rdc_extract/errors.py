"""One exception hierarchy for the whole tool; only the CLI turns it into exit codes."""

from __future__ import annotations

from pathlib import Path


class RdcExtractError(Exception):
    """Base of every error the tool reports to a user."""


class RenderDocNotFound(RdcExtractError):
    """The RenderDoc Python module could not be found or imported."""


class CaptureError(RdcExtractError):
    """A problem with one capture file; the message always names the file."""

    cause = "capture error"

    def __init__(self, path: str | Path, detail: str) -> None:
        self.path = Path(path)
        self.detail = detail
        super().__init__(f"{self.path}: {self.cause}: {detail}")


class CaptureNotFound(CaptureError):
    cause = "no such capture"


class NotACapture(CaptureError):
    cause = "not a RenderDoc capture"


class CaptureCorrupt(CaptureError):
    cause = "capture is truncated or corrupt"


class ApiNotReplayable(CaptureError):
    cause = "capture's graphics API cannot be replayed on this machine"


class ReplayFailed(CaptureError):
    cause = "replay failed"


class ExtractionFailed(CaptureError):
    """The capture replayed but its contents could not be turned into outputs."""

    cause = "cannot extract"


class UnsupportedFormat(RdcExtractError):
    """A texture format the pure decoders do not know how to read."""


class TextureDataMismatch(RdcExtractError, ValueError):
    """Raw texture bytes do not match the size implied by width, height and format."""


class ProfileError(RdcExtractError):
    """A game profile (pipelines/*.toml) is missing, malformed or does not fit a frame."""

    def __init__(self, path: str | Path, detail: str) -> None:
        self.path = Path(path)
        self.detail = detail
        super().__init__(f"{self.path}: {detail}")


class IdentificationFailed(CaptureError):
    """The profile could not find the G-buffer or the final image; carries every candidate pass."""

    cause = "frame not understood"

    def __init__(self, path: str | Path, detail: str, candidates: list | None = None) -> None:
        super().__init__(path, detail)
        self.candidates = candidates or []


class ClassMapError(RdcExtractError):
    """A class-mapping file (pipelines/classes/*.toml) is missing or malformed; names file and entry."""

    def __init__(self, path: str | Path, detail: str) -> None:
        self.path = Path(path)
        self.detail = detail
        super().__init__(f"{self.path}: {detail}")


class NotADataset(RdcExtractError):
    """A folder given as a dataset has no `frames/` folder of frame folders (docs/dataset.md)."""

    def __init__(self, path: str | Path, detail: str) -> None:
        self.path = Path(path)
        self.detail = detail
        super().__init__(f"{self.path}: {detail}")


class SidecarError(RdcExtractError):
    """A capture's sidecar JSON is missing, unreadable or does not follow the schema (docs/capture.md)."""

    def __init__(self, path: str | Path, detail: str) -> None:
        self.path = Path(path)
        self.detail = detail
        super().__init__(f"{self.path}: invalid sidecar: {detail}")


class CaptureRunFailed(RdcExtractError):
    """`rdc-extract capture` gave up: the game keeps failing to produce captures, or RenderDoc is missing."""


class BatchError(RdcExtractError):
    """`rdc-extract batch` cannot run at all (bad input folder, output folder busy, workers cannot start)."""


class WorkerStartFailed(BatchError):
    """A batch worker could not import its job or initialise replay: an environment problem, so the batch stops."""


class BatchAbandoned(BatchError):
    """A batch worker found that the batch which handed it a capture is gone (killed); the result is dropped."""
