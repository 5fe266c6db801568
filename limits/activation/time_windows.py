"""Condition time windows (R10) for the activation check: does a condition bind in a period?"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

from prequal.models import Condition


def _offset_changes(zone: zoneinfo.ZoneInfo, lo: datetime, hi: datetime) -> list[datetime]:
    """Instants in [lo, hi) where the zone's UTC offset changes (found on 15-minute UTC steps)."""
    step = timedelta(minutes=15)
    seconds = int(lo.timestamp())
    at = datetime.fromtimestamp(seconds - seconds % 900, tz=UTC)
    previous = at.astimezone(zone).utcoffset()
    changes = []
    while at < hi:
        at += step
        offset = at.astimezone(zone).utcoffset()
        if offset != previous:
            changes.append(at)
            previous = offset
    return changes


def condition_applies_during(condition: Condition, start: datetime, end: datetime) -> bool:
    """Whether the condition binds at some instant of [start, end), judged in its local time.

    `Condition.applies_at` is constant between the instants where the local date, the window's
    clock times, the validity or the UTC offset change, so it is evaluated at the period's start
    and at each such instant inside the period: exact, and right across DST changes.
    """
    lo = max(start, condition.valid_from) if condition.valid_from else start
    hi = min(end, condition.valid_to) if condition.valid_to else end
    if lo >= hi:
        return False
    if not condition.months and not condition.weekdays and condition.start_time is None:
        return True
    zone = zoneinfo.ZoneInfo(condition.time_zone)
    candidates = {lo}
    clock_times = {time(0, 0)}
    if condition.start_time is not None:
        clock_times |= {condition.start_time, condition.end_time}
    first: date = lo.astimezone(zone).date() - timedelta(days=1)
    last: date = hi.astimezone(zone).date() + timedelta(days=1)
    day = first
    while day <= last:
        for clock in clock_times:
            for fold in (0, 1):
                at = datetime.combine(day, clock, tzinfo=zone).replace(fold=fold).astimezone(UTC)
                if lo <= at < hi:
                    candidates.add(at)
        day += timedelta(days=1)
    candidates.update(_offset_changes(zone, lo, hi))
    return any(condition.applies_at(at) for at in sorted(candidates))
