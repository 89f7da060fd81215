"""What a Python capture mod needs from rdc-extract: its settings, and capture-into-staging-then-publish.

The launcher (`launcher.py`) talks to the mod only through environment
variables (`ModConfig.to_env` / `ModConfig.from_env`), so it stays generic and a
mod in another language (mod_scripts/gtav) can follow the same contract; the
variables are listed in docs/capture.md. `StagedCapture` wraps RenderDoc's
in-app API so that a capture and its sidecar reach the output folder together
or not at all (see folder.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from rdc_extract.capture.folder import GROUND_TRUTH_SUFFIX, STAGING_DIR, CompleteCapture, publish_capture
from rdc_extract.capture.plan import PLANS
from rdc_extract.capture.sidecar import Sidecar
from rdc_extract.errors import RdcExtractError
from rdc_extract.rd.inapp import InAppApi

ENV_DIR = "RDC_CAPTURE_DIR"
ENV_STAGING = "RDC_CAPTURE_STAGING"
ENV_EVERY = "RDC_CAPTURE_EVERY"
ENV_WARMUP = "RDC_CAPTURE_WARMUP"
ENV_SEED = "RDC_CAPTURE_SEED"
ENV_PLAN = "RDC_CAPTURE_PLAN"
ENV_GROUND_TRUTH = "RDC_CAPTURE_GROUND_TRUTH"
ENV_RUN_ID = "RDC_CAPTURE_RUN_ID"
ENV_LAUNCH = "RDC_CAPTURE_LAUNCH"
ENV_START_INDEX = "RDC_CAPTURE_START_INDEX"
ENV_LIMIT = "RDC_CAPTURE_LIMIT"


class ModConfigError(RdcExtractError):
    """The mod's environment is missing a setting or holds a bad value."""


@dataclass(frozen=True)
class ModConfig:
    """Settings the launcher hands to a capture mod for one game launch.

    `every` and `warmup` are in game frames; `start_index` is the capture index
    (plan step) of this launch's first capture; `limit` is how many captures this
    launch should make before quitting the game (0 = no limit).
    """

    out_dir: Path
    staging_dir: Path
    every: int = 40
    warmup: int = 30
    seed: int = 0
    plan: str = "schedule"
    ground_truth: bool = False
    run_id: str = "00000000T000000"
    launch: int = 1
    start_index: int = 0
    limit: int = 0

    def to_env(self) -> dict[str, str]:
        return {
            ENV_DIR: str(self.out_dir),
            ENV_STAGING: str(self.staging_dir),
            ENV_EVERY: str(self.every),
            ENV_WARMUP: str(self.warmup),
            ENV_SEED: str(self.seed),
            ENV_PLAN: self.plan,
            ENV_GROUND_TRUTH: "1" if self.ground_truth else "0",
            ENV_RUN_ID: self.run_id,
            ENV_LAUNCH: str(self.launch),
            ENV_START_INDEX: str(self.start_index),
            ENV_LIMIT: str(self.limit),
        }

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ModConfig:
        env = os.environ if env is None else env
        if not env.get(ENV_DIR):
            raise ModConfigError(f"{ENV_DIR} is not set: run the game through `rdc-extract capture`")
        out_dir = Path(env[ENV_DIR]).resolve()

        def integer(name: str, default: int, minimum: int) -> int:
            raw = env.get(name)
            if raw in (None, ""):
                return default
            try:
                value = int(raw)
            except ValueError:
                raise ModConfigError(f"{name}={raw!r} is not an integer") from None
            if value < minimum:
                raise ModConfigError(f"{name}={value} must be >= {minimum}")
            return value

        plan = env.get(ENV_PLAN) or "schedule"
        if plan not in PLANS:
            raise ModConfigError(f"{ENV_PLAN}={plan!r}; expected one of {', '.join(PLANS)}")
        return cls(
            out_dir=out_dir,
            staging_dir=Path(env.get(ENV_STAGING) or out_dir / STAGING_DIR).resolve(),
            every=integer(ENV_EVERY, 40, 1),
            warmup=integer(ENV_WARMUP, 30, 0),
            seed=integer(ENV_SEED, 0, 0),
            plan=plan,
            ground_truth=env.get(ENV_GROUND_TRUTH, "0") not in ("", "0", "false", "no"),
            run_id=env.get(ENV_RUN_ID) or "00000000T000000",
            launch=integer(ENV_LAUNCH, 1, 1),
            start_index=integer(ENV_START_INDEX, 0, 0),
            limit=integer(ENV_LIMIT, 0, 0),
        )


