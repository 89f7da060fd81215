"""Automation mod for the sample game: drive around safely and take a RenderDoc capture every N frames.

Load it with ``python -m samples.city_game --mod mod_scripts/city_game/autocapture.py``
under ``rdc-extract capture`` (docs/capture.md), which sets the RDC_CAPTURE_*
environment variables this mod reads (`ModConfig.from_env`). What it does:

- keeps the player driving and unbothered: autopilot on, invincible, doors
  locked; if a hazard still gets through (death, being pulled out of the car) it
  holds captures, puts the player back in the car and re-applies all of it;
- before each capture sets the clock and weather of the next scenario-plan step
  (rdc_extract.capture.plan; step k depends only on seed and k, so a restarted
  game continues the plan);
- brackets one frame every RDC_CAPTURE_EVERY frames with StartFrameCapture /
  EndFrameCapture, optionally asks for the game's ground truth, and publishes
  capture + sidecar atomically (rdc_extract.capture.modkit.StagedCapture);
- quits the game after RDC_CAPTURE_LIMIT captures so the launcher never gets
  more than it asked for.
"""

from __future__ import annotations

import math
import sys

from rdc_extract.capture.folder import capture_stem
from rdc_extract.capture.modkit import ModConfig, StagedCapture
from rdc_extract.capture.plan import PlanStep, plan_step
from rdc_extract.capture.sidecar import PlayerPose, Sidecar

MOD_NAME = "city_game/autocapture"
MOD_VERSION = "1.0.0"
AUTOPILOT_MPS = 11.0
# Frames to wait after a respawn or a return to the car before capturing again.
SETTLE_FRAMES = 10
# The natives this mod calls; a game build without one of them fails at start, loudly.
REQUIRED_NATIVES = (
    "set_clock", "get_clock", "set_weather", "get_weather", "set_autopilot", "set_player_invincible",
    "set_vehicle_doors_locked", "teleport", "get_player_pose", "frame_number", "game_build", "game_name",
    "seed", "write_ground_truth", "quit",
)


def _log(message: str) -> None:
    print(f"[{MOD_NAME}] {message}", file=sys.stderr, flush=True)


