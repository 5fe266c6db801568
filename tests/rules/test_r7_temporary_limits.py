"""R7 Temporary limits: publication deadline, grid scope, bad input, history, notifications."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from shapely.geometry import box, mapping

from limits.models import ImmutableLimitRecord, LimitEvent, LimitRefusal, TargetKind, TemporaryLimit
from limits.services import CapacityFlag, limit_capacity_flag, limit_lift, limit_update
from prequal.models import Direction
from tests.factories import ConnectionPointFactory, ProductFactory, SpgMembershipFactory, SpuFactory
from tests.limit_helpers import END, START, create

# --- R7: the latest allowed publication time ----------------------------------------------------


def test_mfrr_limit_exactly_at_the_latest_allowed_time_is_accepted(grid):
    grid.prequalify(spu=grid.spu)
    # mFRR energy: MTU 12:00, gate closure 11:15, minus one hour: 10:15 UTC (T-105 min).
    limit = create(grid, at=datetime(2027, 6, 1, 10, 15, 0, tzinfo=UTC))
    assert limit.latest_allowed_at == datetime(2027, 6, 1, 10, 15, tzinfo=UTC)
    assert LimitRefusal.objects.count() == 0


def test_mfrr_limit_one_second_late_is_refused_recorded_and_not_stored(grid):
    grid.prequalify(spu=grid.spu)
    with pytest.raises(ValidationError) as exc:
        create(grid, at=datetime(2027, 6, 1, 10, 15, 1, tzinfo=UTC))
    message = exc.value.message_dict["start"][0]
    assert "Too late" in message
    assert "2027-06-01 12:15 CEST" in message  # the latest allowed time in the SO's local time
    assert TemporaryLimit.objects.count() == 0
    refusal = LimitRefusal.objects.get()
    assert refusal.latest_allowed_at == datetime(2027, 6, 1, 10, 15, tzinfo=UTC)
    assert refusal.requested_start == START
    assert refusal.actor == grid.cast.local_engineer


def test_the_first_mtu_is_aligned_down(grid):
    grid.prequalify(spu=grid.spu)
    limit = create(grid, start=START + timedelta(minutes=7), at=START - timedelta(hours=3))
    assert limit.latest_allowed_at == datetime(2027, 6, 1, 10, 15, tzinfo=UTC)


def test_the_most_binding_product_wins(grid):
    grid.prequalify(spu=grid.spu)
    grid.prequalify(spu=grid.spu, product=grid.local_product)
    # Local product: MTU 12:00 (60 min) minus 120 min gate closure minus 1 h = 09:00 UTC.
    start = START + timedelta(minutes=30)
    with pytest.raises(ValidationError) as exc:
        create(grid, start=start, at=datetime(2027, 6, 1, 9, 0, 1, tzinfo=UTC))
    assert "11:00 CEST" in exc.value.message_dict["start"][0]
    assert "Local flex" in exc.value.message_dict["start"][0]
    limit = create(grid, start=start, at=datetime(2027, 6, 1, 9, 0, 0, tzinfo=UTC))
    assert limit.latest_allowed_at == datetime(2027, 6, 1, 9, 0, tzinfo=UTC)


def _day_ahead_product(grid, **fields):
    """FCR as Svenska kraftnät auctions it: the last auction closes at 18:00 the day before."""
    return ProductFactory(**{
        "code": "fcr-n", "name": "FCR-N", "procuring_so": grid.cast.tso, "market_time_unit_minutes": 60,
        "gate_closure_minutes": 0, "gate_closure_days_ahead": 1, "gate_closure_local_time": time(18, 0),
    } | fields)


@pytest.mark.parametrize(
    ("start", "latest"),
    [
        # Delivery 12:00 CEST on 2 June: D-1 18:00 CEST is 16:00 UTC on 1 June; minus 1 h.
        (datetime(2027, 6, 2, 10, 0, tzinfo=UTC), datetime(2027, 6, 1, 15, 0, tzinfo=UTC)),
        # 00:30 CEST on 3 June is still 2 June in UTC: the local delivery day counts (D-1 = 2 June).
        (datetime(2027, 6, 2, 22, 30, tzinfo=UTC), datetime(2027, 6, 2, 15, 0, tzinfo=UTC)),
        # Delivery on the day of the spring change: D-1 18:00 is still CET (17:00 UTC).
        (datetime(2027, 3, 28, 10, 0, tzinfo=UTC), datetime(2027, 3, 27, 16, 0, tzinfo=UTC)),
    ],
)
def test_a_day_ahead_gate_closure_counts_from_the_local_delivery_day(grid, start, latest):
    grid.prequalify(spu=grid.spu, product=_day_ahead_product(grid))
    end = start + timedelta(hours=2)
    with pytest.raises(ValidationError) as exc:
        create(grid, start=start, end=end, at=latest + timedelta(seconds=1))
    assert "D-1 18:00 (Europe/Stockholm)" in exc.value.message_dict["start"][0]
    assert create(grid, start=start, end=end, at=latest).latest_allowed_at == latest


def test_a_lead_time_of_days_in_minutes_computes_right(grid):
    # Two days as a plain lead time: MTU 12:00 UTC on 3 June minus 48 h minus 1 h.
    product = _day_ahead_product(grid, gate_closure_minutes=2 * 24 * 60, gate_closure_days_ahead=None,
                                 gate_closure_local_time=None)
    grid.prequalify(spu=grid.spu, product=product)
    start = datetime(2027, 6, 3, 12, 20, tzinfo=UTC)
    at = datetime(2027, 6, 1, 11, 0, tzinfo=UTC)
    limit = create(grid, start=start, end=start + timedelta(hours=1), at=at)
    assert limit.latest_allowed_at == datetime(2027, 6, 1, 11, 0, tzinfo=UTC)


def test_a_product_gate_closure_is_a_lead_time_or_a_day_ahead_clock_time(grid):
    with pytest.raises(ValidationError) as exc:
        _day_ahead_product(grid, gate_closure_local_time=None).full_clean()
    assert "gate_closure_local_time" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        _day_ahead_product(grid, code="fcr-2", gate_closure_minutes=60).full_clean()
    assert "gate_closure_minutes" in exc.value.message_dict


def test_nothing_prequalified_falls_back_to_one_hour_before_the_start(grid):
    limit = create(grid, at=START - timedelta(hours=1))
    assert limit.latest_allowed_at == START - timedelta(hours=1)
    with pytest.raises(ValidationError):
        create(grid, at=START - timedelta(minutes=59, seconds=59))


def test_an_spg_membership_makes_the_spu_limit_follow_the_groups_products(grid):
    spg = grid.spg_with_members(members=[grid.spu])
    grid.prequalify(spg=spg, product=grid.local_product)
    with pytest.raises(ValidationError):
        create(grid, at=datetime(2027, 6, 1, 9, 0, 1, tzinfo=UTC))


def test_a_limit_longer_than_the_maximum_is_refused(grid, settings):
    settings.GRIDPREQUAL_LIMIT_MAX_DAYS = 7
    create(grid, end=START + timedelta(days=7))
    with pytest.raises(ValidationError) as exc:
        create(grid, end=START + timedelta(days=7, seconds=1))
    assert "at most 7 days" in exc.value.message_dict["end"][0]
    assert TemporaryLimit.objects.count() == 1


# --- the grid: whose targets ---------------------------------------------------------------------


def test_another_operators_grid_is_refused(grid):
    with pytest.raises(ValidationError) as exc:
        create(grid, user=grid.cast.other_local_engineer, so=grid.cast.other_local)
    assert "not on your grid" in exc.value.message_dict["target"][0]
    assert TemporaryLimit.objects.count() == 0


def test_an_operator_whose_area_contains_the_point_may_limit_it(grid):
    # The regional DSO does not connect the point, but its area covers it.
    from tests.factories import make_area

    make_area(system_operator=grid.cast.regional, geometry=box(10, 55, 25, 69))
    limit = create(grid, user=grid.cast.regional_engineer, so=grid.cast.regional)
    assert limit.system_operator == grid.cast.regional


def test_a_viewer_or_an_engineer_of_another_operator_cannot_set_limits(grid):
    with pytest.raises(PermissionDenied):
        create(grid, user=grid.cast.local_viewer)
    with pytest.raises(PermissionDenied):
        create(grid, user=grid.cast.other_local_engineer)  # as the local DSO


def test_an_area_outside_the_operators_area_is_refused(grid):
    with pytest.raises(ValidationError) as exc:
        create(grid, target_kind=TargetKind.AREA, spu=None, area=mapping(box(11.6, 57.6, 12.0, 57.9)))
    assert "another operator's grid" in exc.value.message_dict["area"][0]


def test_an_area_is_clipped_to_the_operators_area(grid):
    limit = create(grid, target_kind=TargetKind.AREA, spu=None, area=mapping(box(18.0, 59.2, 19.5, 59.5)))
    assert (limit.min_lon, limit.max_lon) == (18.0, 18.5)


def test_an_area_limit_concerns_every_fsp_inside(grid):
    inside_b = grid.new_spu(fsp=grid.cast.fsp_b)
    outside = grid.new_spu(
        fsp=grid.cast.fsp_b,
        cp=ConnectionPointFactory(connecting_so=grid.cast.local, latitude=58.0, longitude=15.0),
    )
    assert outside
    limit = create(grid, target_kind=TargetKind.AREA, spu=None, area=mapping(box(18.0, 59.2, 18.2, 59.4)))
    assert set(limit.concerns.values_list("fsp_id", flat=True)) == {grid.cast.fsp_a.pk, inside_b.fsp_id}


# --- bad input: clear errors, nothing stored ----------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"end": START - timedelta(hours=1)}, "end"),
        ({"end": START}, "end"),
        ({"quantity_mw": Decimal("-1")}, "quantity_mw"),
        ({"direction": "sideways"}, "direction"),
        ({"reason": "  "}, "reason"),
        ({"target_kind": TargetKind.SPU, "spu": None}, "target"),
        ({"target_kind": "planet"}, "target_kind"),
        ({"target_kind": TargetKind.AREA, "spu": None, "area": "{not json"}, "area"),
        (
            {"target_kind": TargetKind.AREA, "spu": None, "area": {"type": "Point", "coordinates": [18, 59]}},
            "area",
        ),
    ],
)
def test_bad_input_is_refused_per_field(grid, overrides, field):
    with pytest.raises(ValidationError) as exc:
        create(grid, **overrides)
    assert field in exc.value.message_dict
    assert TemporaryLimit.objects.count() == 0 and LimitEvent.objects.count() == 0


def test_a_direction_the_spu_does_not_offer_is_refused(grid):
    solar = grid.new_spu(up_kw="0", down_kw="500")
    with pytest.raises(ValidationError) as exc:
        create(grid, spu=solar, direction=Direction.UP)
    assert "offers no capacity up" in exc.value.message_dict["direction"][0]
    with pytest.raises(ValidationError):
        create(grid, spu=solar, direction=Direction.BOTH)
    assert create(grid, spu=solar, direction=Direction.DOWN).direction == Direction.DOWN


# --- changes, lifting and history -----------------------------------------------------------------


def test_relaxing_is_allowed_late_tightening_is_not(grid):
    grid.prequalify(spu=grid.spu)
    limit = create(grid)
    late = datetime(2027, 6, 1, 11, 0, tzinfo=UTC)
    with time_machine.travel(late, tick=False):
        limit = limit_update(user=grid.cast.local_engineer, limit=limit, quantity_mw=Decimal("0.8"))
        assert limit.quantity_mw == Decimal("0.8")
        with pytest.raises(ValidationError) as exc:
            limit_update(user=grid.cast.local_engineer, limit=limit, quantity_mw=Decimal("0.2"))
        assert "Too late" in exc.value.message_dict["start"][0]
        with pytest.raises(ValidationError):
            limit_update(user=grid.cast.local_engineer, limit=limit, direction=Direction.BOTH)
        limit = limit_update(user=grid.cast.local_engineer, limit=limit, end=END - timedelta(hours=1))
    assert LimitRefusal.objects.filter(limit=limit).count() == 2
    limit.refresh_from_db()
    assert (limit.quantity_mw, limit.end) == (Decimal("0.8"), END - timedelta(hours=1))


def test_extending_the_end_is_checked_from_the_old_end(grid):
    grid.prequalify(spu=grid.spu)
    limit = create(grid)
    # The extension first affects the MTU at END (16:00 UTC): latest 14:15 UTC.
    with time_machine.travel(datetime(2027, 6, 1, 14, 15, 1, tzinfo=UTC), tick=False):
        with pytest.raises(ValidationError) as exc:
            limit_update(user=grid.cast.local_engineer, limit=limit, end=END + timedelta(hours=1))
        assert "end" in exc.value.message_dict
    with time_machine.travel(datetime(2027, 6, 1, 14, 15, 0, tzinfo=UTC), tick=False):
        limit = limit_update(user=grid.cast.local_engineer, limit=limit, end=END + timedelta(hours=1))
    assert limit.end == END + timedelta(hours=1)


def test_lifting_is_always_allowed_and_everything_is_in_the_history(grid):
    grid.prequalify(spu=grid.spu)
    limit = create(grid)
    with time_machine.travel(START + timedelta(minutes=30), tick=False):
        limit = limit_lift(user=grid.cast.local_engineer, limit=limit)
        assert limit.status == "lifted"
        with pytest.raises(ValidationError):
            limit_lift(user=grid.cast.local_engineer, limit=limit)
        with pytest.raises(ValidationError):
            limit_update(user=grid.cast.local_engineer, limit=limit, quantity_mw=Decimal("0.9"))
    events = list(limit.events.order_by("at"))
    assert [e.action for e in events] == ["create", "lift"]
    assert events[1].before["lifted_at"] is None and events[1].after["lifted_at"]
    assert {e.actor for e in events} == {grid.cast.local_engineer}
    with pytest.raises(ImmutableLimitRecord):
        events[0].save()
    with pytest.raises(ImmutableLimitRecord):
        LimitEvent.objects.all().delete()


def test_the_fsps_concerned_are_notified_at_once(grid, django_capture_on_commit_callbacks):
    grid.cast.fsp_a_user.email = "a@fsp.example"
    grid.cast.fsp_a_user.save()
    grid.cast.fsp_b_user.email = "b@fsp.example"
    grid.cast.fsp_b_user.save()
    with django_capture_on_commit_callbacks(execute=True):
        limit = create(grid)
    assert [m.to for m in mail.outbox] == [["a@fsp.example"]]
    assert "BAT-1" in mail.outbox[0].subject
    assert "2027-06-01 14:00 CEST" in mail.outbox[0].body
    with django_capture_on_commit_callbacks(execute=True), time_machine.travel(START, tick=False):
        limit_lift(user=grid.cast.local_engineer, limit=limit)
    assert len(mail.outbox) == 2 and "lifted" in mail.outbox[1].subject


def test_the_annual_figures_count_limits_hours_and_late_refusals(grid):
    from limits.selectors import limit_statistics

    grid.prequalify(spu=grid.spu)
    limit = create(grid)  # 4 hours
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        limit_lift(user=grid.cast.local_engineer, limit=limit)  # in force 1 hour
    create(grid, start=START + timedelta(days=1), end=START + timedelta(days=1, hours=2))
    with pytest.raises(ValidationError):
        create(grid, at=START - timedelta(minutes=10))
    figures = limit_statistics(year=2027, time_zone="Europe/Stockholm")
    assert figures == {
        grid.cast.local.pk: {"count": 2, "hours": 3.0, "refused_late": 1, "late_share": pytest.approx(1 / 3)}
    }
    assert limit_statistics(year=2026) == {}


# --- a limit above its target's capacity has no effect: flagged, not refused (issue 13) ---------


def _flag(grid, *, quantity, direction=Direction.UP, **target):
    target = target or {"target_kind": TargetKind.SPU, "spu": grid.spu}
    at = START - timedelta(days=1)
    limit = create(grid, quantity_mw=Decimal(quantity), direction=direction, at=at, **target)
    return limit_capacity_flag(limit=limit, now=at)


def test_a_limit_above_an_spus_capacity_is_flagged_not_refused(grid):
    grid.spu.max_down_kw = Decimal("400")
    grid.spu.save()
    assert _flag(grid, quantity="1.5") == CapacityFlag(capacity_mw=Decimal(1), exceeds=True)
    assert _flag(grid, quantity="1") == CapacityFlag(capacity_mw=Decimal(1), exceeds=False)
    assert _flag(grid, quantity="0.5", direction=Direction.DOWN) == CapacityFlag(
        capacity_mw=Decimal("0.4"), exceeds=True)
    # Both directions: without effect only above the larger of the two.
    assert _flag(grid, quantity="0.5", direction=Direction.BOTH).exceeds is False
    assert TemporaryLimit.objects.count() == 4  # stored all the same


def test_an_spgs_capacity_is_its_current_members_and_a_points_its_spus(grid):
    fsp, cp = grid.cast.fsp_a, grid.cp
    second = SpuFactory(fsp=fsp, connection_point=cp, code="BAT-2", max_up_kw=Decimal("500"))
    former = SpuFactory(fsp=fsp, connection_point=cp, code="BAT-3", max_up_kw=Decimal("9000"))
    spg = grid.spg_with_members(members=[grid.spu, second])
    SpgMembershipFactory(spg=spg, spu=former, valid_from=datetime(2026, 1, 1, tzinfo=UTC),
                         valid_to=datetime(2026, 6, 1, tzinfo=UTC))  # ended: does not count
    flag = _flag(grid, quantity="1.6", target_kind=TargetKind.SPG, spu=None, spg=spg)
    assert flag == CapacityFlag(capacity_mw=Decimal("1.5"), exceeds=True)
    # The point holds all three SPUs (the former member is still active there).
    point = _flag(grid, quantity="10", target_kind=TargetKind.CONNECTION_POINT, spu=None,
                  connection_point=grid.cp)
    assert point == CapacityFlag(capacity_mw=Decimal("10.5"), exceeds=False)


def test_an_area_limit_is_not_judged(grid):
    area = mapping(box(18.0, 59.2, 18.2, 59.4))
    flag = _flag(grid, quantity="9999", target_kind=TargetKind.AREA, spu=None, area=area)
    assert flag == CapacityFlag(capacity_mw=None, exceeds=False)
