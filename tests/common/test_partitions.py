"""common/partitions.py: monthly declarative partitions on PostgreSQL, nothing on SQLite. The
apps' tables: tests/forecasts/test_partitions.py, tests/register/test_partitions.py."""

from __future__ import annotations

import importlib
from datetime import UTC, date, datetime

import pytest
from django.db import connection

from common.partitions import MonthlyPartitions, month_bounds, month_first, months_from
from forecasts.partitions import PARTITIONS as FORECAST_PARTITIONS

SCRATCH = MonthlyPartitions(parent="scratch_events", suffix="%Y%m", key="at", lock_key=42_4242,
                            default="scratch_events_default")
NO_DEFAULT = MonthlyPartitions(parent="scratch_plain", suffix="y%Ym%m", key="at", lock_key=42_4243)


def test_months_run_across_the_year_end_in_utc():
    assert months_from(date(2030, 11, 1), 3) == [date(2030, 11, 1), date(2030, 12, 1), date(2031, 1, 1)]
    # 00:30 in Stockholm on 1 February is still January in UTC.
    assert month_first(datetime(2030, 1, 31, 23, 30, tzinfo=UTC)) == date(2030, 1, 1)
    assert month_first(date(2030, 2, 17)) == date(2030, 2, 1)
    assert month_bounds(date(2030, 12, 1)) == (
        datetime(2030, 12, 1, tzinfo=UTC), datetime(2031, 1, 1, tzinfo=UTC))


def test_names_and_the_partition_statement():
    assert SCRATCH.name(date(2030, 1, 1)) == "scratch_events_203001"
    assert NO_DEFAULT.name(date(2030, 1, 1)) == "scratch_plain_y2030m01"
    assert NO_DEFAULT.partition_of_sql(date(2030, 12, 1)) == (
        "CREATE TABLE IF NOT EXISTS scratch_plain_y2030m12 PARTITION OF scratch_plain "
        "FOR VALUES FROM ('2030-12-01 00:00+00') TO ('2031-01-01 00:00+00')"
    )


def test_the_forecast_migration_keeps_its_own_sql_equal_to_the_modules_today():
    """Migration 0001 does not call the partition code (a later change there must not change the
    migration); today both make the same partitions."""
    migration = importlib.import_module("forecasts.migrations.0001_initial")
    for year, month in [(2027, 1), (2027, 12)]:
        assert migration.month_partition_sql(year, month) == FORECAST_PARTITIONS.partition_of_sql(
            date(year, month, 1))
    assert migration.months_ahead(datetime(2027, 11, 5, tzinfo=UTC), 2) == [(2027, 11), (2027, 12), (2028, 1)]


def test_sqlite_has_nothing_to_make(db):
    if connection.vendor == "postgresql":
        pytest.skip("the SQLite pass")
    assert SCRATCH.ensure([date(2030, 1, 1)]) == []
    assert NO_DEFAULT.create([date(2030, 1, 1)]) == 0


@pytest.fixture
def scratch(db):
    with connection.cursor() as cursor:
        for table in ("scratch_events", "scratch_plain"):
            cursor.execute(f"CREATE TABLE {table} (id bigint, at timestamptz NOT NULL)"
                           " PARTITION BY RANGE (at)")
        cursor.execute("CREATE TABLE scratch_events_default PARTITION OF scratch_events DEFAULT")


def _tables_of_rows(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {table} ORDER BY id")
        return [name for (name,) in cursor.fetchall()]


@pytest.mark.postgres
def test_ensure_adds_missing_months_and_moves_their_rows_out_of_the_default(scratch):
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO scratch_events VALUES (1, '2030-01-15Z'), (2, '2030-03-02Z')")
    months = months_from(date(2030, 1, 1), 2)

    assert SCRATCH.ensure(months, dry_run=True) == ["scratch_events_203001", "scratch_events_203002"]
    assert _tables_of_rows("scratch_events") == ["scratch_events_default"] * 2
    assert SCRATCH.ensure(months) == ["scratch_events_203001", "scratch_events_203002"]
    assert _tables_of_rows("scratch_events") == ["scratch_events_203001", "scratch_events_default"]
    assert SCRATCH.ensure(months) == []
    assert SCRATCH.existing() == {"scratch_events_default", "scratch_events_203001", "scratch_events_203002"}


@pytest.mark.postgres
def test_a_fill_writes_a_new_months_rows_before_it_is_attached(scratch):
    def fill(cursor, name, start, end):
        cursor.execute(f"INSERT INTO {name} VALUES (7, %s)", [start])

    assert SCRATCH.ensure([date(2030, 5, 1)], fill=fill) == ["scratch_events_203005"]
    assert _tables_of_rows("scratch_events") == ["scratch_events_203005"]


@pytest.mark.postgres
def test_create_makes_months_in_one_statement_idempotently(scratch, django_assert_num_queries):
    months = months_from(date(2030, 11, 1), 3)
    with django_assert_num_queries(1):
        assert NO_DEFAULT.create(months) == 3
    assert NO_DEFAULT.create(months) == 3  # IF NOT EXISTS: asking again changes nothing
    assert NO_DEFAULT.existing() == {
        "scratch_plain_y2030m11", "scratch_plain_y2030m12", "scratch_plain_y2031m01"}
    assert NO_DEFAULT.ensure(months + [date(2031, 2, 1)]) == ["scratch_plain_y2031m02"]
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO scratch_plain VALUES (1, '2031-02-28T23:59Z')")
    assert _tables_of_rows("scratch_plain") == ["scratch_plain_y2031m02"]
