"""The congested market time units of some zones over a period, as seen at a moment (R8, R12).

Read by the activation check on every call (SPEC §7): one prepared statement over the index
forecast_value_as_of (zone, start, direction, published_at). The rule is the one of
forecasts.selectors.forecast_values_as_of (per zone, start and direction, the row of the latest
publication published by then; tests/forecasts/test_congestion.py holds the two together), and
only then the level: a later "none" clears an earlier "likely".
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from common.db import fetch_all, model_columns
from forecasts.models import CongestionLevel, ForecastValue
from forecasts.selectors import LONGEST_MTU

_FIELDS = ("zone_id", "start", "direction", "minutes", "level", "publication_id", "published_at")


class CongestedUnit(NamedTuple):
    """One market time unit's congestion (a tuple: the check builds about a dozen per answer, and
    a frozen dataclass cost five times as much to make, SPEC §7)."""

    zone_id: int
    start: datetime
    end: datetime
    direction: str
    level: int
    publication_id: int


def congested_units_as_of(
    *, zone_ids, directions, start: datetime, end: datetime, as_of: datetime,
    at_least: int = CongestionLevel.LIKELY,
) -> list[CongestedUnit]:
    """The market time units overlapping [start, end) in `directions` whose forecast as of
    `as_of` is `at_least` (default likely) or worse, by zone, start and direction."""
    zone_ids, directions = sorted(zone_ids), sorted(directions)
    if not zone_ids or not directions:
        return []
    columns = ", ".join(_FIELDS)
    sql = (
        f"SELECT {columns} FROM (SELECT {columns}, ROW_NUMBER() OVER (PARTITION BY zone_id, start, "
        "direction ORDER BY published_at DESC, publication_id DESC) AS rank FROM forecasts_forecastvalue "
        f"WHERE zone_id IN ({', '.join(['%s'] * len(zone_ids))}) "
        f"AND direction IN ({', '.join(['%s'] * len(directions))}) "
        "AND start >= %s AND start < %s AND published_at <= %s) ranked "
        "WHERE rank = 1 AND level >= %s ORDER BY zone_id, start, direction"
    )
    params = [*zone_ids, *directions, start - LONGEST_MTU, end, as_of, int(at_least)]
    rows = fetch_all(sql, params, columns=model_columns(ForecastValue, _FIELDS), binary=True)
    units = []
    for zone_id, unit_start, direction, minutes, level, publication_id, _published in rows:
        unit_end = unit_start + timedelta(minutes=minutes)
        if unit_end > start:
            units.append(CongestedUnit(zone_id, unit_start, unit_end, direction, level, publication_id))
    return units
