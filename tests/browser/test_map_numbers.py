"""Browser: what a map shows of the numbers in its data is in the page's language (issue 15).

The data stays machine-readable (GeoJSON numbers); area_map.js writes the points' count in its
status line and a point's MW in its popup with Intl.NumberFormat and <html lang>: "12 345" and
"1 234,5" on a Swedish page, "12,345" and "1,234.5" on an English one. The map's answer is
replaced by a fixed one, so that the count runs into thousands without making thousands of rows.
"""

from __future__ import annotations

import json

import pytest
from django.conf import settings

from tests.browser.test_areas import browser_page, login  # noqa: F401 (the fixture)
from tests.factories import ConnectionPointFactory, SpuFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ANSWER = {
    "type": "FeatureCollection", "clustered": False, "points_total": 12345,
    "features": [{
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [16.5, 62.5]},
        "properties": {"kind": "point", "gsrn": "735999000000000013", "mw": 1234.5},
    }],
}


@pytest.mark.parametrize(("language", "count", "mw"), [
    ("sv", "12\u00a0345", "1\u00a0234,5"), ("en", "12,345", "1,234.5"),
])
def test_the_map_writes_its_numbers_in_the_pages_language(
    browser_page, live_server, cast, language, count, mw,  # noqa: F811 (the fixture imported above)
):
    SpuFactory(fsp=cast.fsp_a, connection_point=ConnectionPointFactory(connecting_so=cast.local))
    page = browser_page
    page.route("**/api/connection-points/map/**", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(ANSWER)))
    login(page, live_server, cast.fsp_a_user.username)
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )

    page.goto(f"{live_server.url}/grid/map/")
    page.wait_for_selector("#area-map[data-points=points]", timeout=15000)

    assert page.get_attribute("html", "lang") == language
    assert f"{count} " in page.inner_text("[data-map-status]")
    box = page.locator("#area-map").bounding_box()  # the point is at the map's centre (a canvas)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    popup = page.wait_for_selector(".leaflet-popup-content", timeout=5000).inner_text()
    assert mw in popup and "1234.5" not in popup
    assert page.js_errors == []
