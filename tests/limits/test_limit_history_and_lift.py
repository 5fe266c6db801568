"""A limit's history in words and local time, and lifting or withdrawing only after a confirmation
(issue 15): the detail page links to a confirm page (no JavaScript needed); only its POST lifts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from limits.history import limit_history
from limits.models import LimitEvent, TemporaryLimit
from limits.selectors import limit_events
from limits.services import limit_lift, limit_update
from tests.limit_helpers import NOW, START, a_limit

pytestmark = pytest.mark.usefixtures("at_now")


def _named(user, first="Anna", last="Berg"):
    user.first_name, user.last_name = first, last
    user.save(update_fields=["first_name", "last_name"])


def _history_items(page: str) -> list[str]:
    body = page.split('data-testid="limit-history"', 1)[1].split("</ol>", 1)[0]
    return [item.split(">", 1)[1].split("</li>", 1)[0].strip() for item in body.split("<li")[1:]]


def test_the_history_says_what_changed_by_whom_in_local_time(grid, client):
    _named(grid.cast.local_engineer)
    limit = a_limit(grid)
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        limit_update(
            user=grid.cast.local_engineer, limit=limit, direction=limit.direction,
            quantity_mw=Decimal("0.3"), start=limit.start, end=limit.end, reason=limit.reason,
        )
    client.force_login(grid.cast.local_engineer)
    with translation.override("en"):
        items = _history_items(client.get(reverse("limits:limit-detail", args=[limit.pk])).content.decode())
    # NOW is 2027-05-31 12:00 UTC: 14:00 in Stockholm (CEST); the limit runs 14:00–16:00 on 1 June.
    assert items == [
        "Published: Up, max 0.5 MW, 1 Jun 2027 14:00 – 1 Jun 2027 16:00 by Anna Berg, 31 May 2027 14:00",
        "Max MW changed from 0.5 to 0.3 by Anna Berg, 31 May 2027 14:05",
    ]


def test_the_history_names_each_changed_value_and_no_raw_field(grid):
    limit = a_limit(grid)
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        limit_update(
            user=grid.cast.local_engineer, limit=limit, direction=limit.direction,
            quantity_mw=limit.quantity_mw, start=limit.start, end=limit.end + timedelta(hours=1),
            reason="Cable fault",
        )
    with translation.override("en"):
        lines = limit_history(limit_events(limit=limit), time_zone="Europe/Stockholm")
    assert [line.action for line in lines] == ["create", "update"]
    assert lines[1].sentences == [
        "End changed from 1 Jun 2027 16:00 to 1 Jun 2027 17:00", "Reason changed to “Cable fault”"
    ]
    assert lines[1].actor == grid.cast.local_engineer.username  # no full name: the user name
    assert not any("quantity_mw" in s or "_at" in s for line in lines for s in line.sentences)


def test_lifting_asks_first_and_only_the_post_lifts(grid, client):
    limit = a_limit(grid)
    client.force_login(grid.cast.local_engineer)
    with time_machine.travel(START + timedelta(minutes=30), tick=False):
        detail = client.get(reverse("limits:limit-detail", args=[limit.pk])).content.decode()
        url = reverse("limits:limit-lift", args=[limit.pk])
        assert f'href="{url}"' in detail  # a link to the confirmation, not a form that lifts
        confirm = client.get(url)
        assert confirm.status_code == 200
        page = confirm.content.decode()
        assert 'data-testid="limit-lift-confirm"' in page and f'action="{url}"' in page
        assert TemporaryLimit.objects.get(pk=limit.pk).lifted_at is None
        response = client.post(url)
    assert response.status_code == 302
    assert TemporaryLimit.objects.get(pk=limit.pk).lifted_at == START + timedelta(minutes=30)
    with translation.override("en"):
        lines = limit_history(limit_events(limit=limit), time_zone="Europe/Stockholm")
    assert lines[-1].sentences == ["Lifted"]


def test_an_upcoming_limit_is_withdrawn_and_its_history_says_so(grid, client):
    limit = a_limit(grid)
    client.force_login(grid.cast.local_engineer)
    url = reverse("limits:limit-lift", args=[limit.pk])
    with translation.override("en"):
        assert "Withdraw limit" in client.get(url).content.decode()
        client.post(url)
        lines = limit_history(limit_events(limit=limit), time_zone="Europe/Stockholm")
    assert TemporaryLimit.objects.get(pk=limit.pk).lifted_at == NOW
    assert lines[-1].action == LimitEvent.Action.LIFT
    assert lines[-1].sentences == ["Withdrawn before it started"]


def test_the_confirmation_of_a_lifted_limit_goes_back_to_its_page(grid, client):
    limit = a_limit(grid)
    limit_lift(user=grid.cast.local_engineer, limit=limit)
    client.force_login(grid.cast.local_engineer)
    response = client.get(reverse("limits:limit-lift", args=[limit.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("limits:limit-detail", args=[limit.pk])


def test_a_viewer_gets_no_confirmation_and_an_outsider_no_page(grid, client):
    limit = a_limit(grid)
    url = reverse("limits:limit-lift", args=[limit.pk])
    client.force_login(grid.cast.local_viewer)
    assert client.get(url).status_code == 403
    client.force_login(grid.cast.other_local_engineer)
    assert client.get(url).status_code == 404
    assert TemporaryLimit.objects.get(pk=limit.pk).lifted_at is None
