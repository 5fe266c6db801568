"""R8 Activation check (traffic light): colours, conditions, limits that apply (overlapping, on the
point, on an area, on SPG members), bad input. Across DST: tests/rules/test_r10_time.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import translation
from shapely.geometry import box, mapping

from limits.activation import GREEN, RED, YELLOW
from limits.models import TargetKind
from limits.services import limit_lift
from prequal.models import Case, Direction, Product
from prequal.services.cases import case_withdraw
from tests.factories import ConnectionPointFactory
from tests.limit_helpers import START, check, conditional, limit

# --- prequalification ---------------------------------------------------------------------------


def test_green_when_prequalified_and_nothing_applies(grid):
    grid.prequalify(spu=grid.spu)
    verdict = check(grid)
    assert verdict.color == GREEN
    assert verdict.max_quantity_mw == Decimal("1.000")
    assert "no condition or limit applies" in verdict.reasons[0]


def test_red_without_an_application(grid):
    verdict = check(grid)
    assert verdict.color == RED and "no application" in verdict.reasons[0]


def test_red_when_refused_withdrawn_or_expired(grid):
    grid.prequalify(spu=grid.spu, refuse=True)
    assert "not approved" in check(grid).reasons[0]
    other = grid.new_spu()
    case = grid.prequalify(spu=other)
    Case.objects.filter(pk=case.pk).update(status=Case.Status.EXPIRED)
    assert check(grid, other).color == RED and "expired" in check(grid, other).reasons[0]


def test_red_while_the_application_is_undecided_or_withdrawn(grid):
    from prequal.services.cases import case_create_draft, case_submit

    case = case_submit(
        user=grid.cast.fsp_a_user,
        case=case_create_draft(user=grid.cast.fsp_a_user, spu=grid.spu, product=grid.mfrr),
    )
    assert "under assessment" in check(grid).reasons[0]
    case_withdraw(user=grid.cast.fsp_a_user, case=case)
    assert check(grid).color == RED and "withdrawn" in check(grid).reasons[0]


def test_red_when_the_prequalification_ends_within_the_period(grid):
    case = grid.prequalify(spu=grid.spu)
    Case.objects.filter(pk=case.pk).update(valid_until=START + timedelta(minutes=30))
    verdict = check(grid)
    assert verdict.color == RED and "only until" in verdict.reasons[0]


# --- limits --------------------------------------------------------------------------------------


def test_a_limit_makes_it_yellow_with_the_largest_allowed_quantity(grid):
    grid.prequalify(spu=grid.spu)
    spu_limit = limit(grid, quantity="0.6")
    verdict = check(grid, quantity="0.5")
    assert (verdict.color, verdict.max_quantity_mw) == (YELLOW, Decimal("0.6"))
    assert verdict.limits == [spu_limit]
    above = check(grid, quantity="0.8")
    assert above.color == YELLOW and "more than the 0.6 MW" in above.reasons[0]
    # The other direction is not limited.
    assert check(grid, direction=Direction.DOWN).color == GREEN


def test_overlapping_limits_the_most_restrictive_wins(grid):
    grid.prequalify(spu=grid.spu)
    limit(grid, quantity="0.6")
    limit(
        grid,
        quantity="0.3",
        target_kind=TargetKind.CONNECTION_POINT,
        connection_point=grid.cp,
        start=START + timedelta(minutes=30),
        direction=Direction.BOTH,
    )
    verdict = check(grid)
    assert verdict.max_quantity_mw == Decimal("0.3") and len(verdict.limits) == 2
    # Before the second limit starts, only the first applies.
    assert check(grid, end=START + timedelta(minutes=30)).max_quantity_mw == Decimal("0.6")


def test_a_blocking_limit_is_red_and_a_lifted_one_stops_applying(grid):
    grid.prequalify(spu=grid.spu)
    blocking = limit(grid, quantity="0")
    verdict = check(grid)
    assert verdict.color == RED and verdict.max_quantity_mw == 0
    with time_machine.travel(START - timedelta(minutes=30), tick=False):
        limit_lift(user=grid.cast.local_engineer, limit=blocking)
    assert check(grid).color == GREEN
    # Before it was lifted it still applied (history is kept).
    assert check(grid, start=START - timedelta(hours=1), end=START - timedelta(minutes=45)).color == RED


def test_a_limit_on_an_area_affects_every_point_inside_and_none_outside(grid):
    inside = [grid.spu, grid.new_spu(), grid.new_spu(fsp=grid.cast.fsp_b)]
    outside = grid.new_spu(
        cp=ConnectionPointFactory(connecting_so=grid.cast.local, latitude=58.0, longitude=15.0)
    )
    for spu in [*inside, outside]:
        grid.prequalify(spu=spu)
    area = limit(grid, quantity="0.2", target_kind=TargetKind.AREA, area=mapping(box(17.9, 59.2, 18.2, 59.4)))
    for spu in inside:
        verdict = check(grid, spu)
        assert (verdict.color, verdict.max_quantity_mw, verdict.limits) == (YELLOW, Decimal("0.2"), [area])
    assert check(grid, outside).color == GREEN


def test_limits_outside_the_period_do_not_apply(grid):
    grid.prequalify(spu=grid.spu)
    limit(grid, quantity="0", start=START + timedelta(hours=2), end=START + timedelta(hours=3))
    assert check(grid).color == GREEN  # [12:00, 13:00) ends before the limit starts
    assert check(grid, end=START + timedelta(hours=2, seconds=1)).color == RED


def test_an_spg_whose_members_have_different_limits(grid):
    members = [grid.spu, grid.new_spu(), grid.new_spu(), grid.new_spu()]  # 1 MW up each
    spg = grid.spg_with_members(members=members)
    grid.prequalify(spg=spg)
    limit(grid, quantity="0.4", spu=members[0])  # can deliver 0.4 of 1: −0.6
    limit(grid, quantity="0", spu=members[1])  # blocked: −1
    limit(grid, quantity="2", spu=members[2])  # above its capacity: no reduction
    verdict = check(grid, spg, quantity="2")
    assert (verdict.color, verdict.max_quantity_mw) == (YELLOW, Decimal("2.4"))
    assert sum("Member SPU" in r for r in verdict.reasons) == 2
    # The group's own limit caps the sum.
    limit(grid, quantity="1.5", target_kind=TargetKind.SPG, spg=spg)
    verdict = check(grid, spg, quantity="1")
    assert (verdict.color, verdict.max_quantity_mw) == (YELLOW, Decimal("1.5"))
    assert len(verdict.limits) == 4
    # Down is untouched: 4 MW, nothing applies.
    assert check(grid, spg, direction=Direction.DOWN, quantity="4").color == GREEN


def test_an_spg_all_of_whose_members_are_blocked_is_red(grid):
    members = [grid.spu, grid.new_spu(cp=grid.cp)]
    spg = grid.spg_with_members(members=members)
    grid.prequalify(spg=spg)
    limit(
        grid,
        quantity="0",
        target_kind=TargetKind.CONNECTION_POINT,
        connection_point=grid.cp,
        direction=Direction.BOTH,
    )
    verdict = check(grid, spg, quantity="0.1")
    assert verdict.color == RED and verdict.max_quantity_mw == 0


# --- conditions -----------------------------------------------------------------


def test_a_cap_condition_in_its_window_makes_it_yellow(grid):
    conditional(
        grid, max_up_mw=Decimal("0.3"), weekdays=[0, 1, 2, 3, 4], start_time="07:00", end_time="09:00"
    )
    tuesday_8_local = datetime(2027, 6, 1, 6, 0, tzinfo=UTC)  # 08:00 CEST
    verdict = check(grid, start=tuesday_8_local)
    assert (verdict.color, verdict.max_quantity_mw) == (YELLOW, Decimal("0.3"))
    assert len(verdict.conditions) == 1
    tuesday_noon = datetime(2027, 6, 1, 10, 0, tzinfo=UTC)
    verdict = check(grid, start=tuesday_noon)
    assert verdict.color == GREEN
    assert any("conditionally approved" in r for r in verdict.reasons)


def test_a_forbidding_condition_is_red(grid):
    conditional(grid, months=[12, 1, 2], weekdays=[0, 1, 2, 3, 4], start_time="07:00", end_time="09:00")
    verdict = check(grid, start=datetime(2027, 12, 6, 6, 30, tzinfo=UTC))  # Monday 07:30 CET
    assert verdict.color == RED and "forbids" in " ".join(verdict.reasons)


# --- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"end": START}, "end"),
        ({"end": START - timedelta(hours=1)}, "end"),
        ({"quantity": "-1"}, "quantity_mw"),
        ({"direction": "sideways"}, "direction"),
        ({"end": START + timedelta(days=32)}, "end"),
    ],
)
def test_bad_input_is_a_field_error(grid, kwargs, field):
    grid.prequalify(spu=grid.spu)
    with pytest.raises(ValidationError) as exc:
        check(grid, **kwargs)
    assert field in exc.value.message_dict


def test_a_direction_the_product_or_the_spu_does_not_offer_is_a_field_error(grid):
    with pytest.raises(ValidationError) as exc:
        check(grid, product=grid.local_product, direction=Direction.DOWN)
    assert "only in direction up" in exc.value.message_dict["direction"][0]
    solar = grid.new_spu(up_kw="0", down_kw="500")
    with pytest.raises(ValidationError) as exc:
        check(grid, solar, direction=Direction.UP)
    assert "offers no capacity up" in exc.value.message_dict["direction"][0]


def test_both_directions_take_the_stricter_answer(grid):
    grid.prequalify(spu=grid.spu)
    limit(grid, quantity="0", direction=Direction.DOWN)
    verdict = check(grid, direction=Direction.BOTH)
    assert verdict.color == RED and verdict.max_quantity_mw == 0


def test_the_check_runs_a_constant_handful_of_queries(grid, django_assert_max_num_queries):
    members = [grid.spu, *[grid.new_spu() for _ in range(5)]]
    spg = grid.spg_with_members(members=members)
    grid.prequalify(spg=spg, conditions_by_so={grid.cast.local.pk: [{"max_up_mw": Decimal("3")}]})
    for spu in members[:3]:
        limit(grid, quantity="0.5", spu=spu)
    limit(grid, quantity="0.5", target_kind=TargetKind.AREA, area=mapping(box(17.9, 59.2, 18.2, 59.4)))
    # + the area's polygon and the grid-zone index (forecasts.zone_index: its stamp and its zones),
    # read once per process
    with django_assert_max_num_queries(9):
        check(grid, spg, quantity="1")
    # case, conditions, members, limits, what the register holds under the area limit and what it
    # holds for the SPG itself (R11: headroom and double activation); no zone here: no forecast query
    with django_assert_max_num_queries(6):
        verdict = check(grid, spg, quantity="1")
    assert verdict.color == YELLOW


def test_the_reasons_name_the_product_in_the_callers_language(grid):
    """Issue 15: data labels in Swedish; the check's reasons use the product's label."""
    grid.prequalify(spu=grid.spu, refuse=True)
    Product.objects.filter(pk=grid.mfrr.pk).update(name="mFRR energy", name_sv="mFRR-energi")
    grid.mfrr.refresh_from_db()
    with translation.override("sv"):
        swedish = check(grid).reasons[0]
    with translation.override("en"):
        english = check(grid).reasons[0]
    assert "mFRR-energi" in swedish and "mFRR energy" not in swedish
    assert "mFRR energy" in english
