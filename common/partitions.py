"""Monthly declarative partitions on PostgreSQL (range of a timestamp column, one partition per
UTC month); nothing on SQLite, where the table stays a plain one.

One `MonthlyPartitions` per partitioned table, in its app (forecasts/partitions.py,
register/services/partitions.py), which keeps only what is the table's own: its name, the
partitions' names, the column it is split on, its lock, whether it has a DEFAULT partition, and
the parent's columns and indexes (written by its migration). Two ways to add months:

- `create(months)`: one statement `CREATE TABLE IF NOT EXISTS … PARTITION OF …` per month under the
  table's advisory lock, for a table without a DEFAULT partition (nothing to move): cheap enough
  for a write path that may reach a new month (a forecast publication);
- `ensure(months)`: the months missing (asked of the catalogue), each added in its own
  transaction; with a DEFAULT partition, the month's rows are moved out of it into the new table
  before it is attached, so adding a month late loses nothing. `fill` lets a bulk load write a new
  month's rows before the attach (its indexes are then built once).

Both take the table's advisory lock: two runs (a beat task and a command) take turns. Migrations
do not import this module: they keep their own SQL, so a later change here cannot change them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.db import connection, transaction

_EXISTING = (
    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
    " JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s"
)


def month_first(moment: datetime | date) -> date:
    """The first day of the UTC month of `moment` (a datetime) or of `moment`'s month (a date)."""
    if isinstance(moment, datetime):
        moment = moment.astimezone(UTC).date()
    return moment.replace(day=1)


def months_from(first: date, count: int) -> list[date]:
    """`count` months (their first days) from `first`'s month on."""
    months, year, month = [], first.year, first.month
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The month's range in UTC: [first instant, first instant of the next month)."""
    following = months_from(month, 2)[1]
    return (datetime(month.year, month.month, 1, tzinfo=UTC),
            datetime(following.year, following.month, 1, tzinfo=UTC))


def is_partitioned(using=None) -> bool:
    """Partitions are PostgreSQL's: on SQLite the table is a plain one."""
    return (using or connection).vendor == "postgresql"


@dataclass(frozen=True)
class MonthlyPartitions:
    """A table partitioned by month: `parent`, its partitions named `parent_<month as suffix>`
    (`suffix` a strftime format, e.g. "y%Ym%m" or "%Y%m"), split on the column `key`, made under
    the advisory lock `lock_key`; `default` names its DEFAULT partition, if it has one."""

    parent: str
    suffix: str
    key: str
    lock_key: int
    default: str | None = None

    def name(self, month: date) -> str:
        return f"{self.parent}_{month.strftime(self.suffix)}"

    def partition_of_sql(self, month: date) -> str:
        """The month's partition, made if missing (bounds as literals: DDL takes no parameters)."""
        start, end = month_bounds(month)
        return (
            f"CREATE TABLE IF NOT EXISTS {self.name(month)} PARTITION OF {self.parent} "
            f"FOR VALUES FROM ('{start:%Y-%m-%d %H:%M}+00') TO ('{end:%Y-%m-%d %H:%M}+00')"
        )

    def existing(self, *, using=None) -> set[str]:
        """The names of the table's partitions (the DEFAULT one included)."""
        with (using or connection).cursor() as cursor:
            cursor.execute(_EXISTING, [self.parent])
            return {name for (name,) in cursor.fetchall()}

    def create(self, months: Iterable[date], *, using=None) -> int:
        """Make the partitions of `months` that are missing: one statement under the lock (a table
        without a DEFAULT partition). Returns how many months were asked for; 0 on SQLite."""
        conn = using or connection
        wanted = sorted(set(months))
        if not wanted or not is_partitioned(conn):
            return 0
        with conn.cursor() as cursor:
            cursor.execute(f"SELECT pg_advisory_xact_lock({int(self.lock_key)}); " + "; ".join(
                self.partition_of_sql(month) for month in wanted))
        return len(wanted)

    def ensure(
        self, months: Iterable[date], *, dry_run: bool = False, fill: Callable | None = None
    ) -> list[str]:
        """Add the partitions of `months` that are missing, each in its own transaction; return the
        names added (with `dry_run`, that would be). Nothing on SQLite.

        `fill(cursor, name, start, end)`, if given, writes a new month's rows into its table
        before the table is attached."""
        if not is_partitioned():
            return []
        existing = self.existing()
        missing = [m for m in sorted(set(months)) if self.name(m) not in existing]
        if dry_run:
            return [self.name(m) for m in missing]
        return [name for name in (self.add(month, fill=fill) for month in missing) if name]

    def add(self, month: date, *, fill: Callable | None = None) -> str | None:
        """Add the month's partition (None if another run made it meanwhile): with a DEFAULT
        partition or a `fill`, made apart, given its rows, then attached; else made in place."""
        name = self.name(month)
        start, end = month_bounds(month)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [self.lock_key])
            if name in self.existing():
                return None
            if self.default is None and fill is None:
                cursor.execute(self.partition_of_sql(month))
                return name
            cursor.execute(
                f"CREATE TABLE {name} (LIKE {self.parent} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
            )
            if self.default is not None:
                cursor.execute(
                    f"WITH moved AS (DELETE FROM {self.default} WHERE {self.key} >= %s AND {self.key} < %s"
                    " RETURNING *)"
                    f" INSERT INTO {name} SELECT * FROM moved",
                    [start, end],
                )
            if fill is not None:
                fill(cursor, name, start, end)
            cursor.execute(
                f"ALTER TABLE {self.parent} ATTACH PARTITION {name} FOR VALUES FROM (%s) TO (%s)",
                [start, end],
            )
        return name
