"""The activation register's journey on real Chromium (issue 14, SPEC R11): a market platform
posts awards with its token; the local DSO's engineer sees them in My grid (chart, map, table),
sets an area limit from there ("stop deliveries"), and the platform's next activation check
turns yellow (the headroom left under the limit), then red once another award fills it.

The server's clock is set to the day before tests.limit_helpers.START (time-machine patches the
live server's threads too: they run in this process)."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
import time_machine
from PIL import Image
from rest_framework.authtoken.models import Token
from shapely.geometry import box, mapping

from limits.models import TargetKind, TemporaryLimit
from tests.browser.test_journey import Session
from tests.limit_helpers import START
from tests.register.helpers import iso, platform
from tests.services import chromium

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AREA = mapping(box(17.9, 59.2, 18.2, 59.4))  # around Stockholm: grid.cp and grid.new_spu()'s points


@pytest.fixture
def browser(live_server):
    with chromium() as launched:
        yield launched


class Platform:
    """The market platform's HTTP client (its token), through the live server."""

    def __init__(self, browser, live_server, user) -> None:
        self.base = live_server.url
        self.context = browser.new_context()
        self.headers = {"Authorization": f"Token {Token.objects.create(user=user).key}"}

    def post(self, path: str, body: dict) -> tuple[int, dict]:
        answer = self.context.request.post(f"{self.base}{path}", data=json.dumps(body),
                                           headers={**self.headers, "Content-Type": "application/json"})
        return answer.status, answer.json()

    def award(self, grid, spu, mw: str, external_id: str) -> None:
        status, body = self.post("/api/register/records/", {
            "system_operator": grid.cast.tso.organisation.eic_code,
            "records": [{"external_id": external_id, "kind": "award", "spu": spu.pk, "product": "mfrr-energy",
                         "direction": "up", "quantity_mw": mw, "start": iso(START),
                         "end": iso(START + timedelta(hours=1))}],
        })
        assert status in (200, 201), body

    def check(self, grid, mw: str) -> dict:
        status, body = self.post("/api/activation-check/", {
            "system_operator": grid.cast.tso.organisation.eic_code, "spu": grid.spu.pk,
            "product": "mfrr-energy", "direction": "up", "quantity_mw": mw,
            "start": iso(START), "end": iso(START + timedelta(hours=1)),
        })
        assert status == 200, body
        return body


def _drawn_in(png: bytes, colour: str, opacity: float = 0.9) -> bool:
    """Whether some pixel of the picture is `colour` as a marker fills it (opacity 0.9 over the map's
    light land or background, within a few units per channel)."""
    rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    expected = [
        [round(opacity * c + (1 - opacity) * b) for c, b in zip(rgb, under, strict=True)]
        for under in ((244, 241, 234), (255, 255, 255))  # the outline's land; no land under it
    ]
    data = Image.open(io.BytesIO(png)).convert("RGB").tobytes()
    pixels = {tuple(data[i:i + 3]) for i in range(0, len(data), 3)}
    return any(
        all(abs(p - e) <= 8 for p, e in zip(px, want, strict=True)) for px in pixels for want in expected
    )


def test_platform_awards_dso_sees_them_sets_an_area_limit_check_turns_yellow_then_red(
    browser, live_server, grid
):
    grid.prequalify(spu=grid.spu)  # makes sure the deadline rule exists (a flush may have removed it)
    other = grid.new_spu(fsp=grid.cast.fsp_b, code="B-7", up_kw="2000")
    third = grid.new_spu(fsp=grid.cast.fsp_b, code="B-8", up_kw="2000")
    with time_machine.travel(START - timedelta(days=1), tick=True):
        nordic = Platform(browser, live_server, platform("Nordic", grid.cast.tso))
        nordic.award(grid, other, "0.6", "nordic-1")
        assert nordic.check(grid, "0.5")["color"] == "green"

        # The DSO sees the award in My grid: the table, the chart, the map.
        dso = Session(browser, live_server, "local_engineer")
        dso.nav("My grid")
        page = dso.page
        row = page.locator(f"table.grid-units tr[data-spu='{other.pk}']")
        assert "0.6" in row.inner_text()
        # 14:00–15:00 in quarters: four bars of the awards' path.
        assert page.get_attribute("svg.grid-chart path.bar-award-up", "d").count("M") == 4
        page.wait_for_selector("#area-map[data-ready=true]")
        # The map draws B-7's point in the colour of the MW it holds (not washed out by an area's style).
        config = json.loads(page.text_content("#area-map-config"))
        colour = config["data"]["features"][0]["properties"]["colour"]
        assert _drawn_in(page.locator("#area-map").screenshot(), colour), colour

        # ... and stops deliveries in the area: 1 MW up from 13:00 to 16:00 local time (CEST).
        page.click("#stop-area")
        page.wait_for_load_state()
        assert page.input_value("select[name=target_kind]") == TargetKind.AREA
        page.fill("textarea[name=area]", json.dumps(AREA))
        page.select_option("select[name=direction]", "up")
        page.fill("input[name=quantity_mw]", "1")
        page.fill("input[name=start]", "2027-06-01T13:00")
        page.fill("input[name=end]", "2027-06-01T16:00")
        page.fill("textarea[name=reason]", "Feeder N4 is overloaded this afternoon.")
        page.click("button[name=action][value=publish]")
        page.wait_for_load_state()
        assert "published" in dso.messages()
        limit = TemporaryLimit.objects.get()
        assert (limit.target_kind, limit.start, limit.quantity_mw) == (
            TargetKind.AREA, START - timedelta(hours=1), 1
        )
        dso.close()

        # The next check answers with the headroom: 1 MW − 0.6 MW held by B-7 = 0.4 MW: yellow.
        verdict = nordic.check(grid, "0.5")
        assert (verdict["color"], verdict["max_quantity_mw"]) == ("yellow", "0.400"), verdict
        # Another award fills the area: nothing is left, red.
        nordic.award(grid, third, "0.4", "nordic-2")
        verdict = nordic.check(grid, "0.1")
        assert (verdict["color"], verdict["max_quantity_mw"]) == ("red", "0.000"), verdict
        nordic.context.close()
