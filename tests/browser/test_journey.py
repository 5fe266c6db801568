"""The grid prequalification journey on real Chromium (issue 4, SPEC R1–R6).

The FSP submits; the local DSO engineer approves with a condition; the regional DSO engineer
refuses without a justification and is told why, then refuses properly; the FSP sees the
outcome and the timeline. The regional DSO assesses because its observability area covers
the connection point (R1); the product is the local DSO's congestion product, so the TSO
does not assess.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from shapely.geometry import box

from prequal.models import Assessment, Case, CaseEvent, Condition, Product
from tests.factories import ConnectionPointFactory, ProductFactory, SpuFactory, make_area
from tests.services import chromium
from tests.workflow_helpers import ensure_default_deadline_rule

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests-1"  # tests.factories.UserFactory
SCREENSHOT = "/tmp/gridprequal-journey-fsp-case.png"


@pytest.fixture
def browser(live_server):
    with chromium() as launched:
        yield launched


class Session:
    """One person's browser session: its own cookies, JS errors and requests recorded."""

    def __init__(self, browser, live_server, username: str) -> None:
        self.base = live_server.url
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.page.set_default_timeout(15000)
        self.js_errors: list[str] = []
        self.outside: list[str] = []
        self.page.on("pageerror", lambda e: self.js_errors.append(str(e)))
        self.page.on("request", lambda r: None if r.url.startswith((self.base, "data:", "blob:"))
                     else self.outside.append(r.url))
        self.page.goto(f"{self.base}/accounts/login/")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", PASSWORD)
        self.page.click("main button[type=submit], main input[type=submit]")
        self.page.wait_for_load_state()
        assert "/accounts/login/" not in self.page.url, f"{username} could not log in"

    def nav(self, label: str) -> None:
        self.page.click(f"nav.mainnav >> text={label}")
        self.page.wait_for_load_state()

    def messages(self) -> str:
        return self.page.inner_text("ul.messages") if self.page.locator("ul.messages").count() else ""

    def close(self) -> None:
        assert self.js_errors == [], self.js_errors
        assert self.outside == [], f"requests left the app: {self.outside}"
        self.context.close()


def _open_queue_and_decide(session: Session, case: Case) -> None:
    session.nav("Queue")
    row = session.page.locator("[data-testid=queue] tr", has_text=f"#{case.pk}")
    assert row.count() == 1
    row.locator("text=Decide").click()
    session.page.wait_for_load_state()


def test_fsp_submits_engineers_decide_fsp_sees_outcome_and_timeline(browser, live_server, cast):
    ensure_default_deadline_rule()
    point = ConnectionPointFactory(connecting_so=cast.local, latitude=59.05, longitude=18.10)
    SpuFactory(fsp=cast.fsp_a, connection_point=point, code="BAT-7", name="Battery Nacka")
    ProductFactory(code="local-congestion", name="Local congestion relief", kind=Product.Kind.LOCAL,
                   procuring_so=cast.local)
    make_area(system_operator=cast.regional, geometry=box(17.5, 58.5, 18.8, 59.6),
              valid_from=datetime(2024, 1, 1, tzinfo=UTC))

    # The FSP drafts the application, sees who will assess it and by when, and submits.
    fsp = Session(browser, live_server, "fsp_a_user")
    fsp.nav("Applications")
    fsp.page.click("text=New application")
    fsp.page.check("input[name=kind][value=spu]")
    fsp.page.fill("input[name=code]", "BAT-7")
    fsp.page.select_option("select[name=product]", label="Local congestion relief")
    fsp.page.click("text=Save draft and preview")
    preview = fsp.page.inner_text("[data-testid=preview]")
    assert "Local DSO" in preview and "Regional DSO" in preview
    assert "Observability area" in preview and "SO GL Art. 182(3)" in preview
    assert "Svenska kraftnät" not in preview
    fsp.page.click("text=Submit application")
    fsp.page.wait_for_load_state()
    assert "submitted" in fsp.messages()
    assert fsp.page.inner_text("[data-testid=case-status]") == "Under assessment"
    case = Case.objects.get()
    assert set(case.assessments.values_list("system_operator__organisation__name", flat=True)) == {
        "Local DSO", "Regional DSO",
    }

    # The local DSO engineer approves with a condition: 0.3 MW up, weekday winter mornings.
    local = Session(browser, live_server, "local_engineer")
    _open_queue_and_decide(local, case)
    page = local.page
    page.check("input[name=outcome][value=conditionally_approved]")
    page.fill("textarea[name=reason]", "Feeder N4 is congested on winter weekday mornings.")
    page.fill("input[name=conditions-0-max_up_mw]", "0.3")
    for month in ("12", "1", "2"):
        page.check(f"input[name=conditions-0-months][value='{month}']")
    for day in ("0", "1", "2", "3", "4"):
        page.check(f"input[name=conditions-0-weekdays][value='{day}']")
    page.fill("input[name=conditions-0-start_time]", "07:00")
    page.fill("input[name=conditions-0-end_time]", "09:00")
    page.click("text=Record decision")
    page.wait_for_load_state()
    assert "Approve with conditions" in local.messages()
    condition = Condition.objects.get()
    assert (condition.max_up_mw, sorted(condition.months), condition.weekdays) == (
        condition.max_up_mw.__class__("0.3"), [1, 2, 12], [0, 1, 2, 3, 4]
    )
    local.close()

    # The regional DSO engineer refuses without a justification and is told why.
    regional = Session(browser, live_server, "regional_engineer")
    _open_queue_and_decide(regional, case)
    page = regional.page
    page.check("input[name=outcome][value=not_approved]")
    page.click("text=Record decision")
    page.wait_for_load_state()
    form_text = page.inner_text("[data-testid=decision-form]")
    assert "A refusal needs a justification." in form_text
    assert "why temporary limits cannot resolve the issue" in form_text
    assert Assessment.objects.get(case=case, system_operator=cast.regional).status == "pending"
    # ... then refuses properly.
    page.check("input[name=outcome][value=not_approved]")
    page.fill("textarea[name=justification]", "Transformer T2 at Nacka is at its thermal limit.")
    page.fill("textarea[name=limits_explanation]",
              "The overload is structural, every evening all year: a temporary limit would be permanent.")
    page.click("text=Record decision")
    page.wait_for_load_state()
    assert "recorded" in regional.messages()
    regional.close()

    # The FSP sees the outcome, the condition, the justification and the timeline.
    fsp.page.goto(f"{live_server.url}/resources/cases/")
    fsp.page.click(f"text=#{case.pk}")
    fsp.page.wait_for_load_state()
    assert fsp.page.inner_text("[data-testid=case-status]") == "Not approved"
    outcome = fsp.page.inner_text("[data-testid=outcome]")
    assert "Not approved" in outcome and "up ≤ 0.3 MW" in outcome
    assessments = fsp.page.inner_text("[data-testid=assessments]")
    assert "Transformer T2 at Nacka is at its thermal limit." in assessments
    assert "a temporary limit would be permanent" in assessments
    assert "07:00–09:00" in assessments
    timeline = fsp.page.inner_text("[data-testid=timeline]")
    for step in ("Submitted", "Assessments opened", "Approved with conditions", "Not approved"):
        assert step in timeline, step
    assert "local_engineer" in timeline and "regional_engineer" in timeline
    assert CaseEvent.objects.filter(case=case).count() >= 4
    fsp.page.screenshot(path=SCREENSHOT, full_page=True)
    fsp.close()
