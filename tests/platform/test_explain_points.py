"""The FSP's connection-point list and map read the FSP's units first, on both databases (issue 13).

An aggregator with many units: 20,000 connection points, 15,000 of them with an SPU of FSP A,
the rest with FSP B's. The visibility filter used to be a correlated EXISTS per point; SQLite
ran it by walking every point in GSRN order and, for each, the SPUs of that point, which with
200,000 points hung for minutes. Now the points come from the FSP's SPUs (an IN on their
connection points, read through the SPU table's FSP index), and the plan says so.

Each test runs the real selector, captures the SQL and reads the plan: EXPLAIN QUERY PLAN on
SQLite, EXPLAIN (FORMAT JSON) on PostgreSQL. Nothing here measures time.
"""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Membership
from observability.selectors import connection_point_list_for_user
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

POINTS = 20_000
FSP_A_POINTS = 15_000


def _load(cast) -> None:
    now = "2026-01-01 00:00:00"
    with connection.cursor() as cursor:
        points = [
            (f"7{i:017d}", cast.local.pk, 59 + (i % 100) / 100, 18 + (i % 97) / 100, "lv", "SE3", now, now)
            for i in range(1, POINTS + 1)
        ]
        cursor.executemany(
            "INSERT INTO observability_connectionpoint (gsrn, connecting_so_id, latitude, longitude, "
            "voltage_level, bidding_zone, created_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            points,
        )
        cursor.execute("SELECT id, gsrn FROM observability_connectionpoint WHERE gsrn LIKE '7%%'")
        ids = sorted(cursor.fetchall(), key=lambda r: r[1])
        spus = [
            (cast.fsp_a.pk if n < FSP_A_POINTS else cast.fsp_b.pk, point_id, f"BULK-{n:06d}", f"Unit {n}",
             "battery", 500, 500, True, now, now)
            for n, (point_id, _gsrn) in enumerate(ids)
        ]
        cursor.executemany(
            "INSERT INTO prequal_spu (fsp_id, connection_point_id, code, name, technology, max_up_kw, "
            "max_down_kw, is_active, created_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            spus,
        )
        cursor.execute("ANALYZE")


def _captured(call) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        call()
    return [q["sql"] for q in queries.captured_queries if "observability_connectionpoint" in q["sql"]]


def _sqlite_plan(sql: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql)
        return [row[-1] for row in cursor.fetchall()]


def _postgres_nodes(sql: str):
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        raw = cursor.fetchone()[0]
    stack = [(json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.get("Plans", []))


def test_an_fsps_points_come_from_its_units_not_a_check_per_point(cast):
    _load(cast)
    user = UserFactory(username="bulk-fsp")
    MembershipFactory(user=user, organisation=cast.fsp_a.organisation, role=Membership.Role.FSP_USER)

    def page():
        qs = connection_point_list_for_user(user=user)
        return qs.count(), list(qs[:50])

    statements = _captured(page)
    assert len(statements) == 2  # the count and the page
    for sql in statements:
        assert "EXISTS" not in sql, sql
        if connection.vendor == "sqlite":
            plan = _sqlite_plan(sql)
            # Was: SCAN observability_connectionpoint ... CORRELATED SCALAR SUBQUERY (per point).
            assert not [line for line in plan if "CORRELATED" in line], plan
            assert not [line for line in plan if line.startswith("SCAN observability_connectionpoint")], plan
            assert [line for line in plan if "USING INDEX spu_fsp_active (fsp_id=?)" in line], plan
        else:
            nodes = list(_postgres_nodes(sql))
            # A semi-join of the points with the FSP's units, never a subplan run per point.
            assert not [n for n in nodes if n.get("Parent Relationship") == "SubPlan"], sql
            assert [n for n in nodes if "Semi" in n.get("Join Type", "")], json.dumps(nodes[0], indent=1)
    count, rows = page()
    assert count == FSP_A_POINTS
    assert [p.gsrn for p in rows] == [f"7{i:017d}" for i in range(1, 51)]
