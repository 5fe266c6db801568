"""The engineer's navigation fits on one line at 1366 px (issue 15), in English and Swedish: every
item of the main navigation shares one row, and none runs under the right-hand controls."""

from __future__ import annotations

import pytest

from tests.services import chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROW_TOLERANCE_PX = 2


def _nav_boxes(page) -> tuple[list[dict], dict, dict]:
    items = [a.bounding_box() for a in page.locator(".mainnav > a, .mainnav > details > summary").all()]
    return items, page.locator(".mainnav").bounding_box(), page.locator(".topbar-right").bounding_box()


@pytest.mark.parametrize("language", ["en", "sv"])
def test_the_engineers_navigation_is_one_row_at_1366_px(live_server, cast, language):
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1366, "height": 768})
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", "local_engineer")
        page.fill("input[name=password]", "pw-for-tests-1")
        with page.expect_navigation():
            page.click("main button[type=submit], main input[type=submit]")
        if language != "en":
            with page.expect_navigation():
                page.select_option("#language", language)
        page.goto(f"{live_server.url}/resources/queue/")
        items, nav, right = _nav_boxes(page)
        assert len(items) >= 8, items  # the engineer's items are all there
        tops = {round(box["y"]) for box in items}
        assert max(tops) - min(tops) <= ROW_TOLERANCE_PX, (language, sorted(tops))
        assert nav["height"] <= items[0]["height"] + 2 * ROW_TOLERANCE_PX, (language, nav)
        # Nothing under the language switch, the bell or the user's name.
        assert max(box["x"] + box["width"] for box in items) <= right["x"], (language, items[-1], right)
        # The page itself does not scroll sideways.
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
        context.close()
