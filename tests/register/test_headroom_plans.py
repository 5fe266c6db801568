"""What the headroom reads (register/selectors_held.py) comes off the register's indexes
(PostgreSQL): an area's points off the GiST index on their location (migration 0011), then their
units' records and their groups' records off the held-by-SPU and held-by-SPG indexes, one unit or
group at a time; a point's records the same way; never a scan of the register's months."""

from __future__ import annotations

import json
from copy import copy as _copy
from datetime import timedelta

import pytest
from django.db import connection

from common.db import fetch_all_recorded
from observability.models import ConnectionPoint
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


def test_an_areas_records_come_off_an_index_never_a_scan_of_the_months(filled):
    """The records of the points in an area's box: from the units found there, each unit's
    records off the held-by-SPU index and each of its groups' off the held-by-SPG index (an
    equality on the unit or group: never a range of every group's records of the months, which
    cost 5 ms a check at SPEC §7 scale). Without the period index nothing changes."""
    rows = _area(filled)
    assert len(rows) == 8  # the four quarter-hours of that hour, of B-1 and of A-1 (both in the box)
    scans = _register_scans(lambda: _area(filled))
    assert scans and all("spu_id = " in cond or "spg_id = " in cond for _name, cond in scans), scans

    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX register_held_period")  # rolled back with the test
    scans = _register_scans(lambda: _area(filled))
    assert scans and not any("&&" in cond for _name, cond in scans), scans


def test_an_areas_points_come_off_the_location_index_never_a_scan_of_every_point(filled):
    """The points inside an area's box are read off the GiST index on their location (migration
    0011), or one by one by primary key from the records already found: never a scan of every
    point (SPEC §7: a million). Which of the two depends on the statistics (a CI rehearsal's
    planner started from the records, with this test's few rows). Without the location index,
    the records are still found (the slow way)."""
    def point_reads():
        return [(node["Node Type"], node.get("Index Name", ""), node.get("Index Cond", ""))
                for node in _plan_nodes(lambda: _area(filled))
                if node.get("Relation Name") == "observability_connectionpoint"
                or "register_point_location" in node.get("Index Name", "")]

    # A country's points, far from the box, with their statistics: with the test's handful of
    # points (and scans made the last resort) the planner may read the whole point table by its
    # primary key; with points as a live register has them, the box is selective.
    cp = filled.registry["cp_b"]
    ConnectionPoint.objects.bulk_create(
        copy(cp, pk=None, gsrn=f"{735999999000000000 + i}", latitude=58.0 + (i % 50) / 100,
             longitude=12.0 + (i // 50) / 100)
        for i in range(3000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE observability_connectionpoint")
    assert len(_area(filled)) == 8
    reads = point_reads()
    index_reads = [(name, cond) for kind, name, cond in reads if "Index" in kind]
    assert index_reads and not any(kind == "Seq Scan" for kind, _name, _cond in reads), reads
    assert all(name == "register_point_location" or "id" in cond for name, cond in index_reads), reads

    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX register_point_location")  # rolled back with the test
    assert all(name != "register_point_location" for _type, name, _cond in point_reads())
    assert len(_area(filled)) == 8  # the same records, the slow way


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
