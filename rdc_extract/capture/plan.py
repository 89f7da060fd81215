"""Scenario plans: which time of day and weather the capture with index k is taken in.

A step depends only on (plan, seed, k), so a restarted game picks the plan up
where the dead one stopped (the launcher passes the next capture index) and a
run is reproducible from its seed. Weather names are the generic set
`clear | overcast | fog | rain`; a mod maps them to its game's own names.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass

WEATHERS = ("clear", "overcast", "fog", "rain")
PLANS = ("schedule", "random")

# Day/night x weather, ordered so any first 6 captures hold day, night, fog and rain;
# the last two add the light changes around dawn and dusk.
_SCHEDULE: tuple[tuple[str, int, str], ...] = (
    ("day", 13, "clear"),
    ("night", 23, "clear"),
    ("day", 11, "fog"),
    ("night", 1, "rain"),
    ("day", 15, "rain"),
    ("night", 22, "fog"),
    ("day", 9, "overcast"),
    ("night", 3, "overcast"),
    ("dusk", 19, "clear"),
    ("dawn", 6, "fog"),
)


@dataclass(frozen=True)
class PlanStep:
    """The world state wanted for one capture: 24 h clock and a generic weather name."""

    index: int
    period: str
    hour: int
    minute: int
    weather: str

    def to_json(self) -> dict:
        return asdict(self)


def _period(hour: int) -> str:
    if 7 <= hour < 18:
        return "day"
    if 18 <= hour < 20:
        return "dusk"
    if 5 <= hour < 7:
        return "dawn"
    return "night"


def plan_step(plan: str, seed: int, index: int) -> PlanStep:
    """Step `index` (0-based capture index) of `plan` ("schedule" or "random") for `seed`."""
    if plan not in PLANS:
        raise ValueError(f"unknown plan {plan!r}; expected one of {', '.join(PLANS)}")
    if index < 0:
        raise ValueError(f"capture index must be >= 0, got {index}")
    rng = random.Random(f"{seed}:{index}")
    if plan == "schedule":
        period, hour, weather = _SCHEDULE[index % len(_SCHEDULE)]
        return PlanStep(index, period, hour, rng.randrange(60), weather)
    hour = rng.randrange(24)
    return PlanStep(index, _period(hour), hour, rng.randrange(60), rng.choice(WEATHERS))
