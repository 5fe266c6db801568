"""The client's address, which keys the log-in lock-out and the token throttle, is not the
client's to choose: X-Forwarded-For is read only behind declared proxies (common/http.py)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import RequestFactory
from django.urls import reverse

from common.http import client_address

PASSWORD = "pw-for-tests-1"  # tests/factories.py UserFactory




@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "", "192.0.2.1"),
        (0, "203.0.113.7", "192.0.2.1"),  # no proxy declared: the header is the client's own
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "198.51.100.66, 203.0.113.7", "203.0.113.7"),  # left of the proxy's entry: the client's
        (2, "198.51.100.66, 203.0.113.7, 10.0.0.2", "203.0.113.7"),
        (2, "203.0.113.7", "192.0.2.1"),  # fewer entries than proxies: not trusted
    ],
)
def test_the_address_is_read_from_the_proxies_entries_only(settings, proxies, forwarded, expected):
    settings.PROXY_COUNT = proxies
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1", **headers)
    assert client_address(request) == expected


@pytest.mark.django_db
def test_rotating_x_forwarded_for_does_not_lift_the_token_throttle(api_client, cast):
    cache.clear()
    url = reverse("api:auth-token")
    body = {"username": "fsp_a_user", "password": "wrong"}
    codes = [
        api_client.post(url, body, format="json", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
        for n in range(11)
    ]
    cache.clear()
    assert codes[:10] == [400] * 10
    assert codes[10] == 429


@pytest.mark.django_db
def test_rotating_x_forwarded_for_does_not_lift_the_lock_out(api_client, cast, axes_on):
    url = reverse("api:auth-token")
    for n in range(3):
        api_client.post(
            url, {"username": "fsp_a_user", "password": "wrong"}, format="json",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        )
    response = api_client.post(
        url, {"username": "fsp_a_user", "password": PASSWORD}, format="json",
        HTTP_X_FORWARDED_FOR="203.0.113.200",
    )
    assert response.status_code == 429


@pytest.mark.django_db
def test_the_api_lock_out_answer_is_json(api_client, cast, axes_on):
    url = reverse("api:auth-token")
    for _ in range(3):
        response = api_client.post(url, {"username": "fsp_a_user", "password": "wrong"}, format="json")
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"detail"}
    assert int(response["Retry-After"]) > 0


@pytest.mark.django_db
def test_the_page_lock_out_answer_is_a_page(client, cast, axes_on):
    url = reverse("login")
    for _ in range(3):
        response = client.post(url, {"username": "fsp_a_user", "password": "wrong"})
    assert response.status_code == 429
    assert response["Content-Type"].startswith("text/html")
    assert response.context["message"]
