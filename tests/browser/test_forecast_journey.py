"""The congestion-forecast journey on real Chromium (issue 16, SPEC R12, R8).

The local DSO's engineer publishes a day-ahead forecast from the browser (a CSV upload) saying
congestion is likely upward in grid zone NORTH from 02:00 to 03:00 local time tomorrow; FSP A sees
its unit BAT-1, which connects inside NORTH, turn "likely" in its overview, in the unit's chart, on
the map at that quarter-hour (the slider) and in the table; the engineer's activation check for
that hour is yellow with the forecast as its reason. Assertions read elements and attributes.

The world is tests/grid.py's with tests/forecasts/helpers.py's zones; the clock stands at
PUBLISH_AT (ticking), a day before DAY.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine

from forecasts.models import Publication
from tests.browser.test_journey import Session
from tests.forecasts.helpers import DAY, PUBLISH_AT, make_zones
from tests.services import chromium
from tests.workflow_helpers import ensure_default_deadline_rule

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LIKELY_AT = DAY + timedelta(hours=1)  # 02:00 in Stockholm (CET)


@pytest.fixture
def browser(live_server):
    with chromium() as launched:
        yield launched


@pytest.fixture
def world(cast, grid):
    ensure_default_deadline_rule()  # a transactional test before this one may have flushed it
    make_zones(cast)
    grid.prequalify(spu=grid.spu)
    with time_machine.travel(PUBLISH_AT, tick=True):
        yield grid


def forecast_csv() -> bytes:
    lines = ["zone,start,direction,headroom_mw,level"]
    for hour in range(3):
        start = (DAY + timedelta(hours=hour)).isoformat()
        level = "likely" if hour == 1 else "none"
        lines += [f"NORTH,{start},up,{'0.2' if hour == 1 else '5'},{level}", f"NORTH,{start},down,5,none"]
    return ("\n".join(lines) + "\n").encode()


def _engineer_publishes(session: Session) -> None:
    session.nav("Forecasts")
    form = session.page.locator("#publish-form")
    form.locator("select[name=publish-horizon]").select_option("day_ahead")
    form.locator("select[name=publish-mtu_minutes]").select_option("60")
    form.locator("input[name=publish-file]").set_input_files(
        {"name": "north.csv", "mimeType": "text/csv", "buffer": forecast_csv()}
    )
    with session.page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert session.page.locator("#publications tbody tr").count() == 1
    assert Publication.objects.get().row_count == 6


def _fsp_sees_likely(session: Session, world) -> None:
    page = session.page
    session.nav("Forecasts")
    row = page.locator("#forecast-spus tr[data-resource=BAT-1]")
    assert row.locator(".worst-up [data-level]").get_attribute("data-level") == "likely"
    assert row.locator(".worst-down [data-level]").get_attribute("data-level") == "none"
    with page.expect_navigation():
        row.locator("a").first.click()
    # The chart: one likely band, upward, starting at the forecast's hour.
    band = page.locator("#forecast-chart rect.fc-band[data-level=likely]")
    assert band.count() == 1
    assert band.get_attribute("data-direction") == "up"
    assert band.get_attribute("data-start") == LIKELY_AT.isoformat()
    assert page.locator("#worst-up [data-level]").get_attribute("data-level") == "likely"
    assert page.locator("section.forecast-zone[data-zone=NORTH] tr.level-2").count() == 1
    # The map: NORTH has no forecast now; moved with the slider to 02:00 tomorrow, it is likely.
    page.wait_for_selector("#forecast-map[data-ready=true]")
    assert page.locator("#forecast-slider-box").is_visible()
    zone = page.locator("#forecast-map path[data-zone=NORTH]")
    assert zone.get_attribute("data-level") == ""
    data = json.loads(page.evaluate(
        "fetch(JSON.parse(document.getElementById('forecast-map-config').textContent).dataUrl)"
        ".then(r => r.text())"
    ))
    index = [slot["start"] for slot in data["slots"]].index(LIKELY_AT.isoformat())
    page.locator("#forecast-slider").fill(str(index))
    assert page.locator("#forecast-map").get_attribute("data-slot") == str(index)
    assert zone.get_attribute("data-level") == "likely"
    page.locator("#forecast-slider").fill(str(index + 4))
    assert zone.get_attribute("data-level") == "none"


def _check_is_yellow(session: Session, world) -> None:
    query = {
        "system_operator": world.cast.local.pk,
        "resource_kind": "spu",
        "resource_id": world.spu.pk,
        "product": world.mfrr.code,
        "direction": "up",
        "quantity_mw": "0.5",
        "start": "2027-01-06T02:00",
        "end": "2027-01-06T03:00",
    }
    session.page.goto(
        f"{session.base}/limits/activation-check/?" + "&".join(f"{k}={v}" for k, v in query.items())
    )
    assert session.page.locator("#verdict [data-color]").get_attribute("data-color") == "yellow"
    reasons = session.page.locator("#verdict li")
    assert any("NORTH" in reasons.nth(i).inner_text() for i in range(reasons.count()))


def test_engineer_publishes_fsp_sees_likely_and_the_check_turns_yellow(browser, live_server, world):
    engineer = Session(browser, live_server, "local_engineer")
    _engineer_publishes(engineer)
    fsp = Session(browser, live_server, "fsp_a_user")
    _fsp_sees_likely(fsp, world)
    fsp.close()
    _check_is_yellow(engineer, world)
    engineer.close()
