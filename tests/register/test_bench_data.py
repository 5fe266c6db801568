"""bench/register_data.py: the register's bench data keeps the promises other benches rely on
(records of one resource never overlap, at most half its capacity, whole hours), the SQL fill
(PostgreSQL) makes the same rows as the Python one (SQLite), and the months get partitions."""

from __future__ import annotations

import sys
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from register.models import RecordRevision, RegisterBatch, RegisterRecord
from register.selectors_grid import LAST_30, grid_chart, grid_chart_from_records, grid_window
from register.services import records_ingest
from tests.register.helpers import iso, rec
from tests.services import BASE_DIR

sys.path.insert(0, str(BASE_DIR / "bench"))

import register_data  # noqa: E402

START = datetime(2030, 1, 1, tzinfo=UTC)


def _fill(n: int = 400):
    return register_data.register_fill(n, start=START, months=12)


def _rows():
    return list(RecordRevision.objects.order_by("record__external_id").values_list(
        "kind", "spu_id", "spg_id", "product_id", "direction", "quantity_mw", "period_start", "period_end",
        "record__system_operator_id",
    ))


def test_the_fill_makes_one_current_revision_per_record_in_one_batch_per_operator(world):
    fill = _fill()

    assert (fill.records, fill.resources) == (400, 3)  # SPUs A-1, B-1 and SPG GA
    assert RegisterRecord.objects.count() == 400
    assert RecordRevision.objects.filter(is_current=True, revision=1).count() == 400
    batches = RegisterBatch.objects.all()
    operators = {world.mfrr.procuring_so_id, world.local_product.procuring_so_id}
    assert {b.system_operator_id for b in batches} == operators
    assert sum(b.created for b in batches) == 400
    assert {kind for kind, *_rest in _rows()} == {"award", "activation"}


def test_records_of_one_resource_never_overlap_and_hold_at_most_half_its_capacity(world):
    _fill()
    by_resource = defaultdict(list)
    for _kind, spu, spg, _product, direction, mw, start, end, _so in _rows():
        by_resource[(spu, spg)].append((start, end))
        assert direction in ("up", "down")
        assert Decimal("0.05") <= mw <= Decimal("0.25")  # capacity 0.5 MW each way
        assert start.minute == end.minute == 0 and START <= start < end <= START + timedelta(days=365)
    for periods in by_resource.values():
        periods.sort()
        assert all(a_end <= b_start for (_a, a_end), (b_start, _b) in zip(periods, periods[1:], strict=False))


def test_the_sql_fill_makes_the_rows_the_python_arithmetic_makes(world):
    fill = _fill()
    plan = register_data._Plan(400, fill.resources, START, fill.slot_minutes, 60, 0)
    products = register_data._products()
    resources = register_data._resources(START)

    expected = [register_data._record(plan, i, products=products, resources=resources) for i in range(400)]

    assert _rows() == expected


def test_a_record_of_half_the_capacity_still_passes_over_the_fill(world):
    _fill()
    held = RecordRevision.objects.filter(spu=world.spu).values_list("period_start", "period_end", "direction")
    start, end, direction = held[0]

    result = records_ingest(caller=world.nordic, system_operator=world.cast.tso, records=[
        rec(world, "on-top", quantity_mw="0.25", direction=direction, start=iso(start), end=iso(end))
    ])

    assert result.created == 1


def test_too_many_records_for_the_resources_are_refused(world):
    with pytest.raises(ValueError, match="do not fit"):
        register_data.register_fill(100_000, start=START, months=1)


@pytest.mark.postgres
def test_on_postgresql_every_month_has_its_partition_first(world):
    fill = _fill()

    assert len(fill.partitions) == 12
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT tableoid::regclass::text FROM register_recordrevision")
        tables = {name for (name,) in cursor.fetchall()}
    assert tables == {f"register_recordrevision_2030{m:02d}" for m in range(1, 13)}


def test_my_grids_summary_counts_the_fill(world):
    _fill()
    window = grid_window(period=LAST_30, now=START + timedelta(days=20))
    for so in (world.cast.local, world.cast.other_local):
        summary = grid_chart(system_operator=so, window=window)
        assert any(any(values) for values in summary.values())  # A-1, GA (local) and B-1 (other)
        records = grid_chart_from_records(system_operator=so, window=window)
        assert {k: pytest.approx(v) for k, v in summary.items()} == records
