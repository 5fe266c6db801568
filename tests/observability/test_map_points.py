"""The map's points by bounding box (observability/map_points.py, api:connection-point-map):
single points when few, grid clusters when many, scoped to the user, bad boxes refused (issue 13).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from observability.map_points import cell_size_deg
from tests.factories import ConnectionPointFactory, SpuFactory

pytestmark = pytest.mark.django_db

URL = reverse("api:connection-point-map")
SWEDEN = "10,55,25,70"


def fsp_points(cast, coordinates, fsp=None):
    points = []
    for lon, lat in coordinates:
        point = ConnectionPointFactory(connecting_so=cast.local, longitude=lon, latitude=lat)
        SpuFactory(fsp=fsp or cast.fsp_a, connection_point=point)
        points.append(point)
    return points


def test_few_points_come_one_by_one_and_only_the_users_own(cast, api_as):
    mine = fsp_points(cast, [(18.0, 59.3), (18.1, 59.4)])
    fsp_points(cast, [(18.05, 59.35)], fsp=cast.fsp_b)  # another FSP's: never shown to A
    fsp_points(cast, [(11.9, 57.7)])  # A's, outside the box

    data = api_as(cast.fsp_a_user).get(URL, {"bbox": "17.5,59,18.5,60", "zoom": 8}).json()

    assert data["clustered"] is False and data["points_total"] == 2
    assert sorted(f["properties"]["gsrn"] for f in data["features"]) == sorted(p.gsrn for p in mine)
    assert {f["properties"]["kind"] for f in data["features"]} == {"point"}
    assert data["features"][0]["geometry"]["type"] == "Point"


def test_many_points_come_as_clusters_of_the_zooms_cell(cast, api_as, monkeypatch):
    monkeypatch.setattr("observability.map_points.MAP_SINGLE_POINTS_MAX", 4)
    cell = cell_size_deg(6)  # 1.40625 degrees
    stockholm = [(18.0 + i * 0.01, 59.3) for i in range(4)]
    gothenburg = [(11.9, 57.7 + i * 0.01) for i in range(3)]
    fsp_points(cast, stockholm + gothenburg)

    data = api_as(cast.fsp_a_user).get(URL, {"bbox": SWEDEN, "zoom": 6}).json()

    assert data["clustered"] is True and data["points_total"] == 7
    clusters = sorted((f["properties"]["count"], f["geometry"]["coordinates"]) for f in data["features"])
    assert [count for count, _where in clusters] == [3, 4]
    assert {f["properties"]["kind"] for f in data["features"]} == {"cluster"}
    three_lon, three_lat = clusters[0][1]
    assert three_lon == pytest.approx(11.9) and three_lat == pytest.approx(57.71)
    assert int(11.9 // cell) != int(18.0 // cell)
    # Zoomed in on Stockholm, the four are few enough to come one by one.
    close = api_as(cast.fsp_a_user).get(URL, {"bbox": "17.9,59.2,18.2,59.4", "zoom": 12}).json()
    assert close["clustered"] is False and close["points_total"] == 4


def test_the_operator_filter_and_an_so_s_scope(cast, api_as):
    fsp_points(cast, [(18.0, 59.3)])
    other = ConnectionPointFactory(connecting_so=cast.other_local, longitude=18.0, latitude=59.3)
    so_data = api_as(cast.local_engineer).get(URL, {"bbox": SWEDEN}).json()
    assert other.gsrn not in {f["properties"]["gsrn"] for f in so_data["features"]}
    assert so_data["points_total"] == 1
    filtered = api_as(cast.fsp_a_user).get(URL, {"bbox": SWEDEN, "operator": cast.other_local.pk}).json()
    assert filtered["points_total"] == 0


@pytest.mark.parametrize(("params", "field"), [
    ({}, "bbox"),
    ({"bbox": "north"}, "bbox"),
    ({"bbox": "1,2,3"}, "bbox"),
    ({"bbox": "1,2,3,nan"}, "bbox"),
    ({"bbox": "20,55,10,70"}, "bbox"),  # min longitude above max
    ({"bbox": "10,70,25,55"}, "bbox"),  # min latitude above max
    ({"bbox": "170,0,190,1"}, "bbox"),
    ({"bbox": "0,-95,1,1"}, "bbox"),
    ({"bbox": SWEDEN, "zoom": "23"}, "zoom"),
    ({"bbox": SWEDEN, "zoom": "near"}, "zoom"),
    ({"bbox": SWEDEN, "tier": "village"}, "tier"),
])
def test_a_bad_box_is_a_400_with_a_message_on_its_field(cast, api_as, params, field):
    response = api_as(cast.fsp_a_user).get(URL, params)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == [field] and errors[field][0]


def test_anonymous_gets_401(client):
    assert client.get(URL, {"bbox": SWEDEN}).status_code == 401
