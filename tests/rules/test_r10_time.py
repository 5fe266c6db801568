"""R10 Time: stored in UTC, counted and shown in the SO's time zone; deadlines on the local calendar
and conditions written in local time stay right across daylight-saving changes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django import forms

from common.times import InstantError, local_instant
from limits.activation import GREEN, YELLOW, condition_applies_during
from limits.forms import LocalDateTimeField
from prequal.models import Condition
from prequal.services.deadlines import add_local_period
from tests.limit_helpers import check, check_body, conditional, limit
from tests.limits.lean_entry import post

STOCKHOLM = "Europe/Stockholm"


# --- deadlines on the local calendar ---------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "days", "expected"),
    [
        # Across the March change (2027-03-28): 10:00 CET in January → 10:00 CEST in April.
        (datetime(2027, 1, 10, 9, 0, tzinfo=UTC), 3, 0, datetime(2027, 4, 10, 8, 0, tzinfo=UTC)),
        # Across the October change (2027-10-31): 10:00 CEST in August → 10:00 CET in November.
        (datetime(2027, 8, 15, 8, 0, tzinfo=UTC), 3, 0, datetime(2027, 11, 15, 9, 0, tzinfo=UTC)),
        # Days across the March change: 28 days keep the local clock time, not 28 × 24 h.
        (datetime(2027, 3, 20, 9, 0, tzinfo=UTC), 0, 28, datetime(2027, 4, 17, 8, 0, tzinfo=UTC)),
        # Month end clamps: 30 November + 3 months = 29 February in a leap year.
        (datetime(2027, 11, 30, 12, 0, tzinfo=UTC), 3, 0, datetime(2028, 2, 29, 12, 0, tzinfo=UTC)),
        # Landing in the skipped hour (02:30 on 2027-03-28 does not exist in Stockholm).
        (datetime(2026, 12, 28, 1, 30, tzinfo=UTC), 3, 0, datetime(2027, 3, 28, 1, 30, tzinfo=UTC)),
        # Landing in the repeated hour (02:30 twice on 2027-10-31): the first one (CEST).
        (datetime(2027, 7, 31, 0, 30, tzinfo=UTC), 3, 0, datetime(2027, 10, 31, 0, 30, tzinfo=UTC)),
    ],
)
def test_periods_are_counted_on_the_local_calendar(start, months, days, expected):
    assert add_local_period(start=start, months=months, days=days, time_zone=STOCKHOLM) == expected


def test_naive_start_is_refused():
    with pytest.raises(ValueError):
        add_local_period(start=datetime(2027, 1, 1), months=1, time_zone=STOCKHOLM)


@pytest.mark.parametrize(
    ("submitted", "deadline"),
    [
        (datetime(2027, 1, 15, 13, 30, tzinfo=UTC), datetime(2027, 4, 15, 12, 30, tzinfo=UTC)),
        (datetime(2027, 9, 1, 6, 0, tzinfo=UTC), datetime(2027, 12, 1, 7, 0, tzinfo=UTC)),
    ],
    ids=["march-change", "october-change"],
)
def test_submission_stores_the_deadline_in_utc(wf, submitted, deadline):
    with time_machine.travel(submitted, tick=False):
        case = wf.submitted()
    assert set(case.assessments.values_list("deadline", flat=True)) == {deadline}


# --- conditions in local time ----------------------------------------------------------------


def _winter_morning() -> Condition:
    return Condition(
        max_up_mw=0,
        months=[12, 1, 2, 3, 10, 11],
        weekdays=[0, 1, 2, 3, 4],
        start_time=time(7, 0),
        end_time=time(9, 0),
        time_zone=STOCKHOLM,
    )


@pytest.mark.parametrize(
    ("at", "applies"),
    [
        # Friday 2027-03-26, CET (UTC+1): 07:30 local = 06:30 UTC.
        (datetime(2027, 3, 26, 6, 30, tzinfo=UTC), True),
        (datetime(2027, 3, 26, 8, 0, tzinfo=UTC), False),  # 09:00 local: window ended
        # Monday 2027-03-29, CEST (UTC+2) after the change: 07:30 local = 05:30 UTC.
        (datetime(2027, 3, 29, 5, 30, tzinfo=UTC), True),
        (datetime(2027, 3, 29, 7, 0, tzinfo=UTC), False),  # 09:00 local; 08:00 in CET terms
        (datetime(2027, 3, 29, 4, 59, tzinfo=UTC), False),  # 06:59 local
        # Friday 2027-10-29 CEST, Monday 2027-11-01 CET.
        (datetime(2027, 10, 29, 6, 59, tzinfo=UTC), True),  # 08:59 local
        (datetime(2027, 10, 29, 7, 0, tzinfo=UTC), False),
        (datetime(2027, 11, 1, 6, 0, tzinfo=UTC), True),  # 07:00 local
        (datetime(2027, 11, 1, 8, 0, tzinfo=UTC), False),  # 09:00 local
        # Saturday, and a summer month.
        (datetime(2027, 3, 27, 6, 30, tzinfo=UTC), False),
        (datetime(2027, 6, 7, 5, 30, tzinfo=UTC), False),
    ],
)
def test_time_window_conditions_follow_local_time_across_dst(at, applies):
    assert _winter_morning().applies_at(at) is applies


@pytest.mark.parametrize(
    ("at", "applies"),
    [
        # Sunday 2027-03-28, the spring change at 01:00 UTC: 07:00–09:00 CEST is 05:00–07:00 UTC.
        (datetime(2027, 3, 28, 4, 59, tzinfo=UTC), False),
        (datetime(2027, 3, 28, 5, 0, tzinfo=UTC), True),
        (datetime(2027, 3, 28, 6, 59, tzinfo=UTC), True),
        (datetime(2027, 3, 28, 7, 0, tzinfo=UTC), False),
        # Sunday 2027-10-31, the autumn change at 01:00 UTC: 07:00–09:00 CET is 06:00–08:00 UTC.
        (datetime(2027, 10, 31, 5, 59, tzinfo=UTC), False),
        (datetime(2027, 10, 31, 6, 0, tzinfo=UTC), True),
        (datetime(2027, 10, 31, 7, 59, tzinfo=UTC), True),
        (datetime(2027, 10, 31, 8, 0, tzinfo=UTC), False),
    ],
)
def test_a_morning_window_on_the_days_of_the_changes_keeps_its_local_hours(at, applies):
    morning = Condition(max_up_mw=0, start_time=time(7, 0), end_time=time(9, 0), time_zone=STOCKHOLM)
    assert morning.applies_at(at) is applies
    # The activation check's period test agrees, minute by minute at the edges.
    assert condition_applies_during(morning, at, at + timedelta(minutes=1)) is applies


def test_window_crossing_midnight_belongs_to_the_day_it_starts():
    night = Condition(
        max_down_mw=1, weekdays=[4], start_time=time(22, 0), end_time=time(6, 0), time_zone=STOCKHOLM
    )
    assert night.applies_at(datetime(2027, 1, 15, 22, 30, tzinfo=UTC))  # Fri 23:30
    assert night.applies_at(datetime(2027, 1, 16, 4, 0, tzinfo=UTC))  # Sat 05:00, Friday's night
    assert not night.applies_at(datetime(2027, 1, 16, 22, 30, tzinfo=UTC))  # Sat 23:30


def test_validity_bounds_a_condition():
    condition = Condition(
        max_up_mw=1,
        time_zone=STOCKHOLM,
        valid_from=datetime(2027, 1, 1, tzinfo=UTC),
        valid_to=datetime(2027, 2, 1, tzinfo=UTC),
    )
    assert not condition.applies_at(datetime(2026, 12, 31, tzinfo=UTC))
    assert condition.applies_at(datetime(2027, 1, 15, tzinfo=UTC))
    assert not condition.applies_at(datetime(2027, 2, 1, tzinfo=UTC))


# --- the activation check across the changes -------------------------------------------------


@pytest.mark.parametrize(
    ("start", "applies"),
    [
        # Friday before the March change: CET (UTC+1).
        (datetime(2027, 3, 26, 7, 0, tzinfo=UTC), True),  # 08:00 local
        (datetime(2027, 3, 26, 6, 0, tzinfo=UTC), False),  # 07:00 local
        # Monday after it: CEST (UTC+2); the same local window is an hour earlier in UTC.
        (datetime(2027, 3, 29, 6, 0, tzinfo=UTC), True),  # 08:00 local
        (datetime(2027, 3, 29, 8, 0, tzinfo=UTC), False),  # 10:00 local
        # Friday before the October change: CEST; Monday after: CET.
        (datetime(2027, 10, 29, 6, 0, tzinfo=UTC), True),
        (datetime(2027, 10, 29, 8, 0, tzinfo=UTC), False),
        (datetime(2027, 11, 1, 7, 0, tzinfo=UTC), True),
        (datetime(2027, 11, 1, 6, 0, tzinfo=UTC), False),
    ],
)
def test_condition_windows_stay_in_local_time_across_dst(grid, start, applies):
    conditional(grid, max_up_mw=Decimal("0.3"), months=[3, 10, 11], start_time="08:00", end_time="10:00")
    verdict = check(grid, start=start)
    assert (verdict.color == YELLOW) is applies


def test_a_window_inside_the_spring_forward_night_is_found():
    # 02:30–04:00 local on 28 March 2027: the clock jumps 02:00 → 03:00 at 01:00 UTC, so the
    # window starts at 01:00 UTC (03:00 CEST). A period 00:45–01:15 UTC touches it.
    condition = Condition(
        max_up_mw=Decimal(1), start_time=time(2, 30), end_time=time(4, 0), time_zone="Europe/Stockholm"
    )
    at = datetime(2027, 3, 28, 0, 45, tzinfo=UTC)
    assert condition_applies_during(condition, at, at + timedelta(minutes=30))
    assert not condition_applies_during(condition, at - timedelta(minutes=30), at)


def test_the_autumn_night_has_25_hours():
    # 22:00–06:00 local across the night of 31 October 2027 (CEST → CET).
    condition = Condition(
        max_up_mw=Decimal(1), start_time=time(22, 0), end_time=time(6, 0), time_zone="Europe/Stockholm"
    )
    assert condition_applies_during(
        condition, datetime(2027, 10, 31, 4, 30, tzinfo=UTC), datetime(2027, 10, 31, 4, 45, tzinfo=UTC)
    )  # 05:30 CET
    assert not condition_applies_during(
        condition, datetime(2027, 10, 31, 5, 0, tzinfo=UTC), datetime(2027, 10, 31, 6, 0, tzinfo=UTC)
    )  # 06:00 CET
    assert condition_applies_during(
        condition, datetime(2027, 10, 30, 20, 0, tzinfo=UTC), datetime(2027, 10, 30, 20, 15, tzinfo=UTC)
    )  # 22:00 CEST


def test_a_limit_across_the_dst_change_covers_the_local_period(grid):
    grid.prequalify(spu=grid.spu)
    # 00:00–06:00 local on 31 October 2027 lasts 7 hours: 22:00 UTC to 05:00 UTC.
    limit(
        grid,
        quantity="0.1",
        start=datetime(2027, 10, 30, 22, 0, tzinfo=UTC),
        end=datetime(2027, 10, 31, 5, 0, tzinfo=UTC),
    )
    assert check(grid, start=datetime(2027, 10, 31, 4, 0, tzinfo=UTC)).color == YELLOW
    assert check(grid, start=datetime(2027, 10, 31, 5, 0, tzinfo=UTC)).color == GREEN


# --- a typed local time names exactly one instant (issue 13) ------------------------------------


def test_a_local_time_in_the_spring_gap_or_the_autumn_fold_is_refused_not_shifted():
    stockholm = ZoneInfo("Europe/Stockholm")
    with pytest.raises(InstantError, match="does not exist"):
        local_instant(datetime(2027, 3, 28, 2, 30), stockholm)
    with pytest.raises(InstantError, match=r"\+02:00 for the first, \+01:00 for the second"):
        local_instant(datetime(2027, 10, 31, 2, 30), stockholm)
    assert local_instant(datetime(2027, 3, 28, 3, 30), stockholm) == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    with pytest.raises(InstantError, match="2000 and 2099"):
        local_instant(datetime(1999, 12, 31, 12, 0), stockholm)


@pytest.mark.parametrize(
    "start",
    ["2027-03-28T02:30:00", "2027-10-31T02:30:00", "1999-06-01T10:00:00Z", "2100-06-01T10:00:00+02:00"],
    ids=["gap", "fold", "before-2000", "after-2099"],
)
def test_the_activation_check_refuses_such_a_time_on_the_field_from_either_entry(grid, platform_token, start):
    body = check_body(grid, start=start, end="2027-11-01T10:00:00Z")
    answers = [post(platform_token, body, full=full) for full in (False, True)]
    for status, _headers, content in answers:
        assert status == 400, content
        assert list(json.loads(content)["errors"]) == ["start"]
    assert json.loads(answers[0][2]) == json.loads(answers[1][2])


def test_the_limit_forms_refuse_a_local_time_in_the_gap():
    field = LocalDateTimeField()
    field.time_zone = "Europe/Stockholm"
    with pytest.raises(forms.ValidationError, match="does not exist"):
        field.clean("2027-03-28 02:30")
    assert field.clean("2027-03-28 03:30") == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
