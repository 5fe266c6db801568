"""R12: the day-ahead publication deadline is data the platform admin changes in the admin (Sweden
seeded at D-1 10:00 local time by a migration); nobody else reaches that page."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from django.urls import reverse

from forecasts.discipline import day_ahead_discipline
from forecasts.models import PublicationDeadline
from observability.models import SystemOperator

pytestmark = pytest.mark.django_db


def sweden() -> PublicationDeadline:
    return PublicationDeadline.objects.get(jurisdiction="SE", valid_from=datetime(2024, 1, 1, tzinfo=UTC))


def test_sweden_is_seeded_and_listed_in_the_admin(client, cast):
    rule = sweden()
    assert (rule.days_before, rule.local_time) == (1, time(10, 0))
    client.force_login(cast.admin)
    response = client.get(reverse("admin:forecasts_publicationdeadline_changelist"))
    assert response.status_code == 200
    change = reverse("admin:forecasts_publicationdeadline_change", args=[rule.pk])
    assert change in response.content.decode()
    assert client.get(change).status_code == 200


def _form(**values) -> dict:
    return {
        "jurisdiction": "SE", "name": "Day-ahead congestion forecast (Sweden)", "legal_basis": "",
        "days_before": 1, "local_time": "10:00:00",
        "valid_from_0": "2024-01-01", "valid_from_1": "01:00:00",  # the admin shows Stockholm time
        **values,
    }


def test_the_admin_changes_the_swedish_deadline_and_the_discipline_follows(client, cast, zones):
    client.force_login(cast.admin)
    url = reverse("admin:forecasts_publicationdeadline_change", args=[sweden().pk])
    response = client.post(url, _form(local_time="08:30:00"))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert sweden().local_time == time(8, 30)
    operator = SystemOperator.objects.select_related("organisation").get(pk=cast.local.pk)
    found = day_ahead_discipline(
        system_operators=[operator], first_day=date(2027, 1, 6), last_day=date(2027, 1, 6),
        now=datetime(2027, 1, 8, tzinfo=UTC),
    )[operator.pk]
    # D = 2027-01-06 is now due D-1 08:30 Stockholm time (winter: UTC+1).
    assert [status.deadline for status in found] == [datetime(2027, 1, 5, 7, 30, tzinfo=UTC)]


def test_the_admin_adds_a_deadline_for_another_country(client, cast):
    client.force_login(cast.admin)
    response = client.post(
        reverse("admin:forecasts_publicationdeadline_add"),
        _form(jurisdiction="NO", name="Norway", local_time="11:00:00", valid_from_0="2027-01-01"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rule = PublicationDeadline.objects.get(jurisdiction="NO")
    assert (rule.days_before, rule.local_time) == (1, time(11, 0))


@pytest.mark.parametrize("who", ["local_engineer", "fsp_a_user", "nra_analyst"])
def test_nobody_but_the_admin_reaches_the_deadline_admin(client, cast, who):
    client.force_login(getattr(cast, who))
    response = client.get(reverse("admin:forecasts_publicationdeadline_changelist"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
    assert not PublicationDeadline.objects.exclude(jurisdiction="SE").exists()
