"""R12: the day-ahead forecast for day D is due by a deadline set per jurisdiction as data (Sweden:
D-1 10:00 local time, seeded by a migration); each day is on time, late, missing or still due,
on the SO's forecasts page.

The forecast world (helpers.py): zones uploaded at 2027-01-04 09:05 UTC, so D = 2027-01-05 (due
2027-01-04 09:00 UTC) is not judged; D = 2027-01-06 is due 2027-01-05 09:00 UTC (= PUBLISH_AT).
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.urls import reverse

from forecasts.discipline import (
    DUE,
    LATE,
    MISSING,
    ON_TIME,
    _deadline,
    day_ahead_discipline,
    discipline_summary,
)
from forecasts.models import PublicationDeadline
from observability.models import SystemOperator
from tests.forecasts.helpers import DAY, PUBLISH_AT, day_rows, publish

pytestmark = pytest.mark.django_db
NOW = datetime(2027, 1, 8, 12, 0, tzinfo=UTC)
STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")


def statuses(cast, now=NOW, first=date(2027, 1, 4), last=date(2027, 1, 10)) -> dict:
    operators = SystemOperator.objects.select_related("organisation").filter(
        pk__in=[cast.local.pk, cast.other_local.pk]
    )
    found = day_ahead_discipline(system_operators=operators, first_day=first, last_day=last, now=now)
    return {pk: {s.day: s.status for s in days} for pk, days in found.items()}


def test_sweden_is_seeded_d_minus_1_at_ten():
    rule = PublicationDeadline.objects.get(jurisdiction="SE")
    assert (rule.days_before, rule.local_time) == (1, time(10, 0))


def test_each_day_is_on_time_late_missing_or_due(cast, zones):
    publish(cast, day_rows("NORTH", hours=2))  # for the 6th, at its deadline exactly
    publish(cast, day_rows("NORTH", start=DAY + timedelta(days=1)), at=DAY + timedelta(hours=11))  # 7th, late
    # A correction for the 6th after the deadline does not make the day late.
    publish(cast, day_rows("NORTH", hours=2), at=PUBLISH_AT + timedelta(hours=3))
    seen = statuses(cast)
    assert seen[cast.local.pk] == {
        date(2027, 1, 6): ON_TIME,
        date(2027, 1, 7): LATE,
        date(2027, 1, 8): MISSING,
        date(2027, 1, 9): MISSING,  # due 2027-01-08 09:00 UTC, now 12:00
        date(2027, 1, 10): DUE,
    }
    # The other local DSO has a zone too and published nothing.
    assert set(seen[cast.other_local.pk].values()) == {MISSING, DUE}
    figures = discipline_summary(
        day_ahead_discipline(
            system_operators=[cast.local], first_day=date(2027, 1, 1), last_day=date(2027, 1, 10), now=NOW
        )[cast.local.pk]
    )
    assert (figures.on_time, figures.late, figures.missing, figures.share_on_time) == (1, 1, 2, 25.0)


def test_an_operator_without_zones_or_without_a_rule_is_not_judged(cast, zones):
    cast.other_local.organisation.country = "NO"
    cast.other_local.organisation.save()
    assert cast.other_local.pk not in statuses(cast)
    PublicationDeadline.objects.create(
        jurisdiction="", name="Everywhere else", days_before=1, local_time=time(9, 0),
        valid_from=datetime(2024, 1, 1, tzinfo=UTC),
    )
    assert cast.other_local.pk in statuses(cast)
    assert cast.regional.pk not in day_ahead_discipline(
        system_operators=[cast.regional], first_day=date(2027, 1, 4), last_day=date(2027, 1, 10), now=NOW
    )


def test_the_deadline_is_local_time_across_daylight_saving():
    rule = PublicationDeadline(days_before=1, local_time=time(10, 0))
    assert _deadline(rule, date(2027, 3, 28), STOCKHOLM) == datetime(2027, 3, 27, 9, 0, tzinfo=UTC)
    assert _deadline(rule, date(2027, 3, 29), STOCKHOLM) == datetime(2027, 3, 28, 8, 0, tzinfo=UTC)


def test_a_newer_version_of_the_rule_applies_from_its_date(cast, zones):
    PublicationDeadline.objects.create(
        jurisdiction="SE", name="Earlier", days_before=1, local_time=time(8, 0),
        valid_from=datetime(2027, 1, 6, tzinfo=UTC),
    )
    publish(cast, day_rows("NORTH", start=DAY + timedelta(days=1)), at=DAY + timedelta(hours=8))  # 09:00 CET
    assert statuses(cast)[cast.local.pk][date(2027, 1, 7)] == LATE


def test_the_so_page_shows_the_days(cast, zones, client):
    publish(cast, day_rows("NORTH", hours=2))
    with time_machine.travel(NOW, tick=False):
        client.force_login(cast.local_viewer)
        page = client.get(reverse("forecasts:so-page")).content.decode()
    assert 'id="discipline"' in page
    assert 'data-day="2027-01-06" data-status="on_time"' in page
    assert 'data-day="2027-01-08" data-status="missing"' in page
    # An operator's page lists its own days only.
    assert page.count('data-day="2027-01-08"') == 1
