"""Scenario plans: which time of day and weather the capture with index k is taken in.

A step depends only on (plan, seed, k), so a restarted game picks the plan up
where the dead one stopped (the launcher passes the next capture index) and a
run is reproducible from its seed. The pseudo-random parts use SplitMix64 on
integers so that a mod in another language (mod_scripts/gtav) computes the very
same plan. Weather names are the generic set
`clear | overcast | fog | rain`; a mod maps them to its game's own names.
"""

from __future__ import annotations

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


def period_of(hour: int) -> str:
    """The time of day of a 24 h clock hour: day, dusk, dawn or night."""
    if 7 <= hour < 18:
        return "day"
    if 18 <= hour < 20:
        return "dusk"
    if 5 <= hour < 7:
        return "dawn"
    return "night"


_MASK64 = (1 << 64) - 1


def _mix(seed: int, index: int, salt: int) -> int:
    """SplitMix64 of (seed, index, salt): a portable, well-spread 64-bit integer."""
    z = (0x9E3779B97F4A7C15 * (seed + 1) + 0xBF58476D1CE4E5B9 * index + 0x94D049BB133111EB * salt) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def plan_step(plan: str, seed: int, index: int) -> PlanStep:
    """Step `index` (0-based capture index) of `plan` ("schedule" or "random") for `seed`."""
    if plan not in PLANS:
        raise ValueError(f"unknown plan {plan!r}; expected one of {', '.join(PLANS)}")
    if index < 0:
        raise ValueError(f"capture index must be >= 0, got {index}")
    minute = _mix(seed, index, 0) % 60
    if plan == "schedule":
        period, hour, weather = _SCHEDULE[index % len(_SCHEDULE)]
        return PlanStep(index, period, hour, minute, weather)
    hour = _mix(seed, index, 1) % 24
    return PlanStep(index, period_of(hour), hour, minute, WEATHERS[_mix(seed, index, 2) % len(WEATHERS)])
