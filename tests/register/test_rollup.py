"""The register's rollup (register.services.rollup): kept at every write, it always equals the
figures computed from the records held in detail (register.selectors_figures) — after new
records, revisions (also into another month), cancellations and refused batches."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from register.models import RecordRevision, RegisterSummary
from register.selectors_figures import revisions_monthly_figures
from register.services import RecordsRefused, records_cancel, records_ingest
from register.services.rollup import rollup_rebuild
from tests.register.helpers import rec


def _rollup() -> set[tuple]:
    return {
        (s.system_operator_id, s.product_id, s.kind, s.direction, s.month, s.records, s.kw, s.kw_minutes)
        for s in RegisterSummary.objects.all() if s.records
    }


def _from_detail() -> set[tuple]:
    figures = revisions_monthly_figures(RecordRevision.objects.all())
    return {(*f.key, f.records, f.kw, f.kw_minutes) for f in figures}


def test_the_rollup_follows_every_write(world):
    tso = world.cast.tso
    send = [rec(world, "a", at=datetime(2030, 1, 31, 22, 30, tzinfo=UTC)),  # February in Stockholm
            rec(world, "b", kind="activation", quantity_mw="0.125"),
            rec(world, "c", at=datetime(2030, 3, 2, 9, tzinfo=UTC), hours=3)]
    records_ingest(caller=world.nordic, system_operator=tso, records=send)
    assert _rollup() == _from_detail() and len(_rollup()) == 3

    records_ingest(caller=world.nordic, system_operator=tso, records=[
        rec(world, "a", at=datetime(2030, 4, 1, 10, tzinfo=UTC), quantity_mw="0.3", revise=True)
    ])
    records_cancel(caller=world.nordic, system_operator=tso, external_ids=["c"])
    with pytest.raises(RecordsRefused):  # both ways: refused, nothing counted
        records_ingest(caller=world.flex, system_operator=world.cast.local, records=[
            rec(world, "d", kind="activation", direction="down", product=world.local_product.code)
        ])

    assert _rollup() == _from_detail()
    months = {row[4].month: row[5] for row in _rollup()}
    assert months == {1: 1, 4: 1}  # b (15 January), a moved to April; c cancelled


def test_an_award_of_an_hour_counts_its_kw_minutes(world):
    records_ingest(caller=world.nordic, system_operator=world.cast.tso, records=[
        rec(world, "a", quantity_mw="0.25", hours=2)
    ])

    summary = RegisterSummary.objects.get()
    assert (summary.records, summary.kw, summary.kw_minutes) == (1, 250, 250 * 120)


def test_a_rebuild_makes_the_same_rollup(world):
    records_ingest(caller=world.nordic, system_operator=world.cast.tso, records=[
        rec(world, "a"), rec(world, "b", kind="activation", at=datetime(2030, 2, 1, 10, tzinfo=UTC))
    ])
    kept = _rollup()

    assert rollup_rebuild() == 2
    assert _rollup() == kept
