"""Picking in real Chromium (issue 15): an SO engineer types the first digits of a unit's GSRN in
the limit form, picks the unit from the suggestions with the keyboard (ARIA combobox) and
publishes the limit; another FSP's unit outside the engineer's grid is never suggested."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta

import pytest

from limits.models import TemporaryLimit
from tests.factories import ConnectionPointFactory, SpuFactory
from tests.services import chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw-for-tests-1")
    with page.expect_navigation():
        page.click("main button[type=submit], main input[type=submit]")


def test_an_engineer_picks_an_spu_by_its_gsrn_and_publishes_a_limit(live_server, grid):
    cast = grid.cast
    elsewhere = SpuFactory(fsp=cast.fsp_b, code="FAR-1", connection_point=ConnectionPointFactory(
        connecting_so=cast.other_local, latitude=57.7, longitude=11.97))
    # Tomorrow 14:00–16:00 in Stockholm: well before the gate closure of any product.
    tomorrow = datetime.now(zoneinfo.ZoneInfo("Europe/Stockholm")).date() + timedelta(days=1)
    start = f"{tomorrow.isoformat()}T14:00"
    end = f"{tomorrow.isoformat()}T16:00"
    with chromium() as browser:
        page = browser.new_page()
        _log_in(page, live_server.url, "local_engineer")
        page.goto(f"{live_server.url}/limits/new/")
        page.select_option("#id_target_kind", "spu")
        box = page.locator("#id_spu")
        assert box.get_attribute("role") == "combobox" and box.get_attribute("aria-expanded") == "false"

        # Another FSP's unit in another operator's grid: no suggestion, even by its whole GSRN.
        box.fill(elsewhere.connection_point.gsrn)
        page.wait_for_timeout(600)
        assert page.locator("[role=option]").count() == 0

        box.fill(grid.cp.gsrn[:12])
        option = page.locator("[role=option]", has_text=grid.spu.code)
        option.wait_for()
        assert box.get_attribute("aria-expanded") == "true"
        assert page.locator("[role=option]").count() == 1
        box.press("ArrowDown")
        assert box.get_attribute("aria-activedescendant") == option.get_attribute("id")
        assert option.get_attribute("aria-selected") == "true"
        box.press("Enter")
        assert box.input_value().startswith(f"{grid.spu.code} – ") and grid.cp.gsrn in box.input_value()
        assert page.locator("input[name=spu_pick]").input_value() == str(grid.spu.pk)
        assert box.get_attribute("aria-expanded") == "false"

        page.select_option("#id_direction", "up")
        page.fill("#id_quantity_mw", "0.5")
        page.fill("#id_start", start)
        page.fill("#id_end", end)
        page.fill("#id_reason", "Feeder maintenance")
        with page.expect_navigation():
            page.click("button[name=action][value=publish]")
        limit = TemporaryLimit.objects.get()
        assert page.url.endswith(f"/limits/{limit.pk}/")
    assert limit.spu_id == grid.spu.pk and limit.system_operator_id == cast.local.pk
