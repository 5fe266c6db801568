"""R12: an FSP is told when a forecast turns likely or certain for a zone around one of its resources,
once per zone, market time unit, direction and level (the kind `forecast_congestion`).

The forecast world (helpers.py): FSP A's SPU grid.spu (BAT-1) sits in NORTH; FSP B has none there.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail

from forecasts.models import CongestionNotice
from forecasts.notifications import NOTIFICATION_KIND, congestion_notices_record
from notices.models import EmailPreference, Notification
from tests.forecasts.helpers import DAY, PUBLISH_AT, day_rows, publish, row

pytestmark = pytest.mark.django_db


@pytest.fixture
def addressed(cast):
    for user, address in ((cast.fsp_a_user, "a@fsp.example"), (cast.fsp_b_user, "b@fsp.example")):
        user.email = address
        user.save()


def likely_at_one(level="likely", at=PUBLISH_AT, zone="NORTH"):
    """Free for DAY 00:00–03:00 except `level` upwards at 01:00 and 02:00."""
    return [
        {**r, "level": level} if r["direction"] == "up" and r["start"] in (
            (DAY + timedelta(hours=1)).isoformat(), (DAY + timedelta(hours=2)).isoformat()
        ) else r
        for r in day_rows(zone, hours=3)
    ]


def publish_committed(cast, rows, capture, **kwargs):
    with capture(execute=True):
        return publish(cast, rows, **kwargs)


def test_the_fsp_with_a_resource_in_the_zone_is_told_once(
    cast, grid, zones, addressed, django_capture_on_commit_callbacks
):
    publication = publish_committed(cast, likely_at_one(), django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [["a@fsp.example"]]
    body = mail.outbox[0].body
    # One span for the two hours (01:00–03:00 UTC is 02:00–04:00 CET), the zone, level, resource, link.
    assert "NORTH" in body and "likely" in body and "BAT-1" in body
    assert "2027-01-06 02:00 CET" in body and "2027-01-06 04:00 CET" in body
    assert f"/forecasts/spus/{grid.spu.pk}/" in body
    notices = CongestionNotice.objects.filter(publication=publication)
    assert {(n.fsp_id, n.direction, n.level) for n in notices} == {(cast.fsp_a.pk, "up", 2)}
    assert notices.count() == 2
    # The same forecast again (a correction elsewhere): nothing new to say.
    publish_committed(
        cast, likely_at_one(), django_capture_on_commit_callbacks, at=PUBLISH_AT + timedelta(hours=1)
    )
    assert len(mail.outbox) == 1


def test_the_bell_hears_it_too_and_a_muted_e_mail_leaves_only_the_bell(
    cast, grid, zones, addressed, django_capture_on_commit_callbacks
):
    """The same event feeds the in-app list (notices.services.notify); the FSP user's preference
    for this kind decides only the e-mail."""
    EmailPreference.objects.create(user=cast.fsp_a_user, kind=NOTIFICATION_KIND, email=False)
    publish_committed(cast, likely_at_one(), django_capture_on_commit_callbacks)
    assert mail.outbox == []
    [notice] = Notification.objects.filter(kind=NOTIFICATION_KIND)
    assert notice.user == cast.fsp_a_user and notice.read_at is None
    assert notice.url == "/forecasts/resources/" and "BAT-1" in notice.body
    assert not Notification.objects.filter(user=cast.fsp_b_user).exists()


def test_likely_then_certain_is_told_again_and_back_to_likely_is_not(
    cast, grid, zones, addressed, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    publish_committed(cast, likely_at_one(), capture)
    publish_committed(cast, likely_at_one("certain"), capture, at=PUBLISH_AT + timedelta(hours=1))
    assert len(mail.outbox) == 2 and "certain" in mail.outbox[1].body
    publish_committed(cast, likely_at_one("likely"), capture, at=PUBLISH_AT + timedelta(hours=2))
    assert len(mail.outbox) == 2


def test_possible_or_a_zone_without_the_fsps_resources_tells_nobody(
    cast, grid, zones, addressed, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    publish_committed(cast, likely_at_one("possible"), capture)
    publish_committed(cast, likely_at_one("certain", zone="SOUTH"), capture)
    assert mail.outbox == [] and not CongestionNotice.objects.exists()


def test_a_second_run_of_the_task_records_and_sends_nothing_more(cast, grid, zones, addressed):
    publication = publish(cast, likely_at_one())  # on_commit not run: the task by hand, twice
    first, _resources = congestion_notices_record(publication_id=publication.pk)
    again, _resources = congestion_notices_record(publication_id=publication.pk)
    assert len(first) == 2 and again == []
    assert NOTIFICATION_KIND == "forecast_congestion"


def test_the_message_is_one_per_user_and_a_single_unit_is_its_own_span(
    cast, grid, zones, addressed, django_capture_on_commit_callbacks
):
    rows = day_rows("NORTH", hours=3)
    rows[0] = row("NORTH", DAY, "up", "0", "certain")
    publish_committed(cast, rows, django_capture_on_commit_callbacks)
    [message] = mail.outbox
    assert "certain" in message.body and "2027-01-06 01:00 CET" in message.body
