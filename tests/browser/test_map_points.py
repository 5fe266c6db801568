"""Browser: the map asks for the points of its visible box and shows clusters when many (issue 13)."""

from __future__ import annotations

import pytest

from tests.browser.test_areas import browser_page, login  # noqa: F401 (the fixture)
from tests.factories import ConnectionPointFactory, SpuFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_map_shows_clusters_for_many_points_and_asks_by_box(
    browser_page, live_server, cast, monkeypatch,  # noqa: F811 (the fixture imported above)
):
    monkeypatch.setattr("observability.map_points.MAP_SINGLE_POINTS_MAX", 5)
    for i in range(12):  # around Stockholm and around Gothenburg: two clusters at the country's zoom
        lon, lat = (18.0 + i * 0.01, 59.3) if i < 8 else (11.9, 57.7 + i * 0.01)
        SpuFactory(fsp=cast.fsp_a, connection_point=ConnectionPointFactory(
            connecting_so=cast.local, longitude=lon, latitude=lat))
    page = browser_page
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/api/connection-points/map/" in r.url else None)
    login(page, live_server, cast.fsp_a_user.username)

    page.goto(f"{live_server.url}/grid/map/")
    page.wait_for_selector("#area-map[data-points=clusters]", timeout=15000)

    counts = sorted(int(el.get_attribute("title")) for el in page.query_selector_all(".map-cluster"))
    assert sum(counts) == 12 and len(counts) >= 2
    assert "12 of 12" in page.inner_text("[data-map-status]")
    assert asked and all("bbox=" in url and "zoom=" in url for url in asked)
    assert page.outside_requests == []
    assert page.js_errors == []
