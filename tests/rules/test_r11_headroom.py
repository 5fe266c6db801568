"""R11 Headroom: a limit on a connection point or an area bounds the SUM held there (register
records of every resource there), per direction and market time unit; the activation check
answers with the headroom. A limit on an SPU or SPG stays a per-resource cap. Reason texts by
role: an SO reads the holders' names, a market platform and an FSP their count.

Reservations (check-then-award under one lock): tests/rules/test_r11_reserve.py."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from shapely.geometry import box, mapping

from limits.activation import GREEN, RED, YELLOW, activation_check
from limits.activation.access import activation_caller
from limits.models import TargetKind
from prequal.models import Direction
from register.services import records_cancel, records_ingest
from tests.factories import ConnectionPointFactory
from tests.limit_helpers import START, check, limit
from tests.register.helpers import iso, platform

AREA = mapping(box(17.9, 59.2, 18.2, 59.4))  # around Stockholm: grid.cp and grid.new_spu()'s points
QUARTER = timedelta(minutes=15)


@pytest.fixture
def hr(grid):
    """The grid with `grid.spu` prequalified, FSP B's SPU `other` (2 MW up) in the area at another
    point, and two market platforms (`nordic`, `flex`) that write for the TSO."""
    grid.prequalify(spu=grid.spu)
    grid.other = grid.new_spu(fsp=grid.cast.fsp_b, code="B-7", up_kw="2000")
    grid.nordic = platform("Nordic", grid.cast.tso)
    grid.flex = platform("Flex", grid.cast.tso)
    return grid


def hold(
    grid, spu, mw, *, sender=None, at=START, minutes=60, kind="award", direction="up", ext=None, spg=None
):
    """Register an award (or activation) of `mw` on `spu` (or `spg`) from `at` for `minutes`."""
    resource = {"spg": spg.pk} if spg is not None else {"spu": spu.pk}
    record = {
        "external_id": ext or f"{kind}-{resource}-{at:%H%M}-{mw}", "kind": kind, **resource,
        "product": "mfrr-energy", "direction": direction, "quantity_mw": str(mw), "start": iso(at),
        "end": iso(at + timedelta(minutes=minutes)),
    }
    records_ingest(caller=sender or grid.nordic, system_operator=grid.cast.tso, records=[record])


def area_limit(grid, quantity, **kwargs):
    return limit(grid, quantity=quantity, target_kind=TargetKind.AREA, area=AREA, **kwargs)


# --- the sum under an area or point limit -------------------------------------------------------


def test_an_area_limit_bounds_the_sum_the_check_answers_with_the_headroom(hr):
    area = area_limit(hr, "2")
    hold(hr, hr.other, "1.5")
    verdict = check(hr, quantity="1")
    assert (verdict.color, verdict.max_quantity_mw, verdict.limits) == (YELLOW, Decimal("0.5"), [area])
    assert any("other resources hold up to 1.5 MW" in r and "0.5 MW left" in r for r in verdict.reasons)
    # The limit is on "up" only: down is free.
    assert check(hr, direction=Direction.DOWN, quantity="1").color == GREEN


def test_red_when_nothing_is_left_under_the_limit(hr):
    area_limit(hr, "2")
    hold(hr, hr.other, "1")
    hold(hr, hr.new_spu(fsp=hr.cast.fsp_b), "1")
    verdict = check(hr, quantity="0.1")
    assert (verdict.color, verdict.max_quantity_mw) == (RED, Decimal(0))
    assert "nothing is allowed" in verdict.reasons[0]


def test_without_holders_the_limit_is_the_headroom(hr):
    area_limit(hr, "2")
    verdict = check(hr, quantity="1")
    assert (verdict.color, verdict.max_quantity_mw) == (YELLOW, Decimal("1"))  # capped by its 1 MW
    assert any("nothing else is held there" in r and "2 MW left" in r for r in verdict.reasons)


def test_the_headroom_is_per_market_time_unit_the_fullest_unit_counts(hr):
    area_limit(hr, "2")
    hold(hr, hr.other, "1.5", minutes=15)  # 12:00–12:15
    hold(hr, hr.new_spu(fsp=hr.cast.fsp_b), "1", at=START + 2 * QUARTER, minutes=15)  # 12:30–12:45
    assert check(hr, quantity="1", start=START + QUARTER, end=START + 2 * QUARTER).max_quantity_mw == 1
    assert check(hr, quantity="1", start=START + 2 * QUARTER).max_quantity_mw == 1  # 1 held → 1 left
    assert check(hr, quantity="1").max_quantity_mw == Decimal("0.5")  # the whole hour: 12:00–12:15


def test_overlapping_records_of_two_markets_add_up(hr):
    area_limit(hr, "2")
    hold(hr, hr.other, "1", minutes=30)  # 12:00–12:30
    hold(hr, hr.new_spu(fsp=hr.cast.fsp_b), "0.8", sender=hr.flex, at=START + QUARTER, minutes=30)
    verdict = check(hr, quantity="1")  # 12:15–12:30 holds 1.8
    assert verdict.max_quantity_mw == Decimal("0.2")


def test_one_market_holds_the_larger_of_its_award_and_activation(hr):
    area_limit(hr, "2")
    hold(hr, hr.other, "1", kind="award")
    hold(hr, hr.other, "0.8", kind="activation")  # draws on the award of the same market
    assert check(hr, quantity="1").max_quantity_mw == 1  # 2 - max(1, 0.8)


def test_the_resources_own_records_do_not_count_against_it(hr):
    area_limit(hr, "1.5")
    hold(hr, hr.spu, "0.8")
    assert check(hr, quantity="1").max_quantity_mw == 1


def test_records_outside_the_area_the_period_or_the_direction_do_not_count(hr):
    area_limit(hr, "1.5", end=START + timedelta(hours=1))
    far = hr.new_spu(cp=ConnectionPointFactory(connecting_so=hr.cast.local, latitude=58.0, longitude=15.0))
    hold(hr, far, "1")
    hold(hr, hr.other, "1", direction="down")
    hold(hr, hr.other, "1", at=START + timedelta(hours=1))  # after the limit ends
    verdict = check(hr, quantity="1", end=START + timedelta(hours=2))
    assert verdict.max_quantity_mw == 1


def test_a_cancelled_record_frees_its_headroom(hr):
    area_limit(hr, "1.5")
    hold(hr, hr.other, "1.5", ext="to-cancel")
    assert check(hr).color == RED
    records_cancel(caller=hr.nordic, system_operator=hr.cast.tso, external_ids=["to-cancel"])
    assert check(hr).max_quantity_mw == 1


def test_a_point_limit_bounds_the_sum_at_the_point_only(hr):
    limit(hr, quantity="1.5", target_kind=TargetKind.CONNECTION_POINT, connection_point=hr.cp)
    hold(hr, hr.new_spu(cp=hr.cp, fsp=hr.cast.fsp_b), "1")  # at the same point
    hold(hr, hr.other, "1")  # another point in the same area: not under a point limit
    verdict = check(hr, quantity="1")
    assert (verdict.color, verdict.max_quantity_mw) == (YELLOW, Decimal("0.5"))
    assert any("at the connection point" in r for r in verdict.reasons)


def test_a_limit_on_an_spu_stays_a_per_resource_cap(hr):
    limit(hr, quantity="0.6")  # on grid.spu
    hold(hr, hr.other, "1")
    verdict = check(hr, quantity="1")
    assert verdict.max_quantity_mw == Decimal("0.6")
    assert not any("caps the sum" in r for r in verdict.reasons)


def test_an_spgs_record_counts_where_its_members_lie_at_most_their_capacity(hr):
    area_limit(hr, "2")
    small = hr.new_spu(fsp=hr.cast.fsp_a, up_kw="500")  # in the area
    far = hr.new_spu(cp=ConnectionPointFactory(connecting_so=hr.cast.local, latitude=58.0, longitude=15.0))
    spg = hr.spg_with_members(members=[small, far])
    hold(hr, None, "1.5", spg=spg)  # at most 0.5 MW of it can come from inside the area
    verdict = check(hr, quantity="1")
    assert verdict.max_quantity_mw == 1  # 2 - 0.5 = 1.5 left, capped by the SPU's 1 MW
    assert any("SPG " + spg.code in r and "0.5 MW" in r for r in verdict.reasons)


def test_an_spgs_members_under_one_area_limit_share_its_headroom(hr):
    members = [hr.new_spu(), hr.new_spu()]
    spg = hr.spg_with_members(members=members)
    hr.prequalify(spg=spg)
    area_limit(hr, "1.5")
    hold(hr, hr.other, "0.5")
    verdict = check(hr, spg, quantity="2")
    assert (verdict.color, verdict.max_quantity_mw) == (YELLOW, Decimal("1"))  # not 2 × 1


# --- who reads which names ----------------------------------------------------------------------


def _as(grid, user, **kwargs):
    return activation_check(
        system_operator=grid.cast.tso, resource=grid.spu, product=grid.mfrr, direction=Direction.UP,
        quantity_mw=Decimal("1"), start=START, end=START + timedelta(hours=1),
        caller=activation_caller(user=user), **kwargs,
    )


def test_an_so_reads_the_holders_names_a_platform_and_an_fsp_only_their_count(hr):
    area_limit(hr, "2")
    hold(hr, hr.other, "1.5")
    holder = "SPU B-7 of FSP B: 1.5 MW"
    for user in (hr.cast.tso_engineer, hr.cast.nra_analyst):
        assert any(holder in r for r in _as(hr, user).reasons), user
    for user in (hr.nordic, hr.cast.fsp_a_user):
        reasons = _as(hr, user).reasons
        assert not any("B-7" in r or "FSP B" in r for r in reasons), user
        assert any("(1 resource)" in r for r in reasons), user
    # Another operator's limit: neither its id nor its reason, though its headroom binds.
    platform_reasons = _as(hr, hr.nordic).reasons
    assert any(r.startswith("A temporary limit of another system operator caps") for r in platform_reasons)
