"""An SPU's temporary limits come in the activation check's resource statement on PostgreSQL
(limits.activation.access, limits.activation.limit_lookup.limits_fold): the same limits, in the
same order, as their own read (limits_overlapping) gives, one statement less per check."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import pytest
import shapely
from django.db import connection

from common.db import fetch_all_recorded
from limits.activation import limits_overlapping
from limits.activation.access import activation_caller, activation_resource_for
from limits.models import TargetKind, TemporaryLimit
from tests.factories import ConnectionPointFactory
from tests.limit_helpers import START, check_body
from tests.register.helpers import platform

URL = "/api/activation-check/"
LIMITS_READ = 'SELECT "id", "system_operator_id", "target_kind"'  # limits_overlapping's own statement


@pytest.fixture
def limited(grid):
    """grid.spu prequalified, and 300 limits of every kind around it and elsewhere over two days:
    on it, on another SPU, on its point, on another point, on area boxes around its point and
    far from it; some lifted before, during or after their period."""
    grid.prequalify(spu=grid.spu)
    grid.balt = platform("Balt", grid.cast.tso)
    other_cp = ConnectionPointFactory(connecting_so=grid.cast.local, latitude=57.7, longitude=11.97)
    other_spu = grid.new_spu(cp=other_cp)
    lon, lat = grid.cp.longitude, grid.cp.latitude
    rng = random.Random(14)
    rows = []
    for _ in range(300):
        kind = rng.choice(["spu", "spu_other", "cp", "cp_other", "area", "area_far"])
        start = START + timedelta(minutes=15 * rng.randrange(4 * 48))
        end = start + timedelta(minutes=15 * rng.randint(1, 16))
        lifted = rng.choice([None, None, start - timedelta(hours=1), start + timedelta(minutes=15), end])
        target = {
            "spu": {"target_kind": TargetKind.SPU, "spu": grid.spu},
            "spu_other": {"target_kind": TargetKind.SPU, "spu": other_spu},
            "cp": {"target_kind": TargetKind.CONNECTION_POINT, "connection_point": grid.cp},
            "cp_other": {"target_kind": TargetKind.CONNECTION_POINT, "connection_point": other_cp},
            "area": _area(lon - rng.random(), lat - rng.random(), lon + rng.random(), lat + rng.random()),
            "area_far": _area(lon + 1, lat - 1, lon + 2, lat + 1),
        }[kind]
        rows.append(TemporaryLimit(
            system_operator=grid.cast.local, direction=rng.choice(["up", "down", "both"]),
            quantity_mw=Decimal(rng.choice(["0.2", "0.5", "0.5", "1.0"])), start=start, end=end,
            lifted_at=lifted, reason="Maintenance", created_by=grid.cast.local_engineer, **target,
        ))
    TemporaryLimit.objects.bulk_create(rows)
    return grid


def _area(min_lon, min_lat, max_lon, max_lat) -> dict:
    geojson = shapely.to_geojson(shapely.box(min_lon, min_lat, max_lon, max_lat))
    return {"target_kind": TargetKind.AREA, "area_geojson": geojson, "min_lon": min_lon, "max_lon": max_lon,
            "min_lat": min_lat, "max_lat": max_lat}


def _fields(limits):
    names = [f.attname for f in TemporaryLimit._meta.concrete_fields if f.attname not in ("area_geojson",)]
    return [tuple(limit.__dict__.get(name) for name in names) for limit in limits]


def _resource(grid, period):
    """(the SPU as the check reads it, with `period` as its holdings' period; its statements and
    their parameters)."""
    caller = activation_caller(user=grid.balt)
    with fetch_all_recorded() as statements:
        resource = activation_resource_for(
            caller=caller, system_operator=grid.cast.tso, product=grid.mfrr, spu_id=grid.spu.pk,
            holdings_period=period,
        )
    return resource, statements


@pytest.mark.postgres
def test_the_folded_limits_are_those_of_their_own_read_in_its_order(limited):
    rng = random.Random(5)
    found = 0
    for _ in range(60):
        start = START + timedelta(minutes=15 * rng.randrange(4 * 50))
        end = start + timedelta(minutes=15 * rng.randint(1, 24))
        resource, statements = _resource(limited, (start, end))
        own = limits_overlapping(
            start=start, end=end, spu_ids=[limited.spu.pk], connection_point_ids=[limited.cp.pk],
            points=[(limited.cp.longitude, limited.cp.latitude)],
        )
        assert resource.prefetched_limits[0] == (start, end)
        assert _fields(resource.prefetched_limits[1]) == _fields(own)
        assert len(statements) == 1
        found += len(own)
    assert found > 100  # the periods met limits of every kind, not only empty answers


@pytest.mark.postgres
def test_the_check_reads_no_limits_apart_and_answers_as_with_them(limited, api_as, monkeypatch):
    client = api_as(limited.balt)
    body = check_body(limited, quantity_mw="0.9", start="2027-06-01T14:00:00Z", end="2027-06-01T16:00:00Z")
    with fetch_all_recorded() as statements:
        folded = client.post(URL, body, format="json")
    assert folded.status_code == 200, folded.content
    assert not [sql for sql, _ in statements if sql.startswith(LIMITS_READ)]
    assert folded.json()["limits"]  # the period meets limits on the SPU, its point and areas around it

    monkeypatch.setattr("limits.activation.access.limits_fold", lambda **kwargs: None)
    with fetch_all_recorded() as statements:
        apart = client.post(URL, body, format="json")
    assert [sql for sql, _ in statements if sql.startswith(LIMITS_READ)]
    assert apart.json() == folded.json()


@pytest.mark.postgres
def test_the_folded_read_goes_through_the_limits_indexes(limited):
    """EXPLAIN of the real statement, with area limits all over the country (the plan a live
    register gets): an index for the SPU, its point and the area boxes, no scan of the limits."""
    rng = random.Random(3)
    far = []
    for _ in range(3000):
        lon, lat = rng.uniform(11, 24), rng.uniform(55, 69)
        start = START + timedelta(hours=rng.randrange(24 * 30))
        far.append(TemporaryLimit(
            system_operator=limited.cast.local, direction="up", quantity_mw=Decimal("0.5"), start=start,
            end=start + timedelta(hours=4), reason="Far", created_by=limited.cast.local_engineer,
            **_area(lon - 0.1, lat - 0.05, lon + 0.1, lat + 0.05),
        ))
    TemporaryLimit.objects.bulk_create(far)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE limits_temporarylimit")
    day = START + timedelta(days=3)
    _spu, ((sql, params),) = _resource(limited, (day, day + timedelta(hours=1)))
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    (fold,) = [node for node in _nodes(plan[0]["Plan"]) if node.get("Subplan Name") == "CTE lim"]
    scans = [node for node in _nodes(fold) if node.get("Relation Name") == "limits_temporarylimit"
             or node["Node Type"] == "Bitmap Index Scan"]  # a bitmap index scan names no relation
    conditions = [scan.get("Index Cond", "") for scan in scans]
    # Each branch of the OR off an index (which of the SPU's two indexes depends on the statistics:
    # the partial one on (spu, end) or the foreign key's), the areas off the GiST index on their box.
    assert any("spu_id = " in cond for cond in conditions), scans
    assert any("connection_point_id = " in cond for cond in conditions), scans
    assert "limit_area_box_period" in {scan.get("Index Name") for scan in scans}, scans
    assert not [scan for scan in scans if scan["Node Type"] == "Seq Scan"], scans


def _nodes(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def test_on_sqlite_or_without_a_period_the_limits_are_read_apart(limited):
    resource, _statements = _resource(limited, None)
    assert not hasattr(resource, "prefetched_limits")
    if connection.vendor == "sqlite":
        assert not hasattr(_resource(limited, (START, START + timedelta(hours=1)))[0], "prefetched_limits")
