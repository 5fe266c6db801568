"""403 and 404 pages in the site's layout (issue 15), with DEBUG off (production) and on (`make
run`: common/error_pages.py); JSON under /api/ either way (SPEC §5)."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

from tests.personas import login
from tests.workflow_helpers import decide_page

pytestmark = pytest.mark.django_db

DEBUG_STATES = pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])


def _in_layout(response, element_id: str) -> None:
    html = response.content.decode()
    assert f'id="{element_id}"' in html
    assert 'class="topbar"' in html and 'class="footer"' in html


@DEBUG_STATES
def test_an_unknown_page_is_the_sites_404(client, cast, debug):
    login(client, cast.fsp_a_user)
    with override_settings(DEBUG=debug):
        response = client.get("/no-such-page/")
    assert response.status_code == 404
    _in_layout(response, "error-404")
    assert 'id="notice-bell"' in response.content.decode()  # the signed-in header


@DEBUG_STATES
def test_an_outsiders_404_is_the_sites_page(client, wf, debug):
    case = wf.submitted()
    login(client, wf.cast.fsp_b_user)
    with override_settings(DEBUG=debug):
        response = client.get(reverse("prequal:case-detail", kwargs={"pk": case.pk}))
    assert response.status_code == 404
    _in_layout(response, "error-404")


@DEBUG_STATES
def test_anonymous_users_get_the_page_too(client, db, debug):
    with override_settings(DEBUG=debug):
        response = client.get("/no-such-page/")
    assert response.status_code == 404
    _in_layout(response, "error-404")


@DEBUG_STATES
def test_a_read_only_member_gets_the_sites_403(client, wf, debug):
    case = wf.submitted()
    login(client, wf.cast.local_viewer)
    with override_settings(DEBUG=debug):
        response = client.get(decide_page(wf.assessment(case, wf.cast.local)))
    assert response.status_code == 403
    _in_layout(response, "error-403")


@DEBUG_STATES
def test_the_api_keeps_json(client, cast, debug):
    login(client, cast.fsp_a_user)
    with override_settings(DEBUG=debug):
        response = client.get("/api/no-such-endpoint/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


def test_a_missing_slash_still_redirects(client, cast):
    login(client, cast.fsp_a_user)
    with override_settings(DEBUG=True):
        response = client.get("/notifications")
    assert response.status_code == 301 and response.url == "/notifications/"


def test_developers_can_have_djangos_technical_page_back(client, cast):
    login(client, cast.fsp_a_user)
    with override_settings(DEBUG=True, GRIDPREQUAL_ERROR_PAGES_IN_DEBUG=False):
        response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert 'id="error-404"' not in response.content.decode()
