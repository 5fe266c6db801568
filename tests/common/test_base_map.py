"""The base layer under every map (issue 15): the configured tiles, or offline the built-in
outline of countries and coasts; the CSP allows exactly the tile host; the SPU, SPG and
connection-point pages carry a map of their points (and the point's observability areas)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from shapely.geometry import box, shape

from common.maps import OUTLINE_FILE, base_map_settings
from tests.factories import ConnectionPointFactory, SpgFactory, SpgMembershipFactory, SpuFactory, make_area

OUTLINE = Path(settings.BASE_DIR) / "static" / OUTLINE_FILE


def _json_script(page: str, element_id: str) -> dict:
    start = page.index(f'id="{element_id}"')
    body = page[page.index(">", start) + 1:]
    return json.loads(body[: body.index("</script>")])


def _img_src(response) -> list[str]:
    policy = response["Content-Security-Policy"]
    directive = next(d.strip() for d in policy.split(";") if d.strip().startswith("img-src"))
    return directive.split()[1:]


def test_the_outline_is_a_light_geojson_of_the_nordic_baltic_countries():
    data = json.loads(OUTLINE.read_text())
    assert data["type"] == "FeatureCollection" and "Natural Earth" in data["source"]
    names = {f["properties"]["name"] for f in data["features"]}
    assert {"Sweden", "Norway", "Finland", "Denmark", "Estonia", "Latvia", "Lithuania"} <= names
    assert OUTLINE.stat().st_size < 200_000  # light: a page fetches it once
    sweden = next(shape(f["geometry"]) for f in data["features"] if f["properties"]["name"] == "Sweden")
    assert sweden.contains(shape({"type": "Point", "coordinates": [18.07, 59.33]}))  # Stockholm
    assert not sweden.contains(shape({"type": "Point", "coordinates": [10.75, 59.91]}))  # Oslo


def test_offline_by_default_the_outline_and_no_other_image_host(client, cast, settings):
    settings.GRIDPREQUAL_MAP_TILE_URL = ""
    config = base_map_settings()
    assert config["tileUrl"] == "" and config["outlineUrl"].endswith(OUTLINE_FILE)
    client.force_login(cast.local_engineer)
    response = client.get(reverse("observability:map"))
    page = response.content.decode()
    assert _json_script(page, "base-map-config")["outlineUrl"] == config["outlineUrl"]
    assert _img_src(response) == ["'self'", "data:", "blob:"]


def test_configured_tiles_replace_the_outline_and_the_csp_allows_their_host_only(client, cast, settings):
    settings.GRIDPREQUAL_MAP_TILE_URL = "https://tile.example.org/{z}/{x}/{y}.png"
    settings.GRIDPREQUAL_MAP_TILE_ATTRIBUTION = "© Example contributors"
    client.force_login(cast.local_engineer)
    response = client.get(reverse("observability:map"))
    config = _json_script(response.content.decode(), "base-map-config")
    assert config == {
        "tileUrl": "https://tile.example.org/{z}/{x}/{y}.png",
        "tileAttribution": "© Example contributors",
        "outlineUrl": "",
        "outlineAttribution": "",
    }
    assert _img_src(response) == ["'self'", "data:", "blob:", "https://tile.example.org"]


def _points(page: str) -> list[str]:
    config = _json_script(page, "resource-map-config")
    features = config["data"]["features"]
    return sorted(f["properties"]["gsrn"] for f in features if f["properties"]["kind"] == "point")


def test_the_spu_page_maps_its_connection_point(client, cast):
    spu = SpuFactory(fsp=cast.fsp_a, connection_point=ConnectionPointFactory(connecting_so=cast.local))
    client.force_login(cast.fsp_a_user)
    page = client.get(reverse("prequal:spu-detail", args=[spu.pk])).content.decode()
    assert 'data-testid="resource-map"' in page and "js/base_map.js" in page
    assert _points(page) == [spu.connection_point.gsrn]


def test_the_spg_page_maps_its_current_members_points_only(client, cast):
    spg = SpgFactory(fsp=cast.fsp_a)
    now = timezone.now()
    members = [
        SpuFactory(fsp=cast.fsp_a, connection_point=ConnectionPointFactory(connecting_so=cast.local))
        for _ in range(2)
    ]
    former = SpuFactory(fsp=cast.fsp_a, connection_point=ConnectionPointFactory(connecting_so=cast.local))
    for spu in members:
        SpgMembershipFactory(spg=spg, spu=spu, valid_from=now - timedelta(days=2))
    SpgMembershipFactory(
        spg=spg, spu=former, valid_from=now - timedelta(days=5), valid_to=now - timedelta(days=3)
    )
    client.force_login(cast.fsp_a_user)
    page = client.get(reverse("prequal:spg-detail", args=[spg.pk])).content.decode()
    assert _points(page) == sorted(spu.connection_point.gsrn for spu in members)


def test_the_connection_point_page_maps_the_point_and_its_observability_areas(client, cast):
    point = ConnectionPointFactory(connecting_so=cast.local)
    make_area(system_operator=cast.tso, geometry=box(point.longitude - 1, point.latitude - 1,
                                                     point.longitude + 1, point.latitude + 1))
    make_area(system_operator=cast.other_local, geometry=box(0, 0, 1, 1))  # elsewhere: not shown
    client.force_login(cast.local_engineer)
    page = client.get(reverse("prequal:connection-point-detail", args=[point.pk])).content.decode()
    config = _json_script(page, "resource-map-config")
    areas = [f["properties"]["system_operator_id"] for f in config["data"]["features"]
             if f["properties"]["kind"] == "area"]
    assert areas == [cast.tso.pk] and _points(page) == [point.gsrn]


@pytest.mark.parametrize("persona", ["fsp_b_user", "outsider"])
def test_no_map_for_those_who_may_not_read_the_unit(client, cast, persona):
    spu = SpuFactory(fsp=cast.fsp_a, connection_point=ConnectionPointFactory(connecting_so=cast.local))
    client.force_login(getattr(cast, persona))
    assert client.get(reverse("prequal:spu-detail", args=[spu.pk])).status_code == 404
