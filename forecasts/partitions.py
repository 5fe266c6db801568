"""Monthly partitions of the forecast value table on PostgreSQL (a plain table on SQLite).

The migration creates `forecasts_forecastvalue` as a table partitioned by range of `start`, one
partition per delivery month (`forecasts_forecastvalue_y2027m01`), with no DEFAULT partition.
The daily beat task (forecasts.tasks.forecast_partitions_task) and `manage.py forecast_partitions`
add the months ahead; a publication reaching a month not yet made adds it first
(partitions_create). The months themselves are common.partitions'; this module keeps the table's
own parts and the months known in this process.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import connection, transaction

from common.partitions import MonthlyPartitions, is_partitioned, month_first, months_from

TABLE = "forecasts_forecastvalue"
# Any constant: publications making the same new month wait for each other, not fail.
PARTITION_LOCK_KEY = 1_617_160_001
PARTITIONS = MonthlyPartitions(parent=TABLE, suffix="y%Ym%m", key="start", lock_key=PARTITION_LOCK_KEY)

# Months known to exist in this process: a publication asks the database only for new ones.
_known: set[tuple[int, int]] = set()


def month_of(moment: datetime) -> tuple[int, int]:
    """(year, month) of `moment` in UTC."""
    first = month_first(moment)
    return first.year, first.month


def partitioned(cursor_connection=None) -> bool:
    return is_partitioned(cursor_connection)


def partitions_create(months: list[tuple[int, int]], *, using=None) -> int:
    """Make the partitions of `months` (those missing): one statement, under a transaction lock.

    Returns how many months were asked for the database (0 when all were known here).
    """
    conn = using or connection
    wanted = sorted(set(months) - _known)
    if not wanted or not partitioned(conn):
        return 0
    PARTITIONS.create([date(year, month, 1) for year, month in wanted], using=conn)
    # Known once committed: a publication refused after this rolls the new partitions back.
    transaction.on_commit(lambda: _known.update(wanted), using=conn.alias)
    return len(wanted)


def months_ahead(*, now: datetime, ahead: int) -> list[tuple[int, int]]:
    """This month and the `ahead` months after it."""
    return [(m.year, m.month) for m in months_from(month_first(now), ahead + 1)]


def partitions_forget() -> None:
    """Forget the months known here (tests that drop or recreate the table; the backwards
    migration 0001: keep this function)."""
    _known.clear()


def forecast_partitions_keep_ahead(*, now: datetime, ahead: int = 3) -> list[str]:
    """Make this month's partition and the `ahead` months after it (missing ones); idempotent.

    Read by the daily beat task and `manage.py forecast_partitions`. Returns the partitions'
    names (all of them, made now or before); nothing on SQLite.
    """
    if not partitioned():
        return []
    months = months_ahead(now=now, ahead=ahead)
    with transaction.atomic():
        partitions_create(months)
    return [PARTITIONS.name(date(year, month, 1)) for year, month in months]
