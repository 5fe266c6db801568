"""Browser journey on real Chromium: upload → preview map → confirm; the map page; no outside requests."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import shapely
from shapely.geometry import box

from observability.models import ObservabilityArea
from tests.factories import ConnectionPointFactory, make_area
from tests.services import chromium

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_page(live_server):
    with chromium() as browser:
        page = browser.new_page()
        outside: list[str] = []
        page.on(
            "request",
            lambda r: (
                None if r.url.startswith((live_server.url, "data:", "blob:")) else outside.append(r.url)
            ),
        )
        page.outside_requests = outside
        errors: list[str] = []
        page.on(
            "console",
            lambda m: (
                errors.append(m.text) if m.type == "error" and "favicon" not in str(m.location) else None
            ),
        )
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.js_errors = errors
        yield page


def login(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw-for-tests-1")
    with page.expect_navigation():
        page.click("main button[type=submit], main input[type=submit]")
    assert "/accounts/login/" not in page.url, f"{username} could not log in"


def test_engineer_uploads_previews_and_confirms(browser_page, live_server, cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    page = browser_page
    make_area(
        system_operator=cast.tso, geometry=box(10, 55, 25, 70), valid_from=datetime(2024, 1, 1, tzinfo=UTC)
    )
    ConnectionPointFactory(connecting_so=cast.local, longitude=18.1, latitude=59.05)
    area_file = tmp_path / "local.geojson"
    area_file.write_text(
        json.dumps(
            {
                "type": "Feature",
                "properties": {},
                "geometry": json.loads(shapely.to_geojson(box(18.0, 59.0, 18.2, 59.1))),
            }
        )
    )
    login(page, live_server, "local_engineer")

    page.goto(f"{live_server.url}/grid/areas/upload/")
    page.set_input_files("input[type=file]", str(area_file))
    with page.expect_navigation():
        page.click("main button[type=submit]")
    page.wait_for_selector("#area-map[data-ready=true]", timeout=15000)
    assert "127." in page.inner_text("[data-testid=area-km2]")
    assert page.inner_text("[data-testid=points-inside]").strip() == "1 / 1"
    assert page.locator(".leaflet-overlay-pane canvas").count() == 1
    assert ObservabilityArea.objects.filter(system_operator=cast.local).count() == 0

    page.fill("input[name=valid_from]", "2025-06-01T00:00")
    with page.expect_navigation():
        page.click("text=Confirm: store as a new version")
    page.wait_for_selector("#area-map[data-ready=true]", timeout=15000)
    version = ObservabilityArea.objects.get(system_operator=cast.local)
    assert page.url.endswith(f"/grid/areas/{version.pk}/")
    assert version.valid_from == datetime(2025, 5, 31, 22, tzinfo=UTC)

    page.goto(f"{live_server.url}/grid/map/")
    page.wait_for_selector("#area-map[data-ready=true]", timeout=15000)
    page.wait_for_selector("#area-map[data-points-ready]", timeout=15000)  # points come per box
    assert "1 of 1" in page.inner_text("[data-map-status]")
    assert page.outside_requests == []
    assert page.js_errors == []
