"""The register's list reads a page off its index, newest first, without sorting the register
(PostgreSQL: the plan of the NRA's first page)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection

from register.selectors import record_list_for_user
from register.services import records_ingest
from tests.register.helpers import START, rec

pytestmark = pytest.mark.postgres


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def test_the_first_page_of_the_register_is_read_off_the_index(world):
    records = [
        rec(world, f"a{i}", kind="activation", quantity_mw="0.001", at=START + timedelta(minutes=15 * i),
            hours=0.25)
        for i in range(2000)
    ]
    records_ingest(caller=world.nordic, system_operator=world.cast.tso, records=records)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE register_recordrevision")
        sql, params = record_list_for_user(user=world.cast.nra_analyst)[:50].query.sql_with_params()
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        raw = cursor.fetchone()[0]
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]

    types = [node["Node Type"] for node in _nodes(plan)]
    assert "Sort" not in types, types
    assert any("Index" in t for t in types), types
