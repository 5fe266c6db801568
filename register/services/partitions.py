"""The register's monthly partitions on PostgreSQL (register.models; migration 0001).

Rows of a month without its own partition land in the DEFAULT partition; adding the month moves
them into the new one, so the command can run late without losing anything. Run daily by Celery
beat (data migration register 0002) and by hand: `manage.py register_partitions`. How months are
made is common.partitions'; this module keeps the table's own parts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.utils import timezone

from common.partitions import MonthlyPartitions, month_first, months_from

PARENT = "register_recordrevision"
DEFAULT = f"{PARENT}_default"
LOCK_KEY = 0x5245_4749  # an advisory lock of this job's own: two runs take turns
PARTITIONS = MonthlyPartitions(parent=PARENT, suffix="%Y%m", key="period_start", lock_key=LOCK_KEY,
                               default=DEFAULT)

__all__ = ["DEFAULT", "PARENT", "months_from", "partition_name", "partitions_add", "partitions_ensure",
           "partitions_existing"]


def partition_name(month: date) -> str:
    return PARTITIONS.name(month)


def partitions_existing() -> set[str]:
    return PARTITIONS.existing()


def partitions_ensure(
    *, months_ahead: int = 3, today: date | None = None, dry_run: bool = False
) -> list[str]:
    """Make sure this month (UTC) and the next `months_ahead` have a partition each; return the
    names of those created (or, with `dry_run`, that would be). Nothing to do on SQLite."""
    first = month_first(today or timezone.now())
    return PARTITIONS.ensure(months_from(first, months_ahead + 1), dry_run=dry_run)


def partitions_add(*, first: date, count: int, fill: Callable | None = None) -> list[str]:
    """Make sure the `count` months from `first` have a partition each (e.g. before a bulk load
    of past months); return the names created. Nothing to do on SQLite.

    `fill(cursor, name, start, end)`, if given, writes a new month's rows into its table before
    the table is attached: a bulk load then builds the indexes once, not row by row."""
    return PARTITIONS.ensure(months_from(month_first(first), count), fill=fill)
