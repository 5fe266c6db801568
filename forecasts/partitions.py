"""Monthly partitions of the forecast value table on PostgreSQL (a plain table on SQLite).

The migration creates `forecasts_forecastvalue` as a table partitioned by range of `start`, one
partition per delivery month (`forecasts_forecastvalue_y2027m01`). The daily beat task
(forecasts.tasks.forecast_partitions_task) and `manage.py forecast_partitions` add the months
ahead; a publication reaching a month not yet made adds it first (forecast_partitions_ensure).
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import connection, transaction

TABLE = "forecasts_forecastvalue"
# Any constant: publications making the same new month wait for each other, not fail.
PARTITION_LOCK_KEY = 1_617_160_001

CREATE_PARENT = f"""
CREATE TABLE {TABLE} (
    publication_id bigint NOT NULL,
    zone_id bigint NOT NULL,
    start timestamp with time zone NOT NULL,
    direction varchar(4) NOT NULL,
    minutes smallint NOT NULL CHECK (minutes >= 0),
    published_at timestamp with time zone NOT NULL,
    headroom_mw numeric(10, 3) NOT NULL,
    level smallint NOT NULL CHECK (level >= 0),
    PRIMARY KEY (publication_id, zone_id, start, direction)
) PARTITION BY RANGE (start)
"""

# Months known to exist in this process: a publication asks the database only for new ones.
_known: set[tuple[int, int]] = set()


def month_of(moment: datetime) -> tuple[int, int]:
    moment = moment.astimezone(UTC)
    return moment.year, moment.month


def next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def partition_sql(year: int, month: int) -> str:
    end_year, end_month = next_month(year, month)
    return (
        f"CREATE TABLE IF NOT EXISTS {TABLE}_y{year:04d}m{month:02d} PARTITION OF {TABLE} "
        f"FOR VALUES FROM ('{year:04d}-{month:02d}-01 00:00+00') "
        f"TO ('{end_year:04d}-{end_month:02d}-01 00:00+00')"
    )


def partitioned(cursor_connection=None) -> bool:
    return (cursor_connection or connection).vendor == "postgresql"


def partitions_create(months: list[tuple[int, int]], *, using=None) -> int:
    """Make the partitions of `months` (those missing): one statement, under a transaction lock.

    Returns how many months were asked for the database (0 when all were known here).
    """
    conn = using or connection
    wanted = sorted(set(months) - _known)
    if not wanted or not partitioned(conn):
        return 0
    sql = f"SELECT pg_advisory_xact_lock({PARTITION_LOCK_KEY}); " + "; ".join(
        partition_sql(year, month) for year, month in wanted
    )
    with conn.cursor() as cursor:
        cursor.execute(sql)
    # Known once committed: a publication refused after this rolls the new partitions back.
    transaction.on_commit(lambda: _known.update(wanted), using=conn.alias)
    return len(wanted)


def months_ahead(*, now: datetime, ahead: int) -> list[tuple[int, int]]:
    """This month and the `ahead` months after it."""
    months, month = [], month_of(now)
    for _i in range(ahead + 1):
        months.append(month)
        month = next_month(*month)
    return months


def partitions_forget() -> None:
    """Forget the months known here (tests that drop or recreate the table)."""
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
    return [f"{TABLE}_y{year:04d}m{month:02d}" for year, month in months]
