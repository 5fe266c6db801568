"""R11 Headroom at registration: the register refuses, as a conflict (409), a record that would
take the sum held under a limit on a connection point or an area over the limit, naming the
limit (limits/activation/headroom_guard.py, handed to register.sum_guard). The batch is all or
nothing; its records count in order; a revision replaces what it revises.

Two batches at once under one area limit (PostgreSQL): test_r11_reserve_race.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from shapely.geometry import box, mapping

from limits.models import TargetKind
from register.models import RecordRevision
from register.services import RecordsRefused, records_ingest
from tests.factories import ConnectionPointFactory
from tests.limit_helpers import START, limit
from tests.register.helpers import iso, platform

AREA = mapping(box(17.9, 59.2, 18.2, 59.4))


@pytest.fixture
def gi(grid):
    """The grid with two more 2 MW SPUs in the area (FSP B's `b1` at its own point, `b2` at
    grid.cp) and a platform `nordic` writing for the TSO."""
    grid.b1 = grid.new_spu(fsp=grid.cast.fsp_b, code="B-1", up_kw="2000")
    grid.b2 = grid.new_spu(fsp=grid.cast.fsp_b, code="B-2", up_kw="2000", cp=grid.cp)
    grid.nordic = platform("Nordic", grid.cast.tso)
    return grid


def rec(spu, mw, ext, *, at=START, minutes=60, **extra):
    return {
        "external_id": ext, "kind": "award", "spu": spu.pk, "product": "mfrr-energy", "direction": "up",
        "quantity_mw": str(mw), "start": iso(at), "end": iso(at + timedelta(minutes=minutes)), **extra,
    }


def send(grid, *records):
    return records_ingest(caller=grid.nordic, system_operator=grid.cast.tso, records=list(records))


def test_a_record_beyond_an_area_limits_headroom_is_refused_naming_the_limit(gi):
    area = limit(gi, quantity="1.5", target_kind=TargetKind.AREA, area=AREA)
    send(gi, rec(gi.b1, "1", "first"))
    with pytest.raises(RecordsRefused) as exc:
        send(gi, rec(gi.b2, "1", "second"))
    assert exc.value.status == 409
    message = exc.value.errors[0]["quantity_mw"][0]
    assert f"Temporary limit #{area.pk}" in message and "2 MW would be held" in message
    assert RecordRevision.objects.count() == 1


def test_a_batch_counts_its_records_in_order_and_is_all_or_nothing(gi):
    limit(gi, quantity="1.5", target_kind=TargetKind.AREA, area=AREA)
    with pytest.raises(RecordsRefused) as exc:
        send(gi, rec(gi.b1, "1", "a"), rec(gi.b2, "0.5", "b"), rec(gi.spu, "0.5", "c"))
    assert set(exc.value.errors) == {2}
    assert RecordRevision.objects.count() == 0
    # Market time unit by market time unit: the same 2 MW one after the other fit.
    send(gi, rec(gi.b1, "1.5", "d", minutes=30), rec(gi.b2, "1.5", "e", at=START + timedelta(minutes=30)))


def test_a_point_limit_bounds_the_sum_at_its_point_only(gi):
    limit(gi, quantity="1", target_kind=TargetKind.CONNECTION_POINT, connection_point=gi.cp)
    send(gi, rec(gi.b1, "2", "elsewhere"), rec(gi.spu, "0.6", "here"))  # b1 is at another point
    with pytest.raises(RecordsRefused):
        send(gi, rec(gi.b2, "0.5", "here-too"))


def test_an_spu_limit_does_not_bound_a_sum(gi):
    limit(gi, quantity="0.2")  # on grid.spu: the check's per-resource cap, not the register's
    send(gi, rec(gi.b1, "2", "x"), rec(gi.spu, "1", "y"))


def test_a_revision_replaces_what_it_revises(gi):
    limit(gi, quantity="1.5", target_kind=TargetKind.AREA, area=AREA)
    send(gi, rec(gi.b1, "1", "r"))
    send(gi, rec(gi.b1, "1.5", "r", revise=True))
    with pytest.raises(RecordsRefused):
        send(gi, rec(gi.b1, "1.6", "r", revise=True))


def test_an_spgs_record_counts_at_most_its_members_in_the_area(gi):
    limit(gi, quantity="1", target_kind=TargetKind.AREA, area=AREA)
    small = gi.new_spu(up_kw="300")
    far = gi.new_spu(cp=ConnectionPointFactory(connecting_so=gi.cast.local, latitude=58.0, longitude=15.0))
    spg = gi.spg_with_members(members=[small, far])
    send(gi, {**rec(small, "1.2", "g"), "spu": None, "spg": spg.pk})  # 0.3 MW of it in the area
    send(gi, rec(gi.b1, "0.7", "fits"))
    with pytest.raises(RecordsRefused):
        send(gi, rec(gi.b2, "0.1", "over"))


def test_the_api_answers_409_per_record(gi, api_as):
    limit(gi, quantity="0.5", target_kind=TargetKind.AREA, area=AREA)
    body = {"system_operator": gi.cast.tso.organisation.eic_code, "records": [rec(gi.b1, "1", "api")]}
    response = api_as(gi.nordic).post("/api/register/records/", body, format="json")
    assert response.status_code == 409
    assert "quantity_mw" in response.json()["errors"]["records"]["0"]
