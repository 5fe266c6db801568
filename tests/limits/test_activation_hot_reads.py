"""The activation check's hot reads (SPEC §7): rows as the ORM would give them, the statements a
check sends, prepared once per connection on PostgreSQL, a dropped connection replaced, and the
area limits found through their index."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection

from common.db import fetch_all, fetch_all_recorded, instance, model_columns
from limits.models import TemporaryLimit
from prequal.models import Case
from tests.limit_helpers import START, a_limit, check_body
from tests.limits.lean_entry import post


def test_fetch_all_converts_values_as_the_orm_does(grid):
    grid.prequalify(spu=grid.spu)
    fields = ("id", "status", "valid_until", "decided_at")
    rows = fetch_all(
        "SELECT id, status, valid_until, decided_at FROM prequal_case WHERE spu_id = %s",
        [grid.spu.pk],
        columns=model_columns(Case, fields),
    )
    expected = list(Case.objects.filter(spu=grid.spu).values_list(*fields))
    assert [tuple(r) for r in rows] == expected
    assert rows[0][3].tzinfo is not None


def test_instance_is_the_model_instance_the_orm_builds_with_the_others_deferred(grid):
    from django.db.models.signals import post_init

    fields = ("id", "fsp_id", "connection_point_id", "code", "name", "max_up_kw", "max_down_kw", "is_active")
    [values] = type(grid.spu).objects.filter(pk=grid.spu.pk).values_list(*fields)
    built = instance(type(grid.spu), fields, values)
    orm = type(grid.spu).objects.only(*fields).get(pk=grid.spu.pk)
    assert built == orm and type(built) is type(orm)
    assert {f: getattr(built, f) for f in fields} == {f: getattr(orm, f) for f in fields}
    assert built.get_deferred_fields() == orm.get_deferred_fields()
    assert (built._state.adding, built._state.db) == (orm._state.adding, orm._state.db)
    assert built.technology == orm.technology  # a deferred field loads on reading, as the ORM's
    assert built.fsp.pk == orm.fsp_id
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(receiver, sender=type(grid.spu))  # someone listens: Model.__init__ itself
    try:
        assert instance(type(grid.spu), fields, values) is seen[0]
    finally:
        post_init.disconnect(receiver, sender=type(grid.spu))


def test_fetch_all_recorded_gives_each_statement_of_a_check_with_its_parameters(grid, platform_token):
    """What bench/activation_bench.py's floor replays: the check's own statements, as sent."""
    grid.prequalify(spu=grid.spu)
    with fetch_all_recorded() as recorded:
        assert post(platform_token, check_body(grid))[0] == 200
    assert recorded and all(isinstance(sql, str) and isinstance(params, list) for sql, params in recorded)
    assert any(grid.spu.pk in params for _sql, params in recorded)
    made = len(recorded)
    fetch_all("SELECT 1")
    assert len(recorded) == made  # closed: later statements are not recorded
    with fetch_all_recorded() as again:
        fetch_all("SELECT 1")
    assert again == [("SELECT 1", [])]


@pytest.mark.postgres
def test_the_hot_statements_are_prepared_on_postgresql(grid, platform_token):
    grid.prequalify(spu=grid.spu)
    a_limit(grid)
    for quantity in ("0.1", "0.2"):
        assert post(platform_token, check_body(grid, quantity_mw=quantity))[0] == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE name LIKE '_pg3_%%'")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any("FROM prequal_spu s" in sql for sql in prepared), prepared
    assert any("FROM limits_temporarylimit" in sql for sql in prepared), prepared
    # A prepared statement sees data committed after it was prepared (plans, not results, are kept).
    TemporaryLimit.objects.update(quantity_mw=Decimal("0.2"))
    status, _, content = post(platform_token, check_body(grid, quantity_mw="0.3"))
    assert json.loads(content)["max_quantity_mw"] == "0.200"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_connection_the_server_dropped_is_replaced_without_an_error(grid, platform_token):
    """No per-request health check on the lean path: a dropped connection is found when a statement
    fails on it, and the read is sent again on a new one (outside a transaction)."""
    import psycopg

    from tests.services import database_url_for

    assert post(platform_token, check_body(grid))[0] == 200
    backend = connection.connection.info.backend_pid
    with psycopg.connect(database_url_for(connection.settings_dict), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [backend])
    status, _, content = post(platform_token, check_body(grid))
    assert status == 200, content
    assert connection.connection.info.backend_pid != backend


@pytest.mark.postgres
def test_area_limits_are_found_through_the_gist_index(grid):
    """EXPLAIN of the real limits query: the area branch uses limit_area_box_period, not a scan."""
    import json as json_
    import random

    from django.test.utils import CaptureQueriesContext

    from limits.activation import limits_overlapping
    from limits.models import TargetKind

    rng = random.Random(3)
    rows = []
    for _ in range(3000):  # many area limits over a month all over the country
        lon, lat = rng.uniform(11, 24), rng.uniform(55, 69)
        start = START + timedelta(hours=rng.randrange(24 * 30))
        rows.append(
            TemporaryLimit(
                system_operator=grid.cast.local,
                target_kind=TargetKind.AREA,
                area_geojson="{}",
                min_lon=lon - 0.1,
                max_lon=lon + 0.1,
                min_lat=lat - 0.05,
                max_lat=lat + 0.05,
                direction="up",
                quantity_mw=Decimal("0.5"),
                start=start,
                end=start + timedelta(hours=4),
                reason="bench",
                created_by=grid.cast.local_engineer,
            )
        )
    TemporaryLimit.objects.bulk_create(rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE limits_temporarylimit")
    with CaptureQueriesContext(connection) as ctx:
        limits_overlapping(
            start=START + timedelta(days=3),
            end=START + timedelta(days=3, hours=1),
            spu_ids=[grid.spu.pk],
            connection_point_ids=[grid.cp.pk],
            points=[(grid.cp.longitude, grid.cp.latitude), (15.0, 60.0)],
        )
    (sql,) = [q["sql"] for q in ctx.captured_queries if "limits_temporarylimit" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        plan = json_.dumps(cursor.fetchone()[0])
    assert plan.count('"Index Name": "limit_area_box_period"') == 2, plan
    assert '"Seq Scan"' not in plan, plan
