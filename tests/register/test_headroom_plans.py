"""What the headroom reads (register/selectors_held.py) comes off indexes (PostgreSQL): an area's
records off the GiST index on (point, period) of what is held where (migration 0013); a point's
units' records and their groups' records off the held-by-SPU and held-by-SPG indexes, one unit or
group at a time; never a scan of the register's months."""

from __future__ import annotations

import json
from copy import copy as _copy
from datetime import timedelta

import pytest
from django.db import connection

from common.db import fetch_all_recorded
from register.selectors_held import held_at_point, held_in_box
from register.services import records_ingest
from tests.register.helpers import START, rec

pytestmark = pytest.mark.postgres


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def copy(instance, **changes):
    """A copy of a model instance with some fields changed (unsaved)."""
    clone = _copy(instance)
    for name, value in changes.items():
        setattr(clone, name, value)
    return clone


def _register_scans(read) -> list[tuple[str, str]]:
    """(index name, index condition) of every scan of a register partition's index in the read's plan."""
    return [(node["Index Name"], node.get("Index Cond", "")) for node in _plan_nodes(read)
            if node.get("Index Name", "").startswith("register_recordrevision")]


def _partition_holds_rows(index_name: str) -> bool:
    """Whether the register partition an index belongs to holds any row: PostgreSQL may read an
    empty partition (the default one) through any of its indexes, which reads nothing and is no
    scan of a month."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indrelid::regclass::text FROM pg_index WHERE indexrelid = %s::regclass",
                       [index_name])
        (partition,) = cursor.fetchone()
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {partition})")
        return cursor.fetchone()[0]


@pytest.fixture
def filled(world):
    """2,000 quarter-hour activations on SPU B-1 (three weeks), four on A-1 three days in, and
    the statistics."""
    records = [
        rec(world, f"b{i}", kind="activation", quantity_mw="0.001", at=START + timedelta(minutes=15 * i),
            hours=0.25, spu=world.registry["spu_b"].pk)
        for i in range(2000)
    ] + [
        rec(world, f"a{i}", kind="activation", quantity_mw="0.001",
            at=START + timedelta(days=3, minutes=15 * i), hours=0.25)
        for i in range(4)
    ]
    records_ingest(caller=world.nordic, system_operator=world.cast.tso, records=records)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE register_recordrevision")
        # As in test_register_plans: with a test's few rows a scan costs about what an index
        # does, so the plan would follow stale statistics; scans are made the last resort.
        cursor.execute("SET LOCAL enable_seqscan = off")
    return world


def _area(world):
    cp = world.registry["cp_b"]
    box = (cp.longitude - 0.1, cp.latitude - 0.1, cp.longitude + 0.1, cp.latitude + 0.1)
    return held_in_box(box=box, start=START + timedelta(days=3), end=START + timedelta(days=3, hours=1))


def _plan_nodes(read) -> list[dict]:
    with fetch_all_recorded() as statements:
        read()
    (sql, params), = statements
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        raw = cursor.fetchone()[0]
    return list(_nodes((json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]))


def test_an_areas_records_come_off_the_held_point_index_never_a_scan(filled):
    """The records held in an area's box in the window come off the GiST index on (point,
    period) of what is held where (HeldPoint, migration 0013), one range of it: no register
    month, no point table, no visit to each unit in the box (about 0.01 ms a unit at SPEC §7
    scale). Only the record (its market) and the unit (its capacity) are read by key."""
    assert len(_area(filled)) == 8  # the four quarter-hours of that hour, of B-1 and of A-1 (both in the box)
    nodes = _plan_nodes(lambda: _area(filled))
    held = [node for node in nodes if node.get("Relation Name") == "register_heldpoint"]
    assert held and all(node.get("Index Name") == "register_held_point_where" for node in held), held
    read = {node.get("Relation Name") for node in nodes} - {None}
    assert read == {"register_heldpoint", "register_registerrecord", "prequal_spu"}, read
    assert all("Index" in node["Node Type"] for node in nodes if node.get("Relation Name")), nodes


def test_a_points_records_come_off_an_index_never_a_scan_of_the_months(filled):
    """A point's read is bounded by an index on every partition it touches: the held-by-SPU index
    or the period's. Which of the two depends on statistics earlier tests leave behind (two CI
    rehearsals took the period index where a local run took the SPU index): both read only
    the rows of the point's units or of the period, never a whole month. An empty partition (the
    default one) may be read through any index: that reads nothing, so it is left out."""
    cp = filled.registry["cp_a"]
    start = START + timedelta(days=3)

    def read():
        return held_at_point(connection_point_id=cp.pk, start=start, end=start + timedelta(hours=1))

    assert len(read()) == 4
    scans = [(name, cond) for name, cond in _register_scans(read) if _partition_holds_rows(name)]
    assert scans and all(
        "spu_id" in cond or "period_start" in cond or "period_end" in cond for _name, cond in scans
    ), scans
