"""The periods the lists' filters and the home page's figures name: "this month", "within 7 days".

One home for their bounds, read by the queue and case-list filters (prequal.selectors.cases) and
by the dashboards, so a figure and the list it links to count the same rows. Calendar periods
are taken in the installation's time zone (settings.TIME_ZONE, Europe/Stockholm by default):
"this month" starts at local midnight on the first.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

# How far ahead "due soon" looks (the queue's highlighting uses the same span).
DUE_SOON = timedelta(days=7)
# The values of the case list's `decided` filter, besides a four-digit year.
DECIDED_THIS_MONTH, DECIDED_LAST_30_DAYS = "this-month", "30d"
DUE_WITHIN_7_DAYS = "7d"
_YEAR = re.compile(r"^(19|20)\d\d$")


def local_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def month_bounds(*, now: datetime | None = None) -> tuple[datetime, datetime]:
    """[start, end) of the calendar month of `now` (default: now) in the local zone."""
    local = timezone.localtime(now or timezone.now(), local_zone())
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (start + timedelta(days=32)).replace(day=1)
    # Rebuilt from the wall time: the two ends may have different UTC offsets (summer time).
    return (
        datetime(start.year, start.month, 1, tzinfo=local_zone()),
        datetime(following.year, following.month, 1, tzinfo=local_zone()),
    )


def decided_bounds(value: str | None, *, now: datetime | None = None) -> tuple[datetime, datetime] | None:
    """[start, end) named by the `decided` filter ("this-month", "30d" or a year), or None."""
    now = now or timezone.now()
    if value == DECIDED_THIS_MONTH:
        return month_bounds(now=now)
    if value == DECIDED_LAST_30_DAYS:
        return now - timedelta(days=30), now
    if value and _YEAR.match(value):
        year = int(value)
        return datetime(year, 1, 1, tzinfo=local_zone()), datetime(year + 1, 1, 1, tzinfo=local_zone())
    return None