class AutoCapture:
    def __init__(self, natives) -> None:
        missing = [name for name in REQUIRED_NATIVES if not callable(getattr(natives, name, None))]
        if missing:
            raise RuntimeError(f"{MOD_NAME}: this game build lacks natives {', '.join(missing)}")
        self.config = ModConfig.from_env()
        self.capturer = StagedCapture(self.config)
        self.capture_index = self.config.start_index
        self.started = 0  # captures taken by this launch (published or pending)
        self.published = 0
        self.hold_reason: str | None = None
        self.step: PlanStep | None = None
        self.next_capture_frame = natives.frame_number() + self.config.warmup
        self.collisions = 0
        self.recoveries = 0
        self.secure_player(natives)
        self.apply_plan(natives)
        _log(f"run {self.config.run_id} launch {self.config.launch}: capture every {self.config.every} frames "
             f"from index {self.capture_index}, limit {self.config.limit or 'none'}, "
             f"RenderDoc {self.capturer.renderdoc_version}")

    @property
    def done(self) -> bool:
        return self.config.limit > 0 and self.started >= self.config.limit

    def secure_player(self, natives) -> None:
        natives.set_player_invincible(True)
        natives.set_vehicle_doors_locked(True)
        natives.set_autopilot(True, speed=AUTOPILOT_MPS)

    def apply_plan(self, natives) -> None:
        self.step = plan_step(self.config.plan, self.config.seed, self.capture_index)
        natives.set_clock(self.step.hour, self.step.minute)
        natives.set_weather(self.step.weather)

    def on_event(self, natives, event) -> None:
        frame = natives.frame_number()
        if event.kind == "vehicle_collision":
            self.collisions += 1
        elif event.kind == "player_died":
            self.hold_reason = "player died"
            self.capturer.abandon()
            _log(f"frame {frame}: player died ({event.details}); holding captures until respawn")
        elif event.kind == "player_pulled_out":
            # Teleporting to the car's own position seats the player in it again.
            pose = natives.get_player_pose()
            x, y = pose["position"][0], pose["position"][1]
            natives.teleport(x, y, pose["heading"])
            self.recover(natives, frame, "pulled out of the car")
        elif event.kind == "player_respawned":
            self.recover(natives, frame, "respawned")

    def recover(self, natives, frame: int, why: str) -> None:
        self.recoveries += 1
        self.hold_reason = None
        self.secure_player(natives)
        self.next_capture_frame = max(self.next_capture_frame, frame + SETTLE_FRAMES)
        _log(f"frame {frame}: player {why}; re-secured, next capture at frame {self.next_capture_frame}")

    def on_tick(self, natives) -> None:
        for capture in self.capturer.publish_ready():
            self.published += 1
            _log(f"published {capture.capture.name}")
        pose = natives.get_player_pose()
        if self.hold_reason is None and pose.get("alive", True) and not pose.get("in_vehicle", True):
            x, y = pose["position"][0], pose["position"][1]
            natives.teleport(x, y, pose["heading"])
            self.recover(natives, natives.frame_number(), "found on foot")
        if self.done and self.capturer.pending == 0:
            _log(f"{self.published} captures published; quitting the game")
            natives.quit()

    def before_frame(self, natives) -> None:
        frame = natives.frame_number()
        if self.done or self.hold_reason is not None or frame < self.next_capture_frame:
            return
        self.capturer.begin(capture_stem(natives.game_name(), self.config.run_id, self.config.launch, frame))

    def after_frame(self, natives) -> None:
        if not self.capturer.capturing:
            return
        frame = natives.frame_number()
        request_gt = natives.write_ground_truth if self.config.ground_truth else None
        if self.capturer.end(lambda rdc, gt: self.sidecar(natives, rdc, gt), request_gt):
            self.started += 1
            self.capture_index += 1
            self.next_capture_frame = frame + self.config.every
            if not self.done:
                self.apply_plan(natives)
        else:
            _log(f"frame {frame}: RenderDoc wrote no capture; trying again next frame")
            self.next_capture_frame = frame + 1

    def sidecar(self, natives, capture_name: str, ground_truth_name: str | None) -> Sidecar:
        hour, minute = natives.get_clock()
        pose = natives.get_player_pose()
        x, y, z = (float(v) for v in pose["position"])
        return Sidecar(
            capture=capture_name,
            ground_truth=ground_truth_name,
            game=natives.game_name(),
            game_build=str(natives.game_build()),
            frame_number=natives.frame_number(),
            clock_hour=int(hour),
            clock_minute=int(minute),
            weather=natives.get_weather(),
            player_pose=PlayerPose(x=x, y=y, z=z, heading_deg=math.degrees(pose["heading"]) % 360.0),
            seed=int(natives.seed()),
            mod_name=MOD_NAME,
            mod_version=MOD_VERSION,
            renderdoc_version=self.capturer.renderdoc_version,
            run_id=self.config.run_id,
            launch=self.config.launch,
            capture_index=self.capture_index,
            plan_step={"plan": self.config.plan, "plan_seed": self.config.seed, **self.step.to_json()},
            extra={"in_vehicle": bool(pose.get("in_vehicle", True)), "collisions_so_far": self.collisions,
                   "recoveries_so_far": self.recoveries},
        )


_mod: AutoCapture | None = None


def on_start(natives) -> None:
    global _mod
    _mod = AutoCapture(natives)


def on_event(natives, event) -> None:
    _mod.on_event(natives, event)


def on_tick(natives, dt) -> None:
    _mod.on_tick(natives)


def before_frame(natives) -> None:
    _mod.before_frame(natives)


def after_frame(natives) -> None:
    _mod.after_frame(natives)