class StagedCapture:
    """RenderDoc frame captures made in the staging folder and published with their sidecars.

    Call `begin(stem)` just before a frame's GL work and `end(...)` right after it
    (glFinish done), then `publish_ready()` on every later tick: a game may write
    the frame's ground truth after the frame (the sample game does), so a capture
    is published only once its ground truth exists. Nothing appears in the output
    folder until the capture, the optional ground truth and the sidecar are all
    written, and the sidecar arrives last.
    """

    def __init__(self, config: ModConfig, api: InAppApi | None = None) -> None:
        self.config = config
        self.api = api or InAppApi()
        self.renderdoc_version = self.api.renderdoc_version()
        self._open_stem: str | None = None
        self._pending: list[tuple[str, Path, Sidecar]] = []
        config.staging_dir.mkdir(parents=True, exist_ok=True)

    @property
    def capturing(self) -> bool:
        return self._open_stem is not None

    @property
    def pending(self) -> int:
        """Captures written to staging and not yet published."""
        return len(self._pending)

    def begin(self, stem: str) -> None:
        if self._open_stem is not None:
            raise RuntimeError(f"capture {self._open_stem} is still open")
        self.api.set_capture_path_template(str(self.config.staging_dir / stem))
        self.api.start_frame_capture()
        self._open_stem = stem

    def abandon(self) -> None:
        """Drop an open capture (e.g. the player died during the frame)."""
        if self._open_stem is not None:
            self.api.discard_frame_capture()
            self._open_stem = None

    def end(self, make_sidecar: Callable[[str, str | None], Sidecar],
            request_ground_truth: Callable[[str], None] | None = None) -> bool:
        """End the open capture; False when RenderDoc wrote nothing.

        `make_sidecar(capture_file_name, ground_truth_file_name_or_None)` is called
        now, so the sidecar describes this frame; `request_ground_truth(path_prefix)`
        must (now or before the next `publish_ready`) write `<prefix>.gt.npz`.
        """
        stem, self._open_stem = self._open_stem, None
        if stem is None:
            raise RuntimeError("end() without begin()")
        if not self.api.end_frame_capture():
            return False
        written = Path(self.api.latest_capture_path() or "")
        if written.parent.resolve() != self.config.staging_dir or not written.is_file():
            raise RdcExtractError(f"RenderDoc reported capture {written}, expected one in {self.config.staging_dir}")
        gt_name = None
        if request_ground_truth is not None:
            request_ground_truth(str(self.config.staging_dir / stem))
            gt_name = f"{stem}{GROUND_TRUTH_SUFFIX}"
        self._pending.append((stem, written, make_sidecar(f"{stem}.rdc", gt_name)))
        return True

    def publish_ready(self) -> list[CompleteCapture]:
        """Publish every pending capture whose ground truth (if any) is on disk."""
        published, waiting = [], []
        staging = self.config.staging_dir
        for stem, written, sidecar in self._pending:
            gt_path = staging / sidecar.ground_truth if sidecar.ground_truth else None
            if gt_path is not None and not gt_path.is_file():
                waiting.append((stem, written, sidecar))
                continue
            published.append(publish_capture(written, sidecar, self.config.out_dir, stem, gt_path))
        self._pending = waiting
        return published
