"""The SO's forecasts page (zones, upload, CSV publication with every bad row in a table, the list
of publications) and an SPU's forecasts page for its FSP."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from lxml import html

from forecasts.models import GridZone, Publication
from tests.forecasts.helpers import DAY, NORTH_BOX, PUBLISH_AT, day_rows, publish, row
from tests.gis import GOTHENBURG_BOX, geojson_file
from tests.personas import login

pytestmark = pytest.mark.django_db
PAGE = reverse("forecasts:so-page")
HEADER = "zone,start,direction,headroom_mw,level\n"


@pytest.fixture(autouse=True)
def _at_publish_time():
    """Pages, logins and publications at PUBLISH_AT (the zones are valid from the day before)."""
    with time_machine.travel(PUBLISH_AT, tick=False):
        yield


def csv_file(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("forecast.csv", text.encode(), content_type="text/csv")


def post_csv(client, cast, text: str, *, horizon="day_ahead", mtu="60"):
    data = {
        "publish-system_operator": cast.local.pk,
        "publish-horizon": horizon,
        "publish-mtu_minutes": mtu,
        "publish-file": csv_file(text),
    }
    return client.post(reverse("forecasts:publish"), data)


def test_the_engineer_sees_zones_forms_and_publications(client, cast, zones):
    publish(cast, day_rows(hours=1))
    page = html.fromstring(login(client, cast.local_engineer).get(PAGE).content)
    assert page.xpath('//*[@id="zones"]/tbody/tr/td[1]/text()') == ["NORTH", "SOUTH"]
    assert page.xpath('//*[@id="zone-form"]') and page.xpath('//*[@id="publish-form"]')
    assert len(page.xpath('//*[@id="publications"]/tbody/tr')) == 1


def test_the_viewer_reads_but_has_no_forms(client, cast, zones):
    page = html.fromstring(login(client, cast.local_viewer).get(PAGE).content)
    assert page.xpath('//*[@id="zones"]') and not page.xpath('//*[@id="publish-form"]')
    assert post_csv(client, cast, HEADER).status_code == 403


@pytest.mark.parametrize("persona", ["fsp_a_user", "nra_analyst"])
def test_the_page_is_for_system_operators(client, cast, persona):
    assert login(client, getattr(cast, persona)).get(PAGE).status_code == 403


def test_a_csv_publication_from_the_page(client, cast, zones):
    text = HEADER + f"NORTH,{DAY.isoformat()},up,3,likely\nSOUTH,{DAY.isoformat()},down,0,certain\n"
    response = post_csv(login(client, cast.local_engineer), cast, text)
    assert response.status_code == 302
    publication = Publication.objects.get()
    assert (publication.row_count, publication.source, publication.published_by) == (
        2,
        "forecast.csv",
        cast.local_engineer,
    )


def test_a_refused_csv_lists_every_bad_row(client, cast, zones):
    text = (
        HEADER + f"NOWHERE,{DAY.isoformat()},up,3,likely\n"
        f"NORTH,{(DAY + timedelta(minutes=20)).isoformat()},up,-1,none\n"
    )
    response = post_csv(login(client, cast.local_engineer), cast, text)
    assert response.status_code == 400
    rows = html.fromstring(response.content).xpath('//*[@id="publish-errors"]/tbody/tr')
    cells = [[td.text_content() for td in tr.xpath("td")] for tr in rows]
    assert [(where, field) for where, field, _message in cells] == [
        ("line 2", "zone"),
        ("line 3", "start"),
        ("line 3", "headroom_mw"),
    ]
    assert not Publication.objects.exists()


def test_a_zone_upload_from_the_page(client, cast, grid):
    client = login(client, cast.local_engineer)
    data = {"zone-system_operator": cast.local.pk, "zone-code": "NORTH", "zone-name": "North"}
    ok = client.post(
        reverse("forecasts:zone-upload"), {**data, "zone-file": geojson_file(NORTH_BOX)}
    )
    outside = client.post(
        reverse("forecasts:zone-upload"),
        {**data, "zone-code": "FAR", "zone-file": geojson_file(GOTHENBURG_BOX)},
    )
    assert ok.status_code == 302
    assert outside.status_code == 400
    assert (
        "outside"
        in html.fromstring(outside.content).xpath('//*[@id="zone-form"]')[0].text_content()
    )
    assert list(GridZone.objects.values_list("code", flat=True)) == ["NORTH"]


def test_the_fsp_sees_its_units_forecast_for_48_hours(client, cast, grid, zones):
    publish(cast, [row("NORTH", DAY + timedelta(hours=1), "up", "0.5", "likely")])
    with time_machine.travel(PUBLISH_AT + timedelta(hours=1), tick=False):
        response = login(client, cast.fsp_a_user).get(
            reverse("forecasts:spu-forecast", args=[grid.spu.pk])
        )
        other = login(client, cast.fsp_b_user).get(
            reverse("forecasts:spu-forecast", args=[grid.spu.pk])
        )
    page = html.fromstring(response.content)
    zone = '//section[contains(@class, "forecast-zone")]'
    assert [h.text_content().split(" – ")[0] for h in page.xpath(zone + "/h3")] == ["NORTH"]
    assert page.xpath(zone + "//tbody/tr/@class") == ["level-2"]
    assert other.status_code == 404


def test_the_spu_page_links_to_its_forecasts(client, cast, grid):
    response = login(client, cast.fsp_a_user).get(reverse("prequal:spu-detail", args=[grid.spu.pk]))
    link = html.fromstring(response.content).xpath('//*[@id="spu-forecasts"]/@href')
    assert link == [reverse("forecasts:spu-forecast", args=[grid.spu.pk])]


def test_a_swedish_excel_csv_is_published_and_the_reading_stated(client, cast, zones):
    # Saved by Excel as Windows-1252; this file has only ASCII, which reads the same as UTF-8.
    text = "zone;start;direction;headroom_mw;level\r\n" + (
        f"NORTH;{DAY.isoformat()};up;2,5;likely\r\nSOUTH;{DAY.isoformat()};down;0,125;certain\r\n"
    )
    data = {
        "publish-system_operator": cast.local.pk, "publish-horizon": "day_ahead", "publish-mtu_minutes": "60",
        "publish-file": SimpleUploadedFile("prognos.csv", text.encode("cp1252"), content_type="text/csv"),
    }
    response = login(client, cast.local_engineer).post(reverse("forecasts:publish"), data, follow=True)

    assert response.status_code == 200
    assert sorted(str(v) for v in Publication.objects.get().values.values_list("headroom_mw", flat=True)) == [
        "0.125", "2.500"
    ]
    assert "Forecast published: 2 rows. Read as UTF-8, semicolon-separated, decimal comma." in (
        response.content.decode()
    )


def test_a_decimal_comma_in_a_comma_separated_csv_is_refused_not_misread(client, cast, zones):
    text = HEADER + f'NORTH,{DAY.isoformat()},up,"2,5",likely\n'

    response = post_csv(login(client, cast.local_engineer), cast, text)

    assert response.status_code == 400
    rows = html.fromstring(response.content).xpath('//*[@id="publish-errors"]/tbody/tr')
    assert [[td.text_content() for td in tr.xpath("td")][:2] for tr in rows] == [["line 2", "headroom_mw"]]
    assert not Publication.objects.exists()
