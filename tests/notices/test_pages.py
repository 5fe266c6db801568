"""The bell, the list, marking read and the e-mail preferences (issue 15; SPEC §4: a user sees and
marks only their own notifications, anyone else's is a 404)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notices.models import EmailPreference, Notification
from tests.notices.helpers import make_notices
from tests.personas import login

pytestmark = pytest.mark.django_db

K = Notification.Kind
LIST = "notices:list"


def _notice_queries(client, url: str) -> tuple[int, int]:
    """(queries on the notifications table, all queries) of one GET."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    table = Notification._meta.db_table
    return sum(table in q["sql"] for q in ctx.captured_queries), len(ctx.captured_queries)


def test_the_bell_shows_the_unread_count_and_hides_at_zero(client, cast):
    login(client, cast.fsp_a_user)
    html = client.get(reverse("home")).content.decode()
    assert 'id="notice-bell"' in html and 'id="notice-count"' not in html

    make_notices(cast.fsp_a_user, 3)
    make_notices(cast.fsp_b_user, 2)  # someone else's do not count
    response = client.get(reverse("home"))
    assert response.context["notices_unread"] == 3
    assert 'data-unread="3"' in response.content.decode()
    assert 'id="notice-count">3<' in response.content.decode()


def test_the_bell_costs_one_query_whatever_the_count(client, cast):
    login(client, cast.fsp_a_user)
    make_notices(cast.fsp_a_user, 1)
    few, total_few = _notice_queries(client, reverse("home"))
    make_notices(cast.fsp_a_user, 40)
    many, total_many = _notice_queries(client, reverse("home"))
    assert few == many == 1
    assert total_few == total_many


def test_the_list_page_has_constant_queries(client, cast):
    login(client, cast.fsp_a_user)
    make_notices(cast.fsp_a_user, 2)
    _, few = _notice_queries(client, reverse(LIST))
    make_notices(cast.fsp_a_user, 80)
    _, many = _notice_queries(client, reverse(LIST))
    assert few == many


def test_the_list_shows_only_ones_own_newest_first_and_paginates(client, cast):
    mine = make_notices(cast.fsp_a_user, 55)
    make_notices(cast.fsp_b_user, 3)
    login(client, cast.fsp_a_user)
    page = client.get(reverse(LIST)).context["page_obj"]
    assert page.paginator.count == 55 and len(page) == 50
    assert {n.user_id for n in page} == {cast.fsp_a_user.pk}
    assert client.get(reverse(LIST), {"page": 2}).context["page_obj"].object_list[-1].pk == mine[0].pk


def test_unread_only_filter(client, cast):
    first, _second = make_notices(cast.fsp_a_user, 2)
    Notification.objects.filter(pk=first.pk).update(read_at="2027-01-01T00:00Z")
    login(client, cast.fsp_a_user)
    page = client.get(reverse(LIST), {"unread": "1"}).context["page_obj"]
    assert [n.pk for n in page] == [_second.pk]


def test_marking_one_read(client, cast):
    notice, other = make_notices(cast.fsp_a_user, 2)
    login(client, cast.fsp_a_user)
    response = client.post(reverse("notices:read", args=[notice.pk]), {"next": reverse(LIST) + "?page=1"})
    assert response.status_code == 302 and response.url == reverse(LIST) + "?page=1"
    notice.refresh_from_db()
    other.refresh_from_db()
    assert notice.read_at is not None and other.read_at is None


def test_next_never_leaves_the_site(client, cast):
    [notice] = make_notices(cast.fsp_a_user)
    login(client, cast.fsp_a_user)
    response = client.post(reverse("notices:read", args=[notice.pk]), {"next": "https://evil.example/"})
    assert response.url == reverse(LIST)


def test_someone_elses_notification_is_not_found_and_unchanged(client, cast):
    [theirs] = make_notices(cast.fsp_b_user)
    for user in (cast.fsp_a_user, cast.local_engineer, cast.nra_analyst, cast.admin):
        login(client, user)
        assert client.post(reverse("notices:read", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_read_needs_post_and_a_login(client, cast):
    [notice] = make_notices(cast.fsp_a_user)
    assert client.post(reverse("notices:read", args=[notice.pk])).status_code == 302  # to the login
    assert client.get(reverse(LIST)).status_code == 302
    login(client, cast.fsp_a_user)
    assert client.get(reverse("notices:read", args=[notice.pk])).status_code == 405
    notice.refresh_from_db()
    assert notice.read_at is None


def test_marking_read_needs_the_csrf_token(cast):
    from django.test import Client

    [notice] = make_notices(cast.fsp_a_user)
    strict = login(Client(enforce_csrf_checks=True), cast.fsp_a_user)
    assert strict.post(reverse("notices:read", args=[notice.pk])).status_code == 403
    assert strict.post(reverse("notices:read-all")).status_code == 403
    notice.refresh_from_db()
    assert notice.read_at is None


def test_mark_all_read_marks_only_ones_own(client, cast):
    make_notices(cast.fsp_a_user, 3)
    make_notices(cast.fsp_b_user, 2)
    login(client, cast.fsp_a_user)
    response = client.post(reverse("notices:read-all"), follow=True)
    assert response.context["notices_unread"] == 0
    assert 'id="notice-count"' not in response.content.decode()
    assert Notification.objects.filter(user=cast.fsp_a_user, read_at__isnull=True).count() == 0
    assert Notification.objects.filter(user=cast.fsp_b_user, read_at__isnull=True).count() == 2


def test_preferences_default_to_email_on_and_are_kept(client, cast):
    login(client, cast.local_engineer)
    form = client.get(reverse("notices:preferences")).context["form"]
    assert set(form.initial["email_kinds"]) == set(K.values)

    keep = [K.CASE_SUBMITTED, K.DEADLINE_REMINDER]
    response = client.post(reverse("notices:preferences"), {"email_kinds": keep})
    assert response.status_code == 302
    chosen = dict(EmailPreference.objects.filter(user=cast.local_engineer).values_list("kind", "email"))
    assert {kind for kind, email in chosen.items() if email} == set(keep)
    form = client.get(reverse("notices:preferences")).context["form"]
    assert set(form.initial["email_kinds"]) == set(keep)
    assert not EmailPreference.objects.exclude(user=cast.local_engineer).exists()


def test_nothing_ticked_turns_every_email_off(client, cast):
    login(client, cast.local_engineer)
    assert client.post(reverse("notices:preferences"), {}).status_code == 302
    assert set(EmailPreference.objects.filter(user=cast.local_engineer).values_list("email", flat=True)) == {
        False}


def test_an_unknown_kind_is_refused_and_nothing_stored(client, cast):
    login(client, cast.local_engineer)
    response = client.post(reverse("notices:preferences"), {"email_kinds": ["case_submitted", "<script>"]})
    assert response.status_code == 200
    assert "email_kinds" in response.context["form"].errors
    assert not EmailPreference.objects.exists()
