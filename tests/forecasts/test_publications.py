"""Publishing a congestion forecast (SPEC R12, §6): every bad row refused with its own message,
all or nothing, every publication kept and attributed, a constant number of queries."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from forecasts.models import ForecastValue, ImmutableRecord, Publication
from forecasts.services import publication_create
from tests.forecasts.helpers import DAY, PUBLISH_AT, day_rows, publish, row

pytestmark = pytest.mark.django_db


def refused(cast, rows, **kwargs) -> list[str]:
    with pytest.raises(ValidationError) as exc:
        publish(cast, rows, **kwargs)
    assert not Publication.objects.exists() and not ForecastValue.objects.exists()
    return exc.value.message_dict["rows"]


def test_a_publication_stores_every_row_with_who_and_when(cast, zones):
    publication = publish(
        cast, day_rows("NORTH", hours=3) + day_rows("SOUTH", hours=3, level="likely")
    )
    assert (publication.published_by, publication.published_at) == (cast.local_engineer, PUBLISH_AT)
    assert (publication.horizon, publication.mtu_minutes, publication.row_count) == (
        "day_ahead",
        60,
        12,
    )
    assert (publication.first_start, publication.last_end) == (DAY, DAY + timedelta(hours=3))
    values = ForecastValue.objects.filter(publication=publication)
    assert values.count() == 12
    south = values.get(zone=zones.south, start=DAY, direction="down")
    assert (south.level, south.headroom_mw, south.minutes, south.published_at) == (
        2,
        Decimal("5"),
        60,
        PUBLISH_AT,
    )


def test_a_csv_publication(cast, zones):
    text = (
        "zone,start,direction,headroom_mw,level\n"
        "NORTH,2027-01-06T01:00+01:00,up,2.5,possible\n\n"
        "NORTH,2027-01-06T01:00+01:00,down,0,certain\n"
    )
    with time_machine.travel(PUBLISH_AT, tick=False):
        publication = publication_create(
            user=cast.local_engineer,
            system_operator=cast.local,
            horizon="intraday",
            mtu_minutes=15,
            csv_text=text,
        )
    assert publication.row_count == 2
    assert set(ForecastValue.objects.values_list("start", "direction", "level")) == {
        (DAY, "up", 1),
        (DAY, "down", 3),
    }


def test_a_correction_is_a_new_publication_and_both_are_kept(cast, zones):
    first = publish(cast, day_rows(hours=1))
    second = publish(cast, day_rows(hours=1, level="likely"), at=PUBLISH_AT + timedelta(hours=1))
    assert first.pk != second.pk
    assert ForecastValue.objects.count() == 4
    with pytest.raises(ImmutableRecord):
        first.save()
    with pytest.raises(ImmutableRecord):
        first.delete()


def test_an_unknown_zone_is_refused_on_its_row(cast, zones):
    messages = refused(cast, [row("NORTH"), row("NOWHERE"), row("GBG")])
    assert messages == [
        "rows[1], zone: 'NOWHERE' is not a grid zone of Local DSO.",
        "rows[2], zone: 'GBG' is not a grid zone of Local DSO.",
    ]


@pytest.mark.parametrize(
    "mtu, start",
    [
        (60, DAY + timedelta(minutes=15)),
        (15, DAY + timedelta(minutes=7)),
        (15, DAY + timedelta(seconds=30)),
    ],
)
def test_a_misaligned_market_time_unit_is_refused(cast, zones, mtu, start):
    messages = refused(cast, [row(start=DAY), row(start=start)], mtu=mtu)
    assert len(messages) == 1
    assert messages[0].startswith("rows[1], start: ")
    assert f"does not begin a {mtu}-minute market time unit" in messages[0]


def test_a_negative_headroom_is_refused(cast, zones):
    messages = refused(
        cast, [row(headroom_mw="-0.5"), row(start=DAY + timedelta(hours=1), headroom_mw="x")]
    )
    assert messages == [
        "rows[0], headroom_mw: The headroom cannot be negative (-0.5 MW).",
        "rows[1], headroom_mw: 'x' is not a number of MW.",
    ]


def test_duplicate_rows_in_one_publication_are_refused(cast, zones):
    messages = refused(cast, [row(), row(direction="down"), row(headroom_mw="3")])
    assert messages == ["rows[2]: Duplicate row: the same zone, start and direction as rows[0]."]


def test_a_day_ahead_period_in_the_past_is_refused(cast, zones):
    past = PUBLISH_AT - timedelta(hours=1)
    messages = refused(cast, [row(start=past), row()])
    assert len(messages) == 1 and messages[0].startswith("rows[0], start: ")
    assert "in the past" in messages[0]


def test_an_intraday_correction_may_cover_the_running_hour(cast, zones):
    publication = publish(cast, [row(start=PUBLISH_AT)], horizon="intraday")
    assert publication.row_count == 1


def test_every_bad_row_is_reported_at_once_and_nothing_is_stored(cast, zones):
    messages = refused(
        cast,
        [
            row(zone="NOWHERE"),
            row(direction="sideways"),
            row(level="red", start=DAY + timedelta(hours=2)),
            row(start="2027-01-06T10:00"),
            {"zone": "NORTH", "colour": "red"},
            "not an object",
        ],
    )
    assert [m.split(":")[0] for m in messages] == [
        "rows[4], colour",
        "rows[5]",
        "rows[0], zone",
        "rows[1], direction",
        "rows[2], level",
        "rows[3], start",
        "rows[4], start",
        "rows[4], direction",
        "rows[4], headroom_mw",
        "rows[4], level",
    ]


def test_a_csv_header_must_name_the_columns(cast, zones):
    with time_machine.travel(PUBLISH_AT, tick=False), pytest.raises(ValidationError) as exc:
        publication_create(
            user=cast.local_engineer,
            system_operator=cast.local,
            horizon="day_ahead",
            mtu_minutes=60,
            csv_text="zone,start,dir,headroom_mw,level\nNORTH,x,up,1,none\n",
        )
    assert exc.value.message_dict["rows"][0].startswith("line 1: The header must name the columns")


def test_csv_rows_are_named_by_their_line(cast, zones):
    text = (
        "zone,start,direction,headroom_mw,level\nNORTH,2027-01-06T00:00Z,up,1,none\n"
        "NORTH,2027-01-06T00:00Z,down,-1,none\n"
    )
    with time_machine.travel(PUBLISH_AT, tick=False), pytest.raises(ValidationError) as exc:
        publication_create(
            user=cast.local_engineer,
            system_operator=cast.local,
            horizon="day_ahead",
            mtu_minutes=60,
            csv_text=text,
        )
    assert exc.value.message_dict["rows"] == [
        "line 3, headroom_mw: The headroom cannot be negative (-1 MW)."
    ]


@pytest.mark.parametrize(
    "horizon, mtu, field", [("weekly", 60, "horizon"), ("day_ahead", 30, "mtu_minutes")]
)
def test_the_horizon_and_market_time_unit_are_checked(cast, zones, horizon, mtu, field):
    with pytest.raises(ValidationError) as exc:
        publish(cast, [row()], horizon=horizon, mtu=mtu)
    assert field in exc.value.message_dict


@pytest.mark.parametrize(
    "persona", ["local_viewer", "other_local_engineer", "fsp_a_user", "nra_analyst"]
)
def test_only_the_operators_engineers_publish(cast, zones, persona):
    with pytest.raises(PermissionDenied):
        publish(cast, [row()], user=getattr(cast, persona))


def test_a_publication_costs_the_same_queries_whatever_its_size(cast, zones):
    publish(
        cast, [row()]
    )  # the delivery month's partition is made (PostgreSQL) and known from here
    counts = []
    for hours, at in (
        (1, PUBLISH_AT + timedelta(minutes=1)),
        (20, PUBLISH_AT + timedelta(minutes=2)),
    ):
        with time_machine.travel(at, tick=False), CaptureQueriesContext(connection) as queries:
            publication_create(
                user=cast.local_engineer,
                system_operator=cast.local,
                horizon="intraday",
                mtu_minutes=15,
                rows=day_rows("NORTH", hours=hours, mtu=15)
                + day_rows("SOUTH", hours=hours, mtu=15),
            )
        counts.append(len(queries))
    assert ForecastValue.objects.count() == 1 + 2 * 4 * 2 + 20 * 4 * 2 * 2
    assert counts[0] == counts[1]
    assert counts[0] <= 8


def test_a_semicolon_csv_with_decimal_commas(cast, zones):
    text = "zone;start;direction;headroom_mw;level\nNORTH;2027-01-06T00:00Z;up;2,5;likely\n"
    with time_machine.travel(PUBLISH_AT, tick=False):
        publication_create(
            user=cast.local_engineer,
            system_operator=cast.local,
            horizon="day_ahead",
            mtu_minutes=60,
            csv_text=text,
        )
    assert ForecastValue.objects.get().headroom_mw == Decimal("2.5")
