"""Which group an index row belongs to, by run, seed or scenario, from its capture's sidecar columns (pure).

The sidecar (docs/capture.md) says which game, run and seeded world a frame
comes from and the weather and clock it was taken in; index.csv carries it as
`scenario.*` columns. A group is named after the game and the value, so equal
seeds of two games stay apart. Frames whose sidecar lacks the value (no
sidecar; a launcher's sidecar has no weather or clock) form one group,
`NO_GROUP`, kept together rather than risk spreading one run over splits.
"""

from __future__ import annotations

from collections.abc import Mapping

from rdc_extract.capture.plan import period_of

BY = ("run", "seed", "scenario")
NO_GROUP = "(unknown)"
WHAT = {"run": "run_id", "seed": "seed", "scenario": "weather and time of day"}   # the sidecar values, for people


def _time_of_day(row: Mapping[str, str]) -> str | None:
    hour = row.get("scenario.clock_hour")
    if hour:
        try:
            return period_of(int(hour))
        except ValueError:
            pass
    return row.get("scenario.plan_step.period") or None


def group_of(row: Mapping[str, str], by: str) -> str:
    """The group of one index row (cells as text): `city_game run 20261125T123148`, `city_game seed 3`,
    `city_game rain night`; NO_GROUP when the row lacks the value."""
    if by == "run":
        value = row.get("scenario.run_id") and f"run {row['scenario.run_id']}"
    elif by == "seed":
        value = row.get("scenario.seed") and f"seed {row['scenario.seed']}"
    elif by == "scenario":
        weather = row.get("scenario.weather") or row.get("scenario.plan_step.weather")
        period = _time_of_day(row)
        value = (weather or period) and f"{weather or '?'} {period or '?'}"
    else:
        raise ValueError(f"group by one of {', '.join(BY)}, not {by!r}")
    if not value:
        return NO_GROUP
    game = row.get("scenario.game")
    return f"{game} {value}" if game else value


def suggested_grouping(rows: list[Mapping[str, str]], splits: int = 3) -> str | None:
    """The coarsest grouping (run, then seed, then scenario) with a group for each of `splits` splits; None when
    none has: what a batch's summary proposes to `split` by."""
    for by in BY:
        if len({group_of(row, by) for row in rows}) >= splits:
            return by
    return None
