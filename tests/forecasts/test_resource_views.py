"""What an FSP sees of the forecasts for its resources (SPEC R12): an SPU's and an SPG's page with
a chart, a map (its data as JSON, levels per quarter-hour) and a table, read "as of" a moment;
the overview of all its resources; links from the SPU and SPG pages and the navigation."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from lxml import html

from forecasts.models import CongestionLevel
from forecasts.selectors_resources import forecast_overview, fsp_resources_for_user
from tests.factories import ConnectionPointFactory, SpgFactory, SpgMembershipFactory, SpuFactory
from tests.forecasts.helpers import DAY, PUBLISH_AT, day_rows, publish, row
from tests.personas import login

pytestmark = pytest.mark.django_db
LATER = PUBLISH_AT + timedelta(hours=1)
LIKELY_AT = DAY + timedelta(hours=1)  # 02:00 in Stockholm (CET)


@pytest.fixture(autouse=True)
def _later():
    with time_machine.travel(LATER, tick=False):
        yield


@pytest.fixture
def published(cast, zones):
    """NORTH (around FSP A's unit): none for two hours, then a correction: likely up at 01:00 UTC."""
    publish(cast, day_rows("NORTH", hours=2), at=PUBLISH_AT - timedelta(hours=2))
    return publish(cast, [row("NORTH", LIKELY_AT, "up", "0.5", "likely")])


@pytest.fixture
def spg(cast, grid):
    group = SpgFactory(fsp=cast.fsp_a, bidding_zone="SE3", code="SPG-1")
    SpgMembershipFactory(spg=group, spu=grid.spu, valid_from=PUBLISH_AT - timedelta(days=1))
    return group


def page(client, user, name, pk, **query):
    response = login(client, user).get(reverse(name, args=[pk]), query)
    assert response.status_code == 200
    return html.fromstring(response.content)


def test_the_spu_chart_shows_the_likely_quarter_hours(client, cast, grid, published):
    doc = page(client, cast.fsp_a_user, "forecasts:spu-forecast", grid.spu.pk)
    bands = doc.xpath('//*[@id="forecast-chart"]//*[contains(@class, "fc-band")]')
    likely = [b for b in bands if b.get("data-level") == "likely"]
    assert [(b.get("data-direction"), b.get("data-start")) for b in likely] == [
        ("up", LIKELY_AT.isoformat())
    ]
    # 60 minutes: four quarter-hours of five units each.
    assert likely[0].get("width") == "20"
    assert {b.get("data-level") for b in bands} == {"none", "likely"}
    assert doc.xpath('//*[@id="forecast-chart"]/@data-empty') == ["false"]
    assert doc.xpath('//*[@id="worst-up"]/span/@data-level') == ["likely"]
    assert doc.xpath('//*[@id="worst-down"]/span/@data-level') == ["none"]
    assert doc.xpath('//*[@id="forecast-map"]/@data-forecast-map') == ["forecast-map-config"]
    assert doc.xpath('//*[@id="forecast-slider-box"]/@hidden') == [""]


def test_as_of_a_moment_before_the_correction(client, cast, grid, published):
    before = timezone.localtime(PUBLISH_AT - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M")
    doc = page(client, cast.fsp_a_user, "forecasts:spu-forecast", grid.spu.pk, as_of=before)
    levels = doc.xpath('//*[@id="forecast-chart"]//*[contains(@class, "fc-band")]/@data-level')
    assert set(levels) == {"none"}
    assert doc.xpath('//*[@id="id_as_of"]/@value') == [before]


def test_as_of_before_anything_was_published(client, cast, grid, published):
    early = timezone.localtime(PUBLISH_AT - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    doc = page(client, cast.fsp_a_user, "forecasts:spu-forecast", grid.spu.pk, as_of=early)
    assert doc.xpath('//*[@id="forecast-chart"]/@data-empty') == ["true"]


def test_a_moment_in_the_future_is_refused_and_now_is_shown(client, cast, grid, published):
    future = timezone.localtime(LATER + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    doc = page(client, cast.fsp_a_user, "forecasts:spu-forecast", grid.spu.pk, as_of=future)
    assert doc.xpath('//*[@id="as-of-form"]//*[contains(@class, "errorlist")]')
    assert "likely" in doc.xpath('//*[@id="forecast-chart"]//rect/@data-level')


def test_outsiders_do_not_find_the_pages(client, cast, grid, spg, published):
    for name, pk in [
        ("forecasts:spu-forecast", grid.spu.pk),
        ("forecasts:spu-forecast-map", grid.spu.pk),
        ("forecasts:spg-forecast", spg.pk),
        ("forecasts:spg-forecast-map", spg.pk),
    ]:
        assert login(client, cast.fsp_b_user).get(reverse(name, args=[pk])).status_code == 404


def test_the_spg_page_and_its_link(client, cast, grid, spg, published):
    doc = page(client, cast.fsp_a_user, "forecasts:spg-forecast", spg.pk)
    assert doc.xpath('//section[contains(@class, "forecast-zone")]/@data-zone') == ["NORTH"]
    assert doc.xpath('//*[@id="worst-up"]/span/@data-level') == ["likely"]
    detail = page(client, cast.fsp_a_user, "prequal:spg-detail", spg.pk)
    assert detail.xpath('//*[@id="spg-forecasts"]/@href') == [
        reverse("forecasts:spg-forecast", args=[spg.pk])
    ]


def test_the_map_data_has_levels_per_quarter_hour(client, cast, grid, published):
    response = login(client, cast.fsp_a_user).get(
        reverse("forecasts:spu-forecast-map", args=[grid.spu.pk]), {"as_of": LATER.isoformat()}
    )
    data = response.json()
    assert len(data["slots"]) == 48 * 4
    [zone] = data["zones"]["features"]
    assert zone["properties"]["code"] == "NORTH"
    assert zone["geometry"]["type"] in {"Polygon", "MultiPolygon"}
    levels = zone["properties"]["levels"]
    index = [slot["start"] for slot in data["slots"]].index(LIKELY_AT.isoformat())
    assert levels[index : index + 4] == ["likely"] * 4
    assert levels[index - 1] == "none" and levels[index + 4] is None
    assert data["slots"][index]["label"].endswith("02:00")  # Europe/Stockholm
    assert data["points"]["features"][0]["geometry"]["coordinates"] == [18.06, 59.33]


def test_the_overview_lists_the_fsps_resources(client, cast, grid, spg, published):
    client = login(client, cast.fsp_a_user)
    doc = html.fromstring(client.get(reverse("forecasts:resources")).content)
    assert doc.xpath('//*[@id="forecast-spus"]//tr[@data-resource]/td[contains(@class, "worst-up")]'
                     '/span/@data-level') == ["likely"]
    assert doc.xpath('//*[@id="forecast-spgs"]//tr/@data-resource') == ["SPG-1"]
    assert doc.xpath('//*[@id="nav-forecasts"]/@href') == [reverse("forecasts:resources")]
    assert login(client, cast.fsp_b_user).get(reverse("forecasts:resources")).status_code == 200
    assert login(client, cast.local_engineer).get(reverse("forecasts:resources")).status_code == 403


def _overview_queries(user) -> int:
    user = type(user).objects.get(pk=user.pk)  # nothing cached on the user between the runs
    with CaptureQueriesContext(connection) as queries:
        spus, spgs = fsp_resources_for_user(user=user)
        forecast_overview(spus=list(spus), spgs=list(spgs), as_of=LATER)
    return len(queries)


def test_the_overview_reads_in_a_constant_number_of_queries(cast, grid, spg, published):
    _overview_queries(cast.fsp_a_user)  # the process's zone index is read once, by the first
    few = _overview_queries(cast.fsp_a_user)
    for index in range(3):
        # One more unit in NORTH, two in SOUTH: more resources and more zones.
        cp = ConnectionPointFactory(
            connecting_so=cast.local, latitude=(59.3, 59.1, 59.05)[index], longitude=18.0 - index / 10
        )
        spu = SpuFactory(fsp=cast.fsp_a, connection_point=cp)
        group = SpgFactory(fsp=cast.fsp_a, bidding_zone="SE3")
        SpgMembershipFactory(spg=group, spu=spu, valid_from=PUBLISH_AT - timedelta(days=1))
    publish(cast, day_rows("SOUTH", hours=4, level="certain"), at=LATER - timedelta(minutes=5))
    assert _overview_queries(cast.fsp_a_user) == few


def test_the_overview_takes_the_least_headroom_and_the_worst_level(cast, grid, zones):
    cp = ConnectionPointFactory(connecting_so=cast.local, latitude=59.1, longitude=17.8)  # SOUTH
    SpuFactory(fsp=cast.fsp_a, connection_point=cp, code="SOUTH-UNIT")
    publish(cast, day_rows("SOUTH", hours=1, level="possible", headroom_mw="2"))
    spus, spgs = fsp_resources_for_user(user=cast.fsp_a_user)
    overview = forecast_overview(spus=list(spus), spgs=list(spgs), as_of=LATER)
    south = next(s for s in overview.spus if s.resource.code == "SOUTH-UNIT")
    assert [v.zone.code for v in south.zones] == ["SOUTH"]
    assert south.worst == {"up": CongestionLevel.POSSIBLE, "down": CongestionLevel.POSSIBLE}
    assert south.first_congested is None
    first = (DAY - overview.start) // timedelta(minutes=15)
    assert south.timeline.headroom["up"][first : first + 5] == [2, 2, 2, 2, None]


def _page_queries(client, user, name, pk) -> int:
    """The page's queries. The login's are not counted, nor the session's read: the session store
    (cached_db) reads the table only when its cache lost the session, which depends on what ran
    before, not on the page."""
    login(client, user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse(name, args=[pk])).status_code == 200
    return len([q for q in queries if '"django_session"' not in q["sql"]])

@pytest.mark.parametrize("name", ["forecasts:spg-forecast", "forecasts:spg-forecast-map"])
def test_a_resource_page_reads_in_a_constant_number_of_queries(client, cast, grid, spg, published, name):
    _page_queries(client, cast.fsp_a_user, name, spg.pk)  # the login's and the caches' first reads
    few = _page_queries(client, cast.fsp_a_user, name, spg.pk)
    # A second member in SOUTH, and more rows in both zones: more zones, members and rows.
    cp = ConnectionPointFactory(connecting_so=cast.local, latitude=59.1, longitude=17.8)
    spu = SpuFactory(fsp=cast.fsp_a, connection_point=cp)
    SpgMembershipFactory(spg=spg, spu=spu, valid_from=PUBLISH_AT - timedelta(days=1))
    rows = day_rows("SOUTH", hours=8, mtu=15) + day_rows("NORTH", start=DAY + timedelta(hours=4), hours=4)
    publish(cast, rows, mtu=15, at=LATER - timedelta(minutes=5))
    assert _page_queries(client, cast.fsp_a_user, name, spg.pk) == few
