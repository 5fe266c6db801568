"""The notification bell in real Chromium (issue 15): an event happens, the bell shows 1, the user
opens the list and marks it read, the count disappears. No JavaScript needed: plain links and
POST forms with their CSRF token."""

from __future__ import annotations

import pytest

from notices.models import Notification
from prequal.services.cases import assessment_declare_incomplete
from tests.services import chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw-for-tests-1")
    with page.expect_navigation():
        page.click("main button[type=submit], main input[type=submit]")


def test_the_bell_counts_an_event_and_the_list_marks_it_read(live_server, wf):
    case = wf.submitted()
    base = live_server.url
    with chromium() as browser:
        page = browser.new_page()
        _log_in(page, base, "fsp_a_user")
        bell = page.locator("#notice-bell")
        assert bell.get_attribute("data-unread") == "0"
        assert page.locator("#notice-count").count() == 0

        # The local DSO asks for information: the FSP must act (SPEC R3), in the app as by e-mail.
        assessment_declare_incomplete(
            user=wf.cast.local_engineer, assessment=wf.assessment(case, wf.cast.local),
            missing_information="Single-line diagram",
        )
        [notice] = Notification.objects.filter(user=wf.cast.fsp_a_user)

        page.reload()
        assert bell.get_attribute("data-unread") == "1"
        assert page.locator("#notice-count").inner_text() == "1"

        with page.expect_navigation():
            bell.click()
        row = page.locator(f"tr[data-notice='{notice.pk}']")
        assert row.get_attribute("data-unread") == "true"
        assert row.locator("a").get_attribute("href") == notice.url

        with page.expect_navigation():
            row.locator(f"button[data-mark-read='{notice.pk}']").click()
        assert page.locator(f"tr[data-notice='{notice.pk}']").get_attribute("data-unread") == "false"
        assert page.locator("#notice-count").count() == 0
        assert page.locator("#notice-bell").get_attribute("data-unread") == "0"
        assert page.locator("#notice-read-all").count() == 0

        # The row's link opens the case it is about.
        with page.expect_navigation():
            page.locator(f"tr[data-notice='{notice.pk}'] a").first.click()
        assert page.url == f"{base}{notice.url}"
    notice.refresh_from_db()
    assert notice.read_at is not None
