"""The activation check's register reads name the month partitions they touch (PostgreSQL;
register.held_partitions): they learn the set from their own statement, follow a partition added
by another process, and read what the partitioned table holds."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from register import held_partitions
from register.selectors_held import held_at_point, holdings_of
from register.services import records_ingest
from register.services.partitions import partitions_add
from tests.register.helpers import START, rec

WINDOW = {"start": START - timedelta(hours=1), "end": START + timedelta(hours=3)}


def _reads(fn):
    with CaptureQueriesContext(connection) as captured:
        result = fn()
    return result, [q["sql"] for q in captured.captured_queries]


def _held(world):
    return holdings_of(resource=("spu", world.spu.pk), **WINDOW)


@pytest.mark.postgres
def test_the_first_read_learns_the_partitions_from_its_own_statement_then_names_them(world):
    partitions_add(first=date(2029, 12, 1), count=3)
    records_ingest(caller=world.nordic, system_operator=world.cast.tso, records=[rec(world)])

    first, first_sql = _reads(lambda: _held(world))
    second, second_sql = _reads(lambda: _held(world))

    assert [h.external_id for h in first] == [h.external_id for h in second] == ["r1"]
    assert len(first_sql) == len(second_sql) == 1
    assert "FROM register_recordrevision r " in first_sql[0]  # no set known yet: the table
    assert "register_recordrevision_203001" in second_sql[0]
    assert "register_recordrevision_203003" not in second_sql[0]  # months the period cannot touch
    assert "FROM register_recordrevision r " not in second_sql[0]


@pytest.mark.postgres
def test_a_month_added_by_another_process_is_read_after_one_more_statement(world):
    records_ingest(caller=world.nordic, system_operator=world.cast.tso, records=[rec(world)])  # default
    _held(world)
    assert held_partitions._known is not None
    assert "register_recordrevision_203001" not in held_partitions._known[1]
    stamp = held_partitions._known[0]

    # Another process adds January 2030: its rows move out of the default partition.
    partitions_add(first=date(2030, 1, 1), count=1)
    found, sql = _reads(lambda: _held(world))

    assert [h.external_id for h in found] == ["r1"]
    assert len(sql) == 2  # the marker said the set changed: read again on the new set
    assert "register_recordrevision_203001" in sql[1]
    assert held_partitions._known[0] != stamp
    assert _reads(lambda: _held(world))[1][0] == sql[1]  # and stays on it


@pytest.mark.postgres
def test_named_reads_give_what_the_partitioned_table_holds(world):
    partitions_add(first=date(2029, 12, 1), count=2)  # December and January; February in default
    records = [
        rec(world, "jan"),
        rec(world, "feb", at=START + timedelta(days=20), hours=2),
        rec(world, "late-dec", at=START - timedelta(days=20), hours=1),
    ]
    records_ingest(caller=world.nordic, system_operator=world.cast.tso, records=records)
    point = world.spu.connection_point_id

    def read(start, end):
        return sorted(h.external_id for h in held_at_point(connection_point_id=point, start=start, end=end))

    answers = []
    windows = [(START - timedelta(days=21), START + timedelta(days=21)), (START, START + timedelta(hours=1))]
    for start, end in windows:
        held_partitions.partitions_forget()
        from_table = read(start, end)
        assert held_partitions._known is not None
        answers.append((from_table, read(start, end)))
    assert answers == [(["feb", "jan", "late-dec"],) * 2, (["jan"],) * 2]


def test_on_sqlite_the_table_is_read(world):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite pass")
    records_ingest(caller=world.nordic, system_operator=world.cast.tso, records=[rec(world)])
    found, sql = _reads(lambda: _held(world))
    assert [h.external_id for h in found] == ["r1"]
    assert len(sql) == 1 and "FROM register_recordrevision r " in sql[0]
    assert held_partitions._known is None


@pytest.fixture
def months_dropped_after():
    """The partitions a transactional test made stay after it: dropped at its end."""
    yield
    with connection.cursor() as cursor:
        for name in ("register_recordrevision_202912", "register_recordrevision_203001"):
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
    held_partitions.partitions_forget()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_month_dropped_by_another_process_is_read_around(world, months_dropped_after):
    partitions_add(first=date(2029, 12, 1), count=2)
    records_ingest(caller=world.nordic, system_operator=world.cast.tso, records=[rec(world)])  # January
    _held(world)
    assert "register_recordrevision_202912" in held_partitions._known[1]

    with connection.cursor() as cursor:  # retention, in another process: December goes
        cursor.execute("DROP TABLE register_recordrevision_202912")
    found = _held(world)

    assert [h.external_id for h in found] == ["r1"]
    assert "register_recordrevision_202912" not in held_partitions._known[1]
