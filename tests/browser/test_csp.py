"""The pages work under the Content-Security-Policy (common/middleware.py) in real Chromium:
no CSP violation, no script error, on the map, the report, the case pages and the API docs."""

from __future__ import annotations

import pytest
from shapely.geometry import box

from tests.factories import make_area
from tests.services import chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


def test_pages_work_under_the_content_security_policy(live_server, cast, wf):
    make_area(system_operator=cast.tso, geometry=box(10, 55, 25, 70))
    make_area(system_operator=cast.local, geometry=box(17, 58, 19, 60))
    case = wf.submitted()
    pages = {
        "local_engineer": ["/", "/grid/map/", f"/resources/cases/{case.pk}/", "/resources/queue/",
                           "/limits/", "/limits/new/", "/api/docs/", "/api/redoc/",
                           "/register/my-grid/", "/register/upload/"],
        "nra_analyst": ["/resources/report/"],
        "fsp_a_user": [f"/resources/spus/{wf.spu.pk}/", "/resources/cases/", "/forecasts/resources/",
                       f"/forecasts/spus/{wf.spu.pk}/"],
    }
    problems: list[str] = []
    with chromium() as browser:
        for username, paths in pages.items():
            context = browser.new_context()
            context.add_init_script(WATCH_VIOLATIONS)
            page = context.new_page()
            errors: list[str] = []
            page.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
            page.goto(f"{live_server.url}/accounts/login/")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", "pw-for-tests-1")
            with page.expect_navigation():
                page.click("main button[type=submit], main input[type=submit]")
            for path in paths:
                errors.clear()
                response = page.goto(f"{live_server.url}{path}")
                assert response.status == 200, (path, response.status)
                assert "Content-Security-Policy" in {k.title() for k in response.headers}, path
                page.wait_for_load_state("networkidle")
                if path == "/grid/map/":
                    page.wait_for_selector("#area-map[data-ready=true]", timeout=15000)
                    assert page.locator(".leaflet-pane").count() >= 1  # Leaflet built its panes
                if path == "/limits/new/":
                    # Only the chosen target's fields show; the drawing map sizes itself when shown.
                    assert page.locator("[data-target-field=spu]").is_visible()
                    assert page.locator("[data-target-field=spg]").is_hidden()
                    page.select_option("#id_target_kind", "area")
                    assert page.locator("[data-target-field=spu]").is_hidden()
                    assert page.locator("#limit-map .leaflet-interactive").first.is_visible()
                if path.startswith("/forecasts/spus/"):
                    # The forecast chart (server-side SVG) and the map with its time slider.
                    page.wait_for_selector("#forecast-map[data-ready=true]", timeout=15000)
                    assert page.locator("#forecast-chart svg").count() == 1
                    assert page.locator("#forecast-slider-box").is_visible()
                if path == "/api/docs/":
                    page.wait_for_selector(".swagger-ui .opblock", timeout=15000)
                if path == "/api/redoc/":
                    page.wait_for_selector("#redoc-container h1, redoc h1, .api-content", timeout=15000)
                # Redoc's "powered by" footer asks its vendor's CDN for a logo: refusing it is the
                # policy doing its job (no outside host, SPEC §5); the page is complete without it.
                violations = [v for v in page.evaluate("window.__cspViolations") if "cdn.redoc.ly" not in v]
                noise = [e for e in errors if "favicon" not in e and "cdn.redoc.ly" not in e]
                if violations or noise:
                    problems.append(f"{path}: violations={violations} errors={noise}")
            # The language switch (static JS, no inline handler) still submits on change.
            page.goto(f"{live_server.url}/")
            with page.expect_navigation():
                page.select_option("#language", "sv")
            assert page.locator("html").get_attribute("lang") == "sv"
            context.close()
    assert not problems, "\n".join(problems)
