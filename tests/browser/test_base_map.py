"""Maps with geography (issue 15) in real Chromium: offline, every map draws the built-in outline
of countries and coasts under its own layers (no outside host asked, no CSP violation), and the
SPU and connection-point pages carry a map of their point."""

from __future__ import annotations

import pytest
from shapely.geometry import box

from tests.browser.test_csp import WATCH_VIOLATIONS
from tests.factories import make_area
from tests.services import chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _log_in(page, url: str, username: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw-for-tests-1")
    with page.expect_navigation():
        page.click("main button[type=submit], main input[type=submit]")


def test_every_map_draws_the_outline_offline(live_server, cast, wf, settings):
    settings.GRIDPREQUAL_MAP_TILE_URL = ""
    make_area(system_operator=cast.tso, geometry=box(10, 55, 25, 70))
    point = wf.spu.connection_point
    pages = {
        "local_engineer": [
            ("/grid/map/", "#area-map"), (f"/grid/connection-points/{point.pk}/", "#resource-map")
        ],
        "fsp_a_user": [(f"/resources/spus/{wf.spu.pk}/", "#resource-map")],
    }
    problems: list[str] = []
    with chromium() as browser:
        for username, paths in pages.items():
            context = browser.new_context()
            context.add_init_script(WATCH_VIOLATIONS)
            outside: list[str] = []
            here = live_server.url

            def note(request, outside=outside, here=here):
                if not request.url.startswith(here):
                    outside.append(request.url)

            context.on("request", note)
            page = context.new_page()
            _log_in(page, live_server.url, username)
            for path, selector in paths:
                assert page.goto(f"{live_server.url}{path}").status == 200, path
                page.wait_for_selector(f"{selector}[data-base-layer=outline]", timeout=15000)
                page.wait_for_selector(f"{selector}[data-ready=true]", timeout=15000)
                # The outline's countries are drawn in their own pane, under the overlays.
                assert page.locator(f"{selector} .leaflet-gridprequal-base-pane path").count() >= 5, path
                credit = page.locator(f"{selector} .leaflet-control-attribution").inner_text()
                assert "Natural Earth" in credit, path
                violations = page.evaluate("window.__cspViolations")
                if violations:
                    problems.append(f"{path}: {violations}")
            assert not outside, outside
            context.close()
    assert not problems, "\n".join(problems)
