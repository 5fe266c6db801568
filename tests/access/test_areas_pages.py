"""Who may open the observability-area pages and upload (SPEC §4): anonymous visitors, every
logged-in user for the map, engineers of the operator only for uploads."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from observability.models import ObservabilityArea
from tests.factories import ConnectionPointFactory
from tests.gis import geojson_file

PAGES = ["observability:map", "observability:map-data", "observability:area-list"]


@pytest.mark.parametrize("name", [*PAGES, "observability:area-upload"])
def test_anonymous_is_sent_to_login(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_anonymous_is_sent_to_login_from_detail_pages(client, sweden):
    area = ObservabilityArea.objects.first()
    point = ConnectionPointFactory(connecting_so=sweden.local)
    for url in (
        reverse("observability:area-detail", args=[area.pk]),
        reverse("observability:area-download", args=[area.pk]),
        reverse("prequal:assessing-sos", args=[point.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302, url


@pytest.mark.parametrize("who", ["local_engineer", "fsp_a_user", "nra_analyst", "outsider"])
def test_map_and_list_open_to_logged_in_users(client, sweden, who):
    client.force_login(getattr(sweden, who))
    page = client.get(reverse("observability:map"))
    assert page.status_code == 200
    content = page.content.decode()
    assert "vendor/leaflet/leaflet.js" in content and "js/area_map.js" in content
    # Every script and stylesheet is served by us: no CDN, no absolute URL. (Matching the page text
    # for "cdn" failed once on a random CSRF token that happened to contain those letters.)
    assets = re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"', content)
    assert "/static/vendor/leaflet/leaflet.js" in assets, assets
    assert all(url.startswith("/") and not url.startswith("//") for url in assets), assets
    assert client.get(reverse("observability:area-list")).status_code == 200


@pytest.mark.parametrize("who", ["local_viewer", "fsp_a_user", "nra_analyst", "outsider"])
def test_upload_page_is_for_engineers_only(client, cast, media, who):
    client.force_login(getattr(cast, who))
    assert client.get(reverse("observability:area-upload")).status_code == 403
    response = client.post(
        reverse("observability:area-upload"), {"system_operator": cast.local.pk, "file": geojson_file()}
    )
    assert response.status_code == 403
    assert ObservabilityArea.objects.count() == 0


def test_engineer_of_another_so_cannot_pick_this_so(client, cast, media):
    client.force_login(cast.other_local_engineer)
    response = client.post(
        reverse("observability:area-upload"), {"system_operator": cast.local.pk, "file": geojson_file()}
    )
    assert response.status_code == 200  # the form refuses the choice
    assert "system_operator" in response.context["form"].errors
    assert ObservabilityArea.objects.count() == 0


def test_confirm_with_someone_elses_token_does_nothing(client, cast, media):
    client.force_login(cast.local_engineer)
    preview = client.post(
        reverse("observability:area-upload"), {"system_operator": cast.local.pk, "file": geojson_file()},
        follow=True,
    )
    token = preview.context["confirm_form"]["token"].value()
    client.force_login(cast.other_local_engineer)  # a new session
    response = client.post(
        reverse("observability:area-upload-confirm"), {"token": token, "valid_from": "2025-06-01T00:00"}
    )
    assert response.status_code == 404  # someone else's upload: not found, not forbidden
    assert ObservabilityArea.objects.count() == 0
