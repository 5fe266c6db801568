"""The register's monthly partitions on PostgreSQL (register.models; migration 0001).

Rows of a month without its own partition land in the DEFAULT partition; adding the month moves
them into the new one, so the command can run late without losing anything. Run daily by Celery
beat (data migration register 0002) and by hand: `manage.py register_partitions`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from django.db import connection, transaction
from django.utils import timezone

PARENT = "register_recordrevision"
DEFAULT = f"{PARENT}_default"
LOCK_KEY = 0x5245_4749  # an advisory lock of this job's own: two runs take turns


def months_from(first: date, count: int) -> list[date]:
    months, year, month = [], first.year, first.month
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def partition_name(month: date) -> str:
    return f"{PARENT}_{month:%Y%m}"


def partitions_existing() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s",
            [PARENT],
        )
        return {name for (name,) in cursor.fetchall()}


def partitions_ensure(
    *, months_ahead: int = 3, today: date | None = None, dry_run: bool = False
) -> list[str]:
    """Make sure this month (UTC) and the next `months_ahead` have a partition each; return the
    names of those created (or, with `dry_run`, that would be). Nothing to do on SQLite."""
    if connection.vendor != "postgresql":
        return []
    first = (today or timezone.now().astimezone(UTC).date()).replace(day=1)
    existing = partitions_existing()
    missing = [m for m in months_from(first, months_ahead + 1) if partition_name(m) not in existing]
    if dry_run:
        return [partition_name(m) for m in missing]
    return [name for name in (_partition_add(month) for month in missing) if name]


def partitions_add(*, first: date, count: int, fill: Callable | None = None) -> list[str]:
    """Make sure the `count` months from `first` have a partition each (e.g. before a bulk load
    of past months); return the names created. Nothing to do on SQLite.

    `fill(cursor, name, start, end)`, if given, writes a new month's rows into its table before
    the table is attached: a bulk load then builds the indexes once, not row by row."""
    if connection.vendor != "postgresql":
        return []
    existing = partitions_existing()
    months = [m for m in months_from(first.replace(day=1), count) if partition_name(m) not in existing]
    return [name for name in (_partition_add(month, fill=fill) for month in months) if name]


@transaction.atomic
def _partition_add(month: date, *, fill: Callable | None = None) -> str | None:
    """Create the month's partition, move its rows out of the default partition (and `fill` it,
    see partitions_add), attach it."""
    name = partition_name(month)
    start = datetime(month.year, month.month, 1, tzinfo=UTC)
    following = months_from(month, 2)[1]
    end = datetime(following.year, following.month, 1, tzinfo=UTC)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        if name in partitions_existing():  # another run made it meanwhile
            return None
        cursor.execute(f"CREATE TABLE {name} (LIKE {PARENT} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
        cursor.execute(
            f"WITH moved AS (DELETE FROM {DEFAULT} WHERE period_start >= %s AND period_start < %s"
            " RETURNING *)"
            f" INSERT INTO {name} SELECT * FROM moved",
            [start, end],
        )
        if fill is not None:
            fill(cursor, name, start, end)
        cursor.execute(
            f"ALTER TABLE {PARENT} ATTACH PARTITION {name} FOR VALUES FROM (%s) TO (%s)", [start, end]
        )
    return name
