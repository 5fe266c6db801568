"""The notifications over the REST API (issue 15): a user's own only, someone else's is a 404;
errors as JSON per field (SPEC §5)."""

from __future__ import annotations

import pytest

from notices.models import EmailPreference, Notification
from tests.notices.helpers import make_notices

pytestmark = pytest.mark.django_db

K = Notification.Kind
LIST = "/api/notifications/"


def test_the_list_holds_only_ones_own_and_filters_unread(api_as, cast):
    first, second = make_notices(cast.fsp_a_user, 2)
    make_notices(cast.fsp_b_user, 3)
    Notification.objects.filter(pk=first.pk).update(read_at="2027-01-01T00:00Z")
    client = api_as(cast.fsp_a_user)

    body = client.get(LIST).json()
    assert body["count"] == 2
    assert {row["id"] for row in body["results"]} == {first.pk, second.pk}
    assert set(body["results"][0]) == {"id", "kind", "subject", "body", "url", "created_at", "read_at"}
    unread = client.get(LIST, {"unread": "true"}).json()
    assert [row["id"] for row in unread["results"]] == [second.pk]


def test_marking_read_ones_own_and_not_anothers(api_as, cast):
    [mine] = make_notices(cast.fsp_a_user)
    [theirs] = make_notices(cast.fsp_b_user)
    client = api_as(cast.fsp_a_user)

    response = client.post(f"{LIST}{mine.pk}/read/", {}, format="json")
    assert response.status_code == 200 and response.json()["read_at"]
    response = client.post(f"{LIST}{theirs.pk}/read/", {}, format="json")
    assert response.status_code == 404 and "detail" in response.json()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_unknown_fields_are_refused(api_as, cast):
    [mine] = make_notices(cast.fsp_a_user)
    response = api_as(cast.fsp_a_user).post(f"{LIST}{mine.pk}/read/", {"all": True}, format="json")
    assert response.status_code == 400 and set(response.json()["errors"]) == {"all"}
    mine.refresh_from_db()
    assert mine.read_at is None


def test_read_all_counts_ones_own(api_as, cast):
    make_notices(cast.fsp_a_user, 3)
    make_notices(cast.fsp_b_user, 1)
    assert api_as(cast.fsp_a_user).post(f"{LIST}read-all/", {}, format="json").json() == {"marked": 3}
    assert Notification.objects.filter(read_at__isnull=True).count() == 1


def test_preferences_read_and_set(api_as, cast):
    client = api_as(cast.local_engineer)
    assert set(client.get(f"{LIST}preferences/").json()["email_kinds"]) == set(K.values)
    response = client.put(f"{LIST}preferences/", {"email_kinds": [K.DEADLINE_REMINDER]}, format="json")
    assert response.status_code == 200 and response.json() == {"email_kinds": [K.DEADLINE_REMINDER]}
    assert EmailPreference.objects.filter(user=cast.local_engineer, email=True).count() == 1


@pytest.mark.parametrize("body", [{"email_kinds": ["<b>x</b>"]}, {}, {"email_kinds": "all"}])
def test_bad_preferences_are_refused_and_nothing_stored(api_as, cast, body):
    response = api_as(cast.local_engineer).put(f"{LIST}preferences/", body, format="json")
    assert response.status_code == 400 and "email_kinds" in response.json()["errors"]
    assert not EmailPreference.objects.exists()


def test_anonymous_gets_401(api_client, cast):
    assert api_client.get(LIST).status_code == 401
