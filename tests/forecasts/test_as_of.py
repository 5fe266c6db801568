"""Reading forecasts "as of" a moment (SPEC R12): what was published by then, so that a later
correction never rewrites what an FSP saw when it bid; for a zone, a resource and a point."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from forecasts.selectors import (
    forecast_for_point,
    forecast_for_spg,
    forecast_for_spu,
    forecast_for_zone,
    forecast_values_as_of,
)
from forecasts.services import grid_zone_upload
from tests.factories import SpgFactory, SpgMembershipFactory
from tests.forecasts.helpers import DAY, NORTH_BOX, PUBLISH_AT, day_rows, publish, row
from tests.gis import geojson_file
from tests.grid import SETUP_TIME

pytestmark = pytest.mark.django_db
CORRECTED_AT = PUBLISH_AT + timedelta(hours=2)


@pytest.fixture
def published(cast, zones):
    """Day-ahead: NORTH and SOUTH free for DAY 00:00–02:00; then a correction: NORTH likely at
    01:00 upwards (one row)."""
    first = publish(cast, day_rows("NORTH", hours=2) + day_rows("SOUTH", hours=2))
    correction = publish(
        cast,
        [row("NORTH", DAY + timedelta(hours=1), "up", "0.5", "likely")],
        at=CORRECTED_AT,
        horizon="intraday",
    )
    return first, correction


def levels(rows) -> dict:
    return {(r["start"] - DAY, r["direction"]): (r["level"], r["publication_id"]) for r in rows}


def test_before_the_correction_the_first_publication_is_seen(zones, published):
    first, _correction = published
    rows = forecast_values_as_of(
        zone_ids=[zones.north.pk],
        start=DAY,
        end=DAY + timedelta(hours=2),
        as_of=CORRECTED_AT - timedelta(seconds=1),
    )
    assert levels(rows) == {
        (timedelta(hours=h), d): (0, first.pk) for h in (0, 1) for d in ("up", "down")
    }


def test_after_the_correction_it_replaces_only_its_own_rows(zones, published):
    first, correction = published
    rows = forecast_values_as_of(
        zone_ids=[zones.north.pk], start=DAY, end=DAY + timedelta(hours=2), as_of=CORRECTED_AT
    )
    seen = levels(rows)
    assert seen[(timedelta(hours=1), "up")] == (2, correction.pk)
    assert seen[(timedelta(hours=1), "down")] == (0, first.pk)
    assert seen[(timedelta(0), "up")] == (0, first.pk)
    assert len(seen) == 4


def test_nothing_is_seen_before_the_first_publication(zones, published):
    assert (
        forecast_values_as_of(
            zone_ids=[zones.north.pk],
            start=DAY,
            end=DAY + timedelta(hours=2),
            as_of=PUBLISH_AT - timedelta(minutes=1),
        )
        == []
    )


def test_a_unit_that_began_before_the_period_still_overlaps_it(zones, published):
    rows = forecast_values_as_of(
        zone_ids=[zones.north.pk],
        start=DAY + timedelta(minutes=30),
        end=DAY + timedelta(minutes=45),
        as_of=CORRECTED_AT,
    )
    assert {(r["start"], r["direction"]) for r in rows} == {(DAY, "up"), (DAY, "down")}


def test_a_zone_as_of_a_moment_for_its_operators_viewer(cast, zones, published):
    answer = forecast_for_zone(
        user=cast.local_viewer,
        zone_id=zones.south.pk,
        start=DAY,
        end=DAY + timedelta(hours=2),
        as_of=CORRECTED_AT,
    )
    assert answer.version.zone == zones.south
    assert [(v["start"], v["direction"], v["horizon"]) for v in answer.values][:2] == [
        (DAY, "down", "day_ahead"),
        (DAY, "up", "day_ahead"),
    ]


def test_an_spu_reads_the_zones_around_its_point_for_48_hours(cast, grid, zones, published):
    _first, correction = published
    found = forecast_for_spu(
        user=cast.fsp_a_user, pk=grid.spu.pk, as_of=CORRECTED_AT + timedelta(minutes=7)
    )
    assert found.resource == grid.spu
    assert (found.start, found.end) == (CORRECTED_AT, CORRECTED_AT + timedelta(hours=48))
    # SOUTH does not contain the point.
    assert [zone.version.zone for zone in found.zones] == [zones.north]
    values = found.zones[0].values
    assert all(CORRECTED_AT <= v["start"] < CORRECTED_AT + timedelta(hours=48) for v in values)
    likely = [v for v in values if v["level"] == 2]
    assert [(v["start"], v["direction"], v["publication_id"]) for v in likely] == [
        (DAY + timedelta(hours=1), "up", correction.pk)
    ]


def test_an_spg_reads_the_zones_of_its_members_at_the_moment(cast, grid, zones, published):
    spg = SpgFactory(fsp=cast.fsp_a, bidding_zone="SE3")
    SpgMembershipFactory(spg=spg, spu=grid.spu, valid_from=PUBLISH_AT, valid_to=CORRECTED_AT)
    during = forecast_for_spg(
        user=cast.fsp_a_user, pk=spg.pk, as_of=PUBLISH_AT + timedelta(hours=1)
    )
    after = forecast_for_spg(user=cast.fsp_a_user, pk=spg.pk, as_of=CORRECTED_AT)
    assert [zone.version.zone for zone in during.zones] == [zones.north]
    assert after.zones == []


def test_a_point_reads_the_zones_containing_it(cast, grid, zones, published):
    point, answer = forecast_for_point(
        user=cast.local_engineer,
        pk=grid.cp.pk,
        start=DAY,
        end=DAY + timedelta(hours=1),
        as_of=CORRECTED_AT,
    )
    assert point == grid.cp
    assert [zone.version.zone for zone in answer] == [zones.north]
    assert len(answer[0].values) == 2


def test_another_fsps_resource_is_not_found(cast, grid, zones, published):
    with pytest.raises(Http404):
        forecast_for_spu(user=cast.fsp_b_user, pk=grid.spu.pk, as_of=CORRECTED_AT)


def test_a_resources_read_costs_the_same_queries_whatever_is_stored(cast, grid, zones, published):
    def queries() -> int:
        cast.fsp_a_user.__dict__.pop("_gridprequal_roles", None)
        with CaptureQueriesContext(connection) as captured:
            forecast_for_spu(user=cast.fsp_a_user, pk=grid.spu.pk, as_of=CORRECTED_AT)
        return len(captured)

    before = queries()
    for hour in range(1, 6):  # more publications, more rows, more zones around the point
        publish(cast, day_rows("NORTH", hours=6), at=CORRECTED_AT - timedelta(minutes=hour))
    with time_machine.travel(SETUP_TIME + timedelta(minutes=9), tick=False):
        grid_zone_upload(
            user=cast.local_engineer,
            system_operator=cast.local,
            code="NORTH-2",
            name="North again",
            file=geojson_file(NORTH_BOX),
            filename="n2.geojson",
        )
    assert queries() == before


def test_the_fsps_read_of_its_unit_takes_three_statements(cast, grid, zones, published):
    """SPEC §7 (a resource's 48 hours in 20 ms): whether the user is a market platform client, its
    memberships, then the SPU with its point and FSP and the rows of the zones around the point
    with their publications in one statement. The zones, their versions, operators and geometries
    come from the process's zone index."""
    forecast_for_spu(user=cast.fsp_a_user, pk=grid.spu.pk, as_of=CORRECTED_AT)  # the zone index, built once
    user = type(cast.fsp_a_user).objects.get(pk=cast.fsp_a_user.pk)  # nothing cached on the user
    with CaptureQueriesContext(connection) as captured:
        found = forecast_for_spu(user=user, pk=grid.spu.pk, as_of=CORRECTED_AT)
        shown = [(z.version.zone.code, z.version.name, z.version.zone.system_operator.name)
                 for z in found.zones]
        fsp = found.resource.fsp.organisation_id, found.resource.connection_point.latitude
    statements = [query["sql"] for query in captured]
    assert len(statements) == 3, statements
    assert "limits_marketplatformclient" in statements[0]
    assert '"accounts_membership"' in statements[1]
    tables = ('"prequal_spu"', "forecasts_forecastvalue", "forecasts_publication")
    assert all(table in statements[2] for table in tables)
    assert shown == [("NORTH", zones.north.versions.get().name, cast.local.name)]
    assert fsp == (grid.spu.fsp.organisation_id, grid.spu.connection_point.latitude)
    assert [v["horizon"] for v in found.zones[0].values][:1] == ["day_ahead"]
    assert found.zones[0].values == forecast_values_as_of(
        zone_ids=[zones.north.pk], start=found.start, end=found.end, as_of=CORRECTED_AT)


def test_an_sos_read_of_a_unit_reads_its_zones_from_the_index(cast, grid, zones, published):
    """An SO engineer: the zones it reads are its own and those in its area (one query for the
    area); the versions and their geometries are not read from the database."""
    forecast_for_spu(user=cast.local_engineer, pk=grid.spu.pk, as_of=CORRECTED_AT)
    user = type(cast.local_engineer).objects.get(pk=cast.local_engineer.pk)
    with CaptureQueriesContext(connection) as captured:
        found = forecast_for_spu(user=user, pk=grid.spu.pk, as_of=CORRECTED_AT)
    assert [zone.version.zone for zone in found.zones] == [zones.north]
    assert not [q for q in captured if '"forecasts_gridzoneversion"' in q["sql"]]
    assert len(captured) <= 8


def test_a_zone_whose_box_alone_holds_the_point_stays_out_of_the_units_forecast(cast, grid, zones):
    """The FSP's read of its SPU takes the rows of the zones whose bounding boxes hold the point
    in the SPU's statement; a zone around the point with a hole where the point is (its box holds
    the point, its geometry not) is read, never shown: the zones are the zone index's."""
    from shapely.geometry import Point, box

    ring = NORTH_BOX.difference(box(18.0, 59.3, 18.1, 59.36))
    assert not ring.contains(Point(grid.cp.longitude, grid.cp.latitude))
    with time_machine.travel(SETUP_TIME + timedelta(minutes=6), tick=False):
        grid_zone_upload(user=cast.local_engineer, system_operator=cast.local, code="RING", name="Ring",
                         file=geojson_file(ring), filename="ring.geojson")
    publish(cast, day_rows("NORTH") + day_rows("RING", level="likely"))
    found = forecast_for_spu(user=cast.fsp_a_user, pk=grid.spu.pk, as_of=DAY)
    assert [zone.version.zone.code for zone in found.zones] == ["NORTH"]
    assert found.zones[0].values == forecast_values_as_of(
        zone_ids=[zones.north.pk], start=found.start, end=found.end, as_of=DAY)
    assert len(found.zones[0].values) == 4 and {v["level"] for v in found.zones[0].values} == {0}
