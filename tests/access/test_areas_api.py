"""Who may upload observability areas and ask who assesses over the REST API (SPEC §4): read-only
members, engineers of other SOs, FSPs, outsiders, anonymous callers."""

from __future__ import annotations

import pytest

from observability.models import ObservabilityArea
from tests.factories import ConnectionPointFactory, SpuFactory
from tests.gis import geojson_file


@pytest.mark.parametrize(
    "who,status",
    [("local_viewer", 403), ("other_local_engineer", 403), ("fsp_a_user", 403), ("outsider", 403)],
)
def test_who_may_not_upload(cast, api_as, who, status):
    response = api_as(getattr(cast, who)).post(
        "/api/areas/", {"system_operator": cast.local.pk, "file": geojson_file()}, format="multipart"
    )
    assert response.status_code == status
    assert ObservabilityArea.objects.count() == 0


def test_anonymous_gets_401(cast, api_client):
    assert api_client.get("/api/areas/").status_code == 401
    response = api_client.post(
        "/api/areas/", {"system_operator": cast.local.pk, "file": geojson_file()}, format="multipart"
    )
    assert response.status_code == 401
    assert (
        api_client.post("/api/assessing-sos/", {"connection_points": ["1"]}, format="json").status_code == 401
    )


def test_unknown_operator_is_404(cast, api_as):
    response = api_as(cast.local_engineer).post(
        "/api/areas/", {"system_operator": 999999, "file": geojson_file()}, format="multipart"
    )
    assert response.status_code == 404


def test_assessing_sos_refuses_points_the_user_cannot_see(sweden, api_as):
    cast = sweden
    theirs = ConnectionPointFactory(connecting_so=cast.other_local)
    response = api_as(cast.local_engineer).post(
        "/api/assessing-sos/", {"connection_points": [str(theirs.pk), "abc"]}, format="json"
    )
    assert response.status_code == 400
    errors = " ".join(response.json()["errors"]["connection_points"])
    assert f"No connection point {theirs.pk} that you may see" in errors
    assert "abc is not a connection point id" in errors


def test_one_point_endpoint_is_scoped(sweden, api_as):
    cast = sweden
    spu = SpuFactory(
        fsp=cast.fsp_a,
        connection_point__connecting_so=cast.local,
        connection_point__longitude=18.0,
        connection_point__latitude=59.3,
    )
    url = f"/api/connection-points/{spu.connection_point.pk}/assessing-sos/"
    mine = api_as(cast.fsp_a_user).get(url)
    assert mine.status_code == 200
    assert len(mine.json()["assessing_sos"]) == 3
    assert api_as(cast.fsp_b_user).get(url).status_code == 404
    assert api_as(cast.other_local_engineer).get(url).status_code == 404
    assert api_as(cast.nra_analyst).get(url).status_code == 200
