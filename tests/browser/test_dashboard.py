"""The SO engineer's dashboard in real Chromium (issue 15): log in, see the figures, click "due
within 7 days" and land on the queue filtered to exactly those assessments."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.dashboards.helpers import local_cases, set_deadline
from tests.services import chromium

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests-1"  # tests.factories.UserFactory


def test_an_engineer_goes_from_due_within_7_days_to_the_filtered_queue(live_server, wf):
    cases = local_cases(wf, 4)
    now = timezone.now()
    due = [cases[0], cases[1]]
    hours = (48, 120, 240, -1)  # due, due, later, overdue
    for case, h in zip(cases, hours, strict=True):
        set_deadline(wf, case, now + timedelta(hours=h))
    base = live_server.url
    with chromium() as browser:
        page = browser.new_page()
        page.set_default_timeout(15000)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{base}/accounts/login/")
        page.fill("input[name=username]", "local_engineer")
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.click("main button[type=submit], main input[type=submit]")
        assert page.url == f"{base}{reverse('home')}"

        section = page.locator("section[data-dashboard=so]")
        assert section.locator("li[data-figure=open] .figure-count").inner_text() == "4"
        assert section.locator("li[data-figure=due] .figure-count").inner_text() == "2"
        assert section.locator("li[data-figure=overdue] .figure-count").inner_text() == "1"
        assert page.locator("section[data-dashboard=fsp]").count() == 0
        page.screenshot(path="/tmp/gridprequal-dashboard-so.png", full_page=True)

        with page.expect_navigation():
            section.locator("li[data-figure=due] a").click()
        assert page.url.startswith(f"{base}{reverse('prequal:queue')}?") and "due=7d" in page.url
        assert page.locator("select[name=due]").input_value() == "7d"
        rows = page.locator("table[data-testid=queue] tbody tr")
        first_cells = [rows.nth(i).locator("td").first for i in range(rows.count())]
        links = [cell.locator("a").get_attribute("href") for cell in first_cells]
        assert links == [reverse("prequal:case-detail", args=[case.pk]) for case in due]  # by deadline
        assert not errors
