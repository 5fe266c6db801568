"""The register's monthly partitions (PostgreSQL): the command adds months ahead, moving rows of
those months out of the default partition; SQLite has one plain table."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from register.services import records_ingest
from register.services.partitions import partitions_ensure, partitions_existing
from tests.register.helpers import rec


def _tables_of_rows() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM register_recordrevision")
        return [name for (name,) in cursor.fetchall()]


@pytest.mark.postgres
def test_adding_a_month_moves_its_rows_out_of_the_default_partition(world):
    records_ingest(caller=world.nordic, system_operator=world.cast.tso, records=[rec(world)])  # January 2030
    assert _tables_of_rows() == ["register_recordrevision_default"]

    created = partitions_ensure(months_ahead=1, today=date(2030, 1, 20))

    assert created == ["register_recordrevision_203001", "register_recordrevision_203002"]
    assert _tables_of_rows() == ["register_recordrevision_203001"]
    assert partitions_ensure(months_ahead=1, today=date(2030, 1, 20)) == []
    records_ingest(caller=world.nordic, system_operator=world.cast.tso, records=[rec(world, "r2")])
    assert _tables_of_rows() == ["register_recordrevision_203001"] * 2


@pytest.mark.postgres
def test_the_command_adds_this_month_and_the_next(db):
    out = StringIO()
    call_command("register_partitions", "--months", "2", "--dry-run", stdout=out)
    assert "Would create 3 partition(s)" in out.getvalue()

    call_command("register_partitions", "--months", "2", stdout=StringIO())

    assert len(partitions_existing() - {"register_recordrevision_default"}) == 3


def test_on_sqlite_there_is_nothing_to_add(db):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite pass")
    out = StringIO()
    call_command("register_partitions", stdout=out)
    assert "no partitions" in out.getvalue()
