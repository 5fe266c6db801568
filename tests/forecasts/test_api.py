"""The forecasts API under /api/forecasts/: publish (JSON or CSV), list publications, upload and
list grid zones, read a zone, an SPU, an SPG or a point as of a moment; who reads what (SPEC §4)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from forecasts.models import Publication
from forecasts.services import grid_zone_upload
from limits.models import MarketPlatformClient
from tests.factories import UserFactory
from tests.forecasts.helpers import DAY, NORTH_BOX, PUBLISH_AT, day_rows, publish, row
from tests.gis import GOTHENBURG_BOX, geojson_file

pytestmark = pytest.mark.django_db
LATER = PUBLISH_AT + timedelta(hours=3)


@pytest.fixture
def published(cast, zones):
    first = publish(cast, day_rows("NORTH", hours=2) + day_rows("SOUTH", hours=2))
    publish(cast, day_rows("GBG", hours=2), so=cast.other_local, user=cast.other_local_engineer)
    return first


def platform_for(*operators) -> APIClient:
    user = UserFactory(username="platform")
    client = MarketPlatformClient.objects.create(user=user, name="Local flex market")
    client.system_operators.add(*operators)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return api


def test_publish_json_then_list(cast, zones, api_as):
    body = {
        "system_operator": cast.local.pk,
        "horizon": "day_ahead",
        "mtu_minutes": 60,
        "rows": day_rows(),
    }
    with time_machine.travel(PUBLISH_AT, tick=False):
        response = api_as(cast.local_engineer).post(
            reverse("api:forecast-publication-list"), body, format="json"
        )
    assert response.status_code == 201, response.json()
    assert response.json()["row_count"] == 4 and response.json()["published_by"] == "local_engineer"
    listed = api_as(cast.local_viewer).get(reverse("api:forecast-publication-list")).json()
    assert [p["id"] for p in listed["results"]] == [response.json()["id"]]


def test_publish_csv_body(cast, zones, api_as):
    text = "zone,start,direction,headroom_mw,level\nNORTH,2027-01-06T00:15Z,up,1.25,likely\n"
    url = (
        reverse("api:forecast-publication-list")
        + f"?system_operator={cast.local.pk}&horizon=intraday&mtu_minutes=15"
    )
    with time_machine.travel(PUBLISH_AT, tick=False):
        response = api_as(cast.local_engineer).generic("POST", url, text, content_type="text/csv")
    assert response.status_code == 201, response.json()
    assert Publication.objects.get().source == "api:csv"


def test_publish_csv_body_from_a_swedish_spreadsheet(cast, zones, api_as):
    text = "\ufeffzone;start;direction;headroom_mw;level\r\nNORTH;2027-01-06T00:15Z;up;1,25;likely\r\n"
    url = (
        reverse("api:forecast-publication-list")
        + f"?system_operator={cast.local.pk}&horizon=intraday&mtu_minutes=15"
    )
    with time_machine.travel(PUBLISH_AT, tick=False):
        response = api_as(cast.local_engineer).generic(
            "POST", url, text.encode(), content_type="text/csv"
        )
    assert response.status_code == 201, response.json()
    assert str(Publication.objects.get().values.get().headroom_mw) == "1.250"


def test_a_refused_publication_lists_every_bad_row(cast, zones, api_as):
    rows = [row(), row(zone="NOWHERE"), row(headroom_mw="-1", start=DAY + timedelta(hours=1))]
    body = {
        "system_operator": cast.local.pk,
        "horizon": "day_ahead",
        "mtu_minutes": 60,
        "rows": rows,
    }
    with time_machine.travel(PUBLISH_AT, tick=False):
        response = api_as(cast.local_engineer).post(
            reverse("api:forecast-publication-list"), body, format="json"
        )
    assert response.status_code == 400
    data = response.json()
    assert data["detail"] == "2 rows are wrong; nothing was published."
    assert [m.split(":")[0] for m in data["errors"]["rows"]] == [
        "rows[1], zone",
        "rows[2], headroom_mw",
    ]
    assert not Publication.objects.exists()


def test_an_unknown_field_is_refused(cast, zones, api_as):
    body = {
        "system_operator": cast.local.pk,
        "horizon": "day_ahead",
        "mtu_minutes": 60,
        "rows": [row()],
        "colour": "red",
    }
    response = api_as(cast.local_engineer).post(
        reverse("api:forecast-publication-list"), body, format="json"
    )
    assert response.status_code == 400 and "colour" in response.json()["errors"]


@pytest.mark.parametrize(
    "persona", ["local_viewer", "other_local_engineer", "fsp_a_user", "nra_analyst"]
)
def test_only_the_operators_engineers_publish(cast, zones, api_as, persona):
    body = {
        "system_operator": cast.local.pk,
        "horizon": "day_ahead",
        "mtu_minutes": 60,
        "rows": [row()],
    }
    with time_machine.travel(PUBLISH_AT, tick=False):
        response = api_as(getattr(cast, persona)).post(
            reverse("api:forecast-publication-list"), body, format="json"
        )
    assert response.status_code == 403


def test_publication_lists_are_scoped(cast, published, api_as):
    url = reverse("api:forecast-publication-list")
    seen = {
        p: len(api_as(getattr(cast, p)).get(url).json()["results"])
        for p in ("local_viewer", "other_local_engineer", "fsp_a_user", "nra_analyst")
    }
    assert seen == {"local_viewer": 1, "other_local_engineer": 1, "fsp_a_user": 0, "nra_analyst": 2}
    assert len(platform_for(cast.other_local).get(url).json()["results"]) == 1


def test_upload_and_list_grid_zones(cast, grid, api_as):
    url = reverse("api:forecast-zone-list")
    with time_machine.travel(PUBLISH_AT, tick=False):
        created = api_as(cast.local_engineer).post(
            url,
            {
                "system_operator": cast.local.pk,
                "code": "NORTH",
                "name": "North",
                "file": geojson_file(NORTH_BOX),
            },
        )
        outside = api_as(cast.local_engineer).post(
            url,
            {
                "system_operator": cast.local.pk,
                "code": "GBG",
                "name": "Not ours",
                "file": geojson_file(GOTHENBURG_BOX),
            },
        )
        listed = api_as(cast.fsp_b_user).get(url).json()
    assert created.status_code == 201, created.json()
    assert created.json()["code"] == "NORTH" and created.json()["source_epsg"] == 4326
    assert outside.status_code == 400 and "file" in outside.json()["errors"]
    assert [z["code"] for z in listed] == ["NORTH"]


def test_a_zone_read_as_of_a_moment(cast, zones, published, api_as):
    correction = publish(
        cast, [row("NORTH", DAY, "up", "0", "certain")], at=LATER, horizon="intraday"
    )
    url = reverse("api:forecast-zone", args=[zones.north.pk])
    params = {"start": DAY.isoformat(), "end": (DAY + timedelta(hours=1)).isoformat()}
    before = api_as(cast.local_viewer).get(
        url, {**params, "as_of": (LATER - timedelta(minutes=1)).isoformat()}
    )
    after = api_as(cast.local_viewer).get(url, {**params, "as_of": LATER.isoformat()})
    assert before.status_code == 200, before.json()
    up_before = [v for v in before.json()["zones"][0]["values"] if v["direction"] == "up"]
    up_after = [v for v in after.json()["zones"][0]["values"] if v["direction"] == "up"]
    assert [(v["level"], v["publication"]) for v in up_before] == [("none", published.pk)]
    assert [(v["level"], v["headroom_mw"], v["publication"]) for v in up_after] == [
        ("certain", "0.000", correction.pk)
    ]


def test_bad_instants_are_refused(cast, zones, api_as):
    url = reverse("api:forecast-zone", args=[zones.north.pk])
    client = api_as(cast.local_engineer)
    assert "as_of" in client.get(url, {"as_of": "yesterday"}).json()["errors"]
    assert (
        "end"
        in client.get(url, {"start": DAY.isoformat(), "end": DAY.isoformat()}).json()["errors"]
    )
    assert (
        "end"
        in client.get(
            url, {"start": DAY.isoformat(), "end": (DAY + timedelta(days=15)).isoformat()}
        ).json()["errors"]
    )


@pytest.mark.parametrize(
    "persona, north, south, gbg",
    [
        ("local_viewer", 200, 200, 404),  # its own zones
        ("other_local_engineer", 404, 404, 200),
        (
            "fsp_a_user",
            200,
            404,
            404,
        ),  # NORTH holds FSP A's unit; SOUTH and GBG hold none of its units
        ("fsp_b_user", 404, 404, 404),
        ("tso_engineer", 404, 404, 404),  # no observability area in this world
        ("nra_analyst", 200, 200, 200),
        ("outsider", 404, 404, 404),
    ],
)
def test_who_reads_a_zone(cast, zones, published, api_as, persona, north, south, gbg):
    client = api_as(getattr(cast, persona))
    got = [
        client.get(
            reverse("api:forecast-zone", args=[z.pk]), {"as_of": LATER.isoformat()}
        ).status_code
        for z in (zones.north, zones.south, zones.gbg)
    ]
    assert got == [north, south, gbg]


def test_an_so_reads_zones_lying_in_its_area(cast, zones, published, api_as):
    from tests.factories import make_area
    from tests.gis import SWEDEN_BOX

    make_area(system_operator=cast.tso, geometry=SWEDEN_BOX, valid_from=PUBLISH_AT)
    client = api_as(cast.tso_engineer)
    got = [
        client.get(
            reverse("api:forecast-zone", args=[z.pk]), {"as_of": LATER.isoformat()}
        ).status_code
        for z in (zones.north, zones.south, zones.gbg)
    ]
    assert got == [200, 200, 200]


def test_a_platform_reads_the_zones_of_its_operators(cast, zones, published):
    client = platform_for(cast.local)
    got = [
        client.get(
            reverse("api:forecast-zone", args=[z.pk]), {"as_of": LATER.isoformat()}
        ).status_code
        for z in (zones.north, zones.south, zones.gbg)
    ]
    assert got == [200, 200, 404]


def test_an_spu_read_over_the_api(cast, grid, zones, published, api_as):
    url = reverse("api:forecast-spu", args=[grid.spu.pk])
    mine = api_as(cast.fsp_a_user).get(url, {"as_of": LATER.isoformat()})
    assert mine.status_code == 200
    assert [z["code"] for z in mine.json()["zones"]] == ["NORTH"]
    assert len(mine.json()["zones"][0]["values"]) == 4
    assert api_as(cast.fsp_b_user).get(url).status_code == 404
    # A platform registered for the TSO only reads the resource but none of the local DSO's zones.
    assert platform_for(cast.tso).get(url, {"as_of": LATER.isoformat()}).json()["zones"] == []


def test_an_spg_and_a_point_read_over_the_api(cast, grid, zones, published, api_as):
    from tests.factories import SpgFactory, SpgMembershipFactory

    spg = SpgFactory(fsp=cast.fsp_a, bidding_zone="SE3")
    SpgMembershipFactory(spg=spg, spu=grid.spu, valid_from=PUBLISH_AT - timedelta(days=1))
    spg_answer = api_as(cast.fsp_a_user).get(
        reverse("api:forecast-spg", args=[spg.pk]), {"as_of": LATER.isoformat()}
    )
    point_answer = api_as(cast.local_engineer).get(
        reverse("api:forecast-point", args=[grid.cp.pk]),
        {"as_of": LATER.isoformat(), "start": DAY.isoformat()},
    )
    assert [z["code"] for z in spg_answer.json()["zones"]] == ["NORTH"]
    assert [z["code"] for z in point_answer.json()["zones"]] == ["NORTH"]
    assert (
        api_as(cast.other_local_engineer)
        .get(reverse("api:forecast-point", args=[grid.cp.pk]))
        .status_code
        == 404
    )


def test_a_platform_reads_a_resource_a_point_and_a_zone_for_a_period(cast, grid, zones, published):
    """A market platform asks for the forecast of an SPG, an SPU, a point or a zone (SPEC R12)."""
    from tests.factories import SpgFactory, SpgMembershipFactory

    spg = SpgFactory(fsp=cast.fsp_a, bidding_zone="SE3")
    SpgMembershipFactory(spg=spg, spu=grid.spu, valid_from=PUBLISH_AT - timedelta(days=1))
    client = platform_for(cast.local)
    end = DAY + timedelta(hours=1)
    period = {"as_of": LATER.isoformat(), "start": DAY.isoformat(), "end": end.isoformat()}
    answers = {
        "spg": client.get(reverse("api:forecast-spg", args=[spg.pk]), {"as_of": LATER.isoformat()}),
        "spu": client.get(reverse("api:forecast-spu", args=[grid.spu.pk]), {"as_of": LATER.isoformat()}),
        "point": client.get(reverse("api:forecast-point", args=[grid.cp.pk]), period),
        "zone": client.get(reverse("api:forecast-zone", args=[zones.south.pk]), period),
    }
    assert {name: answer.status_code for name, answer in answers.items()} == dict.fromkeys(answers, 200)
    assert [z["code"] for z in answers["spg"].json()["zones"]] == ["NORTH"]
    assert [z["code"] for z in answers["zone"].json()["zones"]] == ["SOUTH"]
    # One hour of a 60-minute forecast: one row per direction.
    assert [v["direction"] for v in answers["point"].json()["zones"][0]["values"]] == ["down", "up"]


def test_a_platforms_read_of_an_spu_costs_the_same_statements_whatever_is_stored(
    cast, grid, zones, published
):
    """SPEC §7: the market platform's read of a resource over the API (token, its registrations,
    the SPU, the rows): the count does not grow with the zones around the point or the
    publications stored."""
    client = platform_for(cast.local)
    url = reverse("api:forecast-spu", args=[grid.spu.pk])

    def statements() -> int:
        with CaptureQueriesContext(connection) as captured:
            answer = client.get(url, {"as_of": LATER.isoformat()})
        assert answer.status_code == 200
        return len(captured)

    statements()  # the zone index, built once
    before = statements()
    for minutes in range(1, 4):  # more publications and rows, another zone around the point
        publish(cast, day_rows("NORTH", hours=4), at=LATER - timedelta(minutes=minutes))
    with time_machine.travel(PUBLISH_AT - timedelta(minutes=1), tick=False):
        grid_zone_upload(user=cast.local_engineer, system_operator=cast.local, code="NORTH-2",
                         name="North again", file=geojson_file(NORTH_BOX), filename="n2.geojson")
    assert len(client.get(url, {"as_of": LATER.isoformat()}).json()["zones"]) == 2
    assert statements() == before <= 6
