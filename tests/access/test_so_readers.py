"""SPEC §4 kept as rows (prequal.models.readers, observability's ConnectionPointReader).

Who reads which SPU, SPG and point is written when what decides it changes; these tests walk
the changes through the services and compare, after each, the rows kept with the rows the rule
gives from scratch (`so_readers_rebuild`), then check that the lists read them: an SO's list
counts from its rows alone while only the status narrows it, and exactly otherwise.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from observability.models import ConnectionPointReader
from observability.selectors import connection_point_list_for_user
from prequal.models import Spg, SpgReader, Spu, SpuReader
from prequal.selectors.resources import spg_list_for_user, spu_list_for_user
from prequal.services.readers import so_readers_rebuild
from prequal.services.resources import (
    spg_create,
    spg_member_add,
    spg_member_end,
    spu_deactivate,
    spu_register,
    spu_update,
)
from tests.factories import ConnectionPointFactory, SpuFactory

pytestmark = pytest.mark.django_db


def _rows() -> dict[str, set]:
    return {
        "spu": set(SpuReader.objects.values_list("system_operator_id", "spu_id", "spu_code", "is_active",
                                                 "connection_point_id")),
        "spg": set(SpgReader.objects.values_list("system_operator_id", "spg_id")),
        "point": set(ConnectionPointReader.objects.values_list("system_operator_id", "connection_point_id",
                                                               "gsrn")),
    }


def _kept_as_the_rule_says() -> dict[str, set]:
    """The rows kept, checked against the rows the rule writes from scratch."""
    kept = _rows()
    so_readers_rebuild()
    assert _rows() == kept
    return kept


def _reads(so, kind: str) -> set[int]:
    return {row[1] for row in _kept_as_the_rule_says()[kind] if row[0] == so.pk}


def test_the_rows_follow_every_change_through_the_services(wf):
    cast = wf.cast
    fsp_user = cast.fsp_a_user
    # A unit registered: its connecting SO reads it and its point; nobody else yet.
    spu = spu_register(
        user=fsp_user, fsp=cast.fsp_a, gsrn=ConnectionPointFactory.build().gsrn, code="NEW-1", name="New",
        technology=Spu.Technology.BATTERY, max_up_kw=Decimal("100"), max_down_kw=Decimal("100"),
        connecting_so=cast.local, x=18.06, y=59.33, voltage_level="lv", bidding_zone="SE3",
        confirm_outside_area=True, outside_area_reason="Test point",
    )
    assert spu.pk in _reads(cast.local, "spu") and spu.pk not in _reads(cast.tso, "spu")
    assert spu.connection_point_id in _reads(cast.local, "point")
    # Its case is assessed by the TSO (the product's procurer): the TSO reads it and its point.
    wf.submitted(spu=spu)
    assert spu.pk in _reads(cast.tso, "spu")
    assert spu.connection_point_id in _reads(cast.tso, "point")
    # Moved to the other local DSO's point: that DSO reads it (the first DSO still does: it
    # assessed its case); the former point stays the first DSO's (it connects it), the TSO's not.
    former = spu.connection_point_id
    other_point = ConnectionPointFactory(connecting_so=cast.other_local)
    spu = spu_update(user=fsp_user, spu=spu, connection_point=other_point)
    assert spu.pk in _reads(cast.other_local, "spu") and spu.pk in _reads(cast.local, "spu")
    assert former in _reads(cast.local, "point") and former not in _reads(cast.tso, "point")
    assert other_point.pk in _reads(cast.tso, "point")
    # A group with the unit as a future member, then the membership withdrawn before it starts.
    spg = spg_create(user=fsp_user, fsp=cast.fsp_a, code="G-1", name="Group", bidding_zone="SE3")
    membership = spg_member_add(user=fsp_user, spg=spg, spu=spu,
                                valid_from=timezone.now() + timezone.timedelta(days=1))
    assert spg.pk in _reads(cast.other_local, "spg")
    spg_member_end(user=fsp_user, membership=membership)
    assert spg.pk not in _reads(cast.other_local, "spg")
    # Deactivated: still read, its rows say so.
    spu_deactivate(user=fsp_user, spu=spu)
    assert {row[3] for row in _kept_as_the_rule_says()["spu"] if row[1] == spu.pk} == {False}


def test_a_groups_case_lets_its_assessors_read_every_member(wf):
    case = wf.spg_case()
    members = set(Spg.objects.get(pk=case.spg_id).memberships.values_list("spu_id", flat=True))
    assert members <= _reads(wf.cast.tso, "spu")  # the TSO assesses, connects none of them
    assert case.spg_id in _reads(wf.cast.tso, "spg")
    assert {wf.cast.local.pk, wf.cast.other_local.pk} <= {
        so for so, spg in _kept_as_the_rule_says()["spg"] if spg == case.spg_id}


def _count_sql(qs) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        qs.all().count()  # a fresh queryset: a fetched one counts what it holds
    return [q["sql"] for q in queries.captured_queries]


def test_an_sos_lists_count_from_its_rows_while_only_the_status_narrows_them(wf):
    cast = wf.cast
    for n in range(3):
        SpuFactory(fsp=cast.fsp_a, connection_point=ConnectionPointFactory(connecting_so=cast.local),
                   code=f"L-{n}", technology=Spu.Technology.HEAT_PUMP if n else Spu.Technology.BATTERY)
    SpuFactory(fsp=cast.fsp_b, connection_point=ConnectionPointFactory(connecting_so=cast.other_local))
    spu_deactivate(user=cast.fsp_a_user, spu=Spu.objects.get(code="L-0"))
    user = cast.local_engineer
    for active, expected in ((True, 3), (False, 1), (None, 4)):  # wf's BAT-1 and L-0..L-2
        qs = spu_list_for_user(user=user, active=active)
        assert qs.count() == len(list(qs)) == expected
        [sql] = _count_sql(qs)
        assert '"prequal_spureader"' in sql and 'FROM "prequal_spu"' not in sql, sql
        assert [s.code for s in qs] == sorted(s.code for s in qs)
    # Any other filter counts through the units, exactly.
    qs = spu_list_for_user(user=user, active=True).filter(technology=Spu.Technology.HEAT_PUMP)
    assert qs.count() == len(list(qs)) == 2
    assert 'FROM "prequal_spu"' in _count_sql(qs)[0]
    points = connection_point_list_for_user(user=user)
    assert points.count() == len(list(points)) == 4
    assert '"observability_connectionpointreader"' in _count_sql(points)[0]
    assert list(spg_list_for_user(user=user)) == []


def test_a_user_of_two_operators_reads_what_either_reads(wf):
    from tests.factories import MembershipFactory

    cast = wf.cast
    user = cast.local_engineer
    MembershipFactory(user=user, organisation=cast.other_local.organisation, role="so_viewer")
    SpuFactory(fsp=cast.fsp_b, connection_point=ConnectionPointFactory(connecting_so=cast.other_local))
    qs = spu_list_for_user(user=user, active=None)
    assert qs.count() == len(list(qs)) == 2
    assert connection_point_list_for_user(user=user).count() == 2
