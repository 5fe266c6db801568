"""R8 + R12: a published forecast of likely or certain congestion turns the activation check yellow,
with a reason naming the zone, level and period; red stays red; the lookup is one query.

The forecast world (tests/forecasts/helpers.py): the local DSO's zone NORTH contains grid.cp, where
FSP A's SPU grid.spu sits; SOUTH lies away from it. Forecasts are published at PUBLISH_AT for DAY.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from forecasts.congestion import congested_units_as_of
from forecasts.selectors import forecast_values_as_of
from forecasts.services import grid_zone_upload
from forecasts.zone_index import zones_at_points
from limits.activation import GREEN, RED, YELLOW, activation_check
from limits.activation.access import EVERYTHING, SO, ActivationCaller
from limits.activation.forecast import forecast_congestion_apply
from limits.activation.verdict import Verdict
from limits.models import TargetKind
from limits.services import limit_create
from prequal.models import Direction
from tests.forecasts.helpers import DAY, PUBLISH_AT, SOUTH_BOX, day_rows, make_zones, publish, row
from tests.gis import geojson_file

pytestmark = pytest.mark.django_db
ASKED_AT = PUBLISH_AT + timedelta(hours=1)


@pytest.fixture
def zones(cast, grid):
    return make_zones(cast)


def ask(grid, resource=None, *, direction=Direction.UP, hours=1, start=DAY, caller=None, at=ASKED_AT):
    with time_machine.travel(at, tick=False):
        return activation_check(
            system_operator=grid.cast.tso,
            resource=resource or grid.spu,
            product=grid.mfrr,
            direction=direction,
            quantity_mw=Decimal("0.5"),
            start=start,
            end=start + timedelta(hours=hours),
            caller=caller,
        )


def congested(cast, level="likely", zone="NORTH", hour=1, direction="up", at=PUBLISH_AT):
    """A day-ahead publication: free for DAY 00:00–03:00, `level` at `hour` in `direction`."""
    rows = [
        r if (r["start"], r["direction"]) != ((DAY + timedelta(hours=hour)).isoformat(), direction)
        else {**r, "level": level, "headroom_mw": "0.2"}
        for r in day_rows(zone, hours=3)
    ]
    return publish(cast, rows, at=at)


def test_likely_congestion_in_the_zone_turns_green_yellow_with_the_reason(grid, zones):
    grid.prequalify(spu=grid.spu)
    congested(grid.cast, "likely")
    assert ask(grid, start=DAY).color == GREEN  # 00:00–01:00: free
    verdict = ask(grid, start=DAY + timedelta(minutes=30))
    assert verdict.color == YELLOW
    assert verdict.max_quantity_mw == Decimal("1.000")  # a forecast informs; a limit binds
    [reason] = [r for r in verdict.reasons if "congestion forecast" in r]
    assert "NORTH" in reason and "North substation" in reason and "likely" in reason
    # The period in the asked operator's local time (CET in January): the hour 01:00–02:00 UTC.
    assert "2027-01-06 02:00 CET" in reason and "2027-01-06 03:00 CET" in reason


def test_certain_counts_possible_and_none_do_not(grid, zones):
    grid.prequalify(spu=grid.spu)
    congested(grid.cast, "possible")
    assert ask(grid, hours=3).color == GREEN
    congested(grid.cast, "certain", at=PUBLISH_AT + timedelta(minutes=10))
    verdict = ask(grid, hours=3)
    assert verdict.color == YELLOW and any("certain" in r for r in verdict.reasons)


def test_only_the_requested_direction_counts(grid, zones):
    grid.prequalify(spu=grid.spu)
    congested(grid.cast, "likely", direction="down")
    assert ask(grid, hours=3, direction=Direction.UP).color == GREEN
    assert ask(grid, hours=3, direction=Direction.DOWN).color == YELLOW
    assert ask(grid, hours=3, direction=Direction.BOTH).color == YELLOW


def test_a_correction_to_none_clears_it_and_the_check_reads_as_of_now(grid, zones):
    grid.prequalify(spu=grid.spu)
    congested(grid.cast, "likely")
    corrected_at = PUBLISH_AT + timedelta(hours=3)
    publish(grid.cast, [row("NORTH", DAY + timedelta(hours=1), "up", "4", "none")], at=corrected_at)
    assert ask(grid, hours=3, at=corrected_at - timedelta(minutes=1)).color == YELLOW
    assert ask(grid, hours=3, at=corrected_at).color == GREEN


def test_a_zone_away_from_the_point_does_not_count(grid, zones):
    grid.prequalify(spu=grid.spu)
    congested(grid.cast, "certain", zone="SOUTH")
    assert ask(grid, hours=3).color == GREEN


def test_red_stays_red_with_the_forecast_reason(grid, zones):
    grid.prequalify(spu=grid.spu)
    congested(grid.cast, "likely")
    with time_machine.travel(PUBLISH_AT, tick=False):
        limit_create(
            user=grid.cast.local_engineer, system_operator=grid.cast.local, target_kind=TargetKind.SPU,
            spu=grid.spu, direction=Direction.UP, quantity_mw=Decimal("0"), start=DAY,
            end=DAY + timedelta(hours=3), reason="Transformer fault",
        )
    verdict = ask(grid, hours=3)
    assert verdict.color == RED
    assert any("NORTH" in r for r in verdict.reasons)


def test_unprequalified_stays_red_without_looking(grid, zones):
    congested(grid.cast, "likely")
    verdict = ask(grid, hours=3)
    assert verdict.color == RED and not any("NORTH" in r for r in verdict.reasons)


def test_an_spg_member_in_the_zone_makes_the_group_yellow(grid, zones):
    spg = grid.spg_with_members(members=[grid.spu])
    grid.prequalify(spg=spg)
    congested(grid.cast, "likely")
    verdict = ask(grid, spg, hours=3)
    assert verdict.color == YELLOW and any("NORTH" in r for r in verdict.reasons)


def test_a_caller_not_reading_the_zones_operator_gets_the_effect_without_the_zone(grid, zones):
    grid.prequalify(spu=grid.spu)
    congested(grid.cast, "likely")
    caller = ActivationCaller(kind=SO, so_ids=frozenset({grid.cast.tso.pk}))
    verdict = ask(grid, hours=3, caller=caller)
    assert verdict.color == YELLOW
    [reason] = [r for r in verdict.reasons if "another system operator" in r]
    assert "NORTH" not in reason and "likely" in reason
    own = ActivationCaller(kind=SO, so_ids=frozenset({grid.cast.local.pk}))
    assert any("NORTH" in r for r in ask(grid, hours=3, caller=own).reasons)


def green() -> Verdict:
    one = Decimal(1)
    return Verdict(color=GREEN, reasons=[], max_quantity_mw=one, requested_quantity_mw=one, direction="up")


def test_the_lookup_is_one_query_and_none_without_a_zone(grid, zones):
    congested(grid.cast, "likely")
    with time_machine.travel(ASKED_AT, tick=False):
        zones_at_points(points=[(0.0, 0.0)], at=ASKED_AT)  # the process's index, built once
        verdict = green()
        kwargs = {"members": None, "start": DAY, "end": DAY + timedelta(hours=3), "tz": "Europe/Stockholm"}
        with CaptureQueriesContext(connection) as queries:
            forecast_congestion_apply(verdicts=[verdict], resource=grid.spu, readable=EVERYTHING, **kwargs)
        assert len(queries) == 1 and verdict.color == YELLOW
        elsewhere = grid.new_spu(cp=None)
        elsewhere.connection_point.longitude, elsewhere.connection_point.latitude = 15.0, 62.0  # in no zone
        away = green()
        with CaptureQueriesContext(connection) as queries:
            forecast_congestion_apply(verdicts=[away], resource=elsewhere, readable=EVERYTHING, **kwargs)
        assert len(queries) == 0 and away.color == GREEN


def test_a_new_zone_is_seen_at_once_and_a_future_version_only_from_its_start(grid, cast, zones):
    point = [(grid.cp.longitude, grid.cp.latitude)]
    assert [z.code for z in zones_at_points(points=point, at=ASKED_AT)] == ["NORTH"]
    with time_machine.travel(PUBLISH_AT, tick=False):
        grid_zone_upload(
            user=cast.local_engineer, system_operator=cast.local, code="NORTH",
            name="North, moved", file=geojson_file(SOUTH_BOX), filename="south.geojson",
            valid_from=ASKED_AT + timedelta(days=1),
        )
    assert [z.name for z in zones_at_points(points=point, at=ASKED_AT)] == ["North substation"]
    assert zones_at_points(points=point, at=ASKED_AT + timedelta(days=2)) == []


def test_the_congested_units_follow_the_as_of_rule_of_the_selector(grid, cast, zones):
    congested(cast, "likely")
    congested(cast, "certain", hour=2, at=PUBLISH_AT + timedelta(minutes=5))
    correction = [row("NORTH", DAY + timedelta(hours=2), "up", "3", "none")]
    publish(cast, correction, at=PUBLISH_AT + timedelta(hours=1), horizon="intraday")
    for as_of in (PUBLISH_AT, PUBLISH_AT + timedelta(minutes=5), PUBLISH_AT + timedelta(hours=2)):
        period = {"start": DAY + timedelta(minutes=30), "end": DAY + timedelta(hours=3), "as_of": as_of}
        expected = [
            (r["start"], r["direction"], r["level"])
            for r in forecast_values_as_of(zone_ids=[zones.north.pk], **period)
            if r["level"] >= 2
        ]
        units = congested_units_as_of(zone_ids=[zones.north.pk], directions={"up", "down"}, **period)
        assert [(u.start, u.direction, u.level) for u in units] == expected
