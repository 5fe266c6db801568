"""Storage built for a time series: on PostgreSQL the forecast values are partitioned by delivery
month, made ahead by a daily beat task (and `manage.py forecast_partitions`), and by a publication
reaching a month not made yet; SQLite keeps one plain table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django_celery_beat.models import PeriodicTask

from common.db import fetch_all_recorded
from forecasts.models import ForecastValue
from forecasts.partitions import TABLE
from forecasts.selectors import forecast_values_as_of
from tests.forecasts.helpers import day_rows, publish

pytestmark = pytest.mark.django_db


def partitions() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s",
            [TABLE],
        )
        return {name for (name,) in cursor.fetchall()}


def test_a_daily_beat_task_keeps_the_partitions_ahead():
    task = PeriodicTask.objects.get(task="forecasts.tasks.forecast_partitions_task")
    assert task.enabled and (task.interval.every, task.interval.period) == (1, "days")


@pytest.mark.postgres
def test_the_value_table_is_partitioned_by_month():
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE relname = %s", [TABLE])
        assert cursor.fetchone() == ("p",)


@pytest.mark.postgres
def test_the_command_makes_the_months_ahead():
    out = StringIO()
    with time_machine.travel(datetime(2031, 11, 20, tzinfo=UTC), tick=False):
        call_command("forecast_partitions", months=2, stdout=out)
    assert {f"{TABLE}_y2031m11", f"{TABLE}_y2031m12", f"{TABLE}_y2032m01"} <= partitions()
    assert out.getvalue().startswith("3 monthly partitions present")


@pytest.mark.postgres
def test_a_publication_makes_a_month_not_made_yet(cast, zones):
    start = datetime(2031, 3, 1, tzinfo=UTC)
    assert f"{TABLE}_y2031m03" not in partitions()
    publish(cast, day_rows(start=start, hours=1), at=start - timedelta(days=1))
    assert f"{TABLE}_y2031m03" in partitions()
    assert ForecastValue.objects.filter(start=start).count() == 2


@pytest.mark.postgres
def test_an_as_of_read_scans_only_the_months_it_needs(cast, zones):
    publish(cast, day_rows(start=datetime(2027, 1, 6, tzinfo=UTC), hours=1))
    call_command("forecast_partitions", months=6, stdout=StringIO())
    rows = ForecastValue.objects.filter(
        zone_id=zones.north.pk,
        start__gte=datetime(2027, 1, 6, tzinfo=UTC),
        start__lt=datetime(2027, 1, 8, tzinfo=UTC),
    )
    plan = rows.explain()
    assert f"{TABLE}_y2027m01" in plan
    assert f"{TABLE}_y2027m03" not in plan
    assert (
        len(
            forecast_values_as_of(
                zone_ids=[zones.north.pk],
                start=datetime(2027, 1, 6, tzinfo=UTC),
                end=datetime(2027, 1, 7, tzinfo=UTC),
                as_of=datetime(2027, 1, 6, tzinfo=UTC),
            )
        )
        == 2
    )


def _plan_nodes(node: dict):
    yield node
    for child in node.get("Plans", ()):
        yield from _plan_nodes(child)


@pytest.mark.postgres
def test_the_48_hour_read_looks_each_publication_up_once(cast, zones):
    """The selector's own statement, EXPLAIN (ANALYZE): the rows come from the index
    forecast_value_as_of of the month's partition only (the other months pruned), and each
    publication of the rows kept is read once, not once per row (a join row by row read three
    index pages per row: 840 of a zone's 870 pages over 48 hours)."""
    day = datetime(2027, 1, 6, tzinfo=UTC)
    publish(cast, day_rows("NORTH", start=day, hours=24, mtu=15), mtu=15)
    publish(cast, day_rows("NORTH", start=day, hours=12, mtu=15), mtu=15, horizon="intraday",
            at=day - timedelta(hours=1))
    call_command("forecast_partitions", months=6, stdout=StringIO())
    with fetch_all_recorded() as recorded:
        rows = forecast_values_as_of(zone_ids=[zones.north.pk], start=day, end=day + timedelta(hours=48),
                                     as_of=day)
    assert len(rows) == 24 * 4 * 2 and {row["horizon"] for row in rows} == {"day_ahead", "intraday"}
    sql, params = recorded[0]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    nodes = list(_plan_nodes((plan[0] if isinstance(plan, list) else plan)["Plan"]))
    scanned = {node["Relation Name"] for node in nodes if "Relation Name" in node}
    assert scanned == {f"{TABLE}_y2027m01", "forecasts_publication"}
    publication_reads = [n for n in nodes if n.get("Relation Name") == "forecasts_publication"]
    assert sum(n["Actual Loops"] * max(n["Actual Rows"], 1) for n in publication_reads) <= 2


def test_sqlite_has_no_partitions(settings):
    if connection.vendor == "postgresql":
        pytest.skip("SQLite only")
    out = StringIO()
    call_command("forecast_partitions", stdout=out)
    assert out.getvalue().startswith("No partitions")


@pytest.mark.postgres
def test_the_48_hour_read_reads_its_publications_by_key_whatever_is_stored(cast, zones):
    """A year stored (SPEC §7: a resource's 48 hours in 20 ms): the rows statement reads the
    publications of the rows it keeps through the primary key, never a scan of every publication
    (a year of two publications a day for 20 operators is 14,600 of them). The table holds 5,000
    publications, both tables their statistics, as a year's would."""
    from forecasts.models import Publication

    day = datetime(2027, 1, 6, tzinfo=UTC)
    publish(cast, day_rows("NORTH", start=day, hours=24, mtu=15), mtu=15)
    publish(cast, day_rows("NORTH", start=day, hours=12, mtu=15), mtu=15, horizon="intraday",
            at=day - timedelta(hours=1))
    earlier = day - timedelta(days=400)
    Publication.objects.bulk_create(
        Publication(system_operator=cast.local, horizon="day_ahead", mtu_minutes=15,
                    published_at=earlier + timedelta(hours=2 * i), published_by=cast.local_engineer,
                    row_count=192, first_start=earlier, last_end=earlier + timedelta(days=1))
        for i in range(5000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE forecasts_publication")
        cursor.execute(f"ANALYZE {TABLE}")
    with fetch_all_recorded() as recorded:
        rows = forecast_values_as_of(zone_ids=[zones.north.pk], start=day, end=day + timedelta(hours=48),
                                     as_of=day)
    assert len(rows) == 24 * 4 * 2 and {row["horizon"] for row in rows} == {"day_ahead", "intraday"}
    sql, params = recorded[0]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    nodes = list(_plan_nodes((plan[0] if isinstance(plan, list) else plan)["Plan"]))
    reads = [node for node in nodes if node.get("Relation Name") == "forecasts_publication"]
    assert reads and all(node["Node Type"] != "Seq Scan" for node in reads), [n["Node Type"] for n in reads]
    assert all(node.get("Index Name") == "forecasts_publication_pkey" for node in reads)
    assert sum(node["Actual Loops"] * node["Actual Rows"] for node in reads) == 2


@pytest.mark.postgres
def test_the_fsps_read_of_its_unit_reads_the_months_index_never_the_month(cast, grid, zones):
    """The FSP's read of its SPU (the SPU and its zones' rows in one statement): the month's
    partition is read through forecast_value_as_of for the zones around the point, never scanned
    whole, with a month of 30 other zones' rows stored and the statistics taken (with the zones as
    `IN (SELECT ...)` PostgreSQL's custom plan hashed them and scanned the month: 2,455 pages)."""
    from forecasts.models import Publication
    from forecasts.selectors import forecast_for_spu

    day = datetime(2027, 1, 6, tzinfo=UTC)
    publish(cast, day_rows("NORTH", start=day, hours=24, mtu=15), mtu=15)
    publication = Publication.objects.get()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (publication_id, zone_id, start, direction, minutes, published_at, "
            "headroom_mw, level) SELECT %s, z, %s + make_interval(mins => 15 * q), d, 15, %s, 1, 0 "
            "FROM generate_series(100000, 100029) z, generate_series(0, 2879) q, "
            "unnest(ARRAY['up', 'down']) d",
            [publication.pk, datetime(2027, 1, 1, tzinfo=UTC), publication.published_at],
        )
        cursor.execute(f"ANALYZE {TABLE}")
    with fetch_all_recorded() as recorded:
        found = forecast_for_spu(user=cast.fsp_a_user, pk=grid.spu.pk, as_of=day)
    assert [len(zone.values) for zone in found.zones] == [24 * 4 * 2]
    sql, params = next(r for r in recorded if TABLE in r[0])
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    nodes = list(_plan_nodes((plan[0] if isinstance(plan, list) else plan)["Plan"]))
    months = [node for node in nodes if node.get("Relation Name", "").startswith(f"{TABLE}_")]
    assert {node["Relation Name"] for node in months} == {f"{TABLE}_y2027m01"}
    assert all(node["Node Type"] != "Seq Scan" for node in months), [n["Node Type"] for n in months]
