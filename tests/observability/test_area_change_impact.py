"""An area change shows its impact before it is confirmed: points entering and leaving, open cases
gaining or losing the operator as assessor, the rule for open cases, and a loud warning when most
of the operator's points would leave (page and API)."""

from __future__ import annotations

import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from shapely.geometry import Point, box

from observability.area_impact import area_change_impact
from observability.models import ConnectionPoint
from tests.factories import ConnectionPointFactory, SpuFactory
from tests.gis import REGIONAL_BOX, geojson_bytes

WEST_COAST = box(10, 57, 13, 59)  # outside the regional DSO's area (14–20 °E), around Gothenburg


def _world(sweden, wf):
    """Case A: a point in the regional DSO's area (it assesses for its area only); case B: a point
    near Gothenburg, outside it."""
    cast = sweden
    inside = SpuFactory(fsp=cast.fsp_a, connection_point=ConnectionPointFactory(
        connecting_so=cast.local, longitude=18.0, latitude=59.3))
    outside = SpuFactory(fsp=cast.fsp_a, connection_point=ConnectionPointFactory(
        connecting_so=cast.other_local, longitude=12.0, latitude=57.7))
    case_a, case_b = wf.submitted(spu=inside), wf.submitted(spu=outside)
    assert wf.assessment(case_a, cast.regional).reasons == ["observability_area"]
    return case_a, case_b


def _in_regional_box() -> int:
    """The points in the regional DSO's current area: case A's and the workflow's own SPU's."""
    return sum(REGIONAL_BOX.covers(Point(p.longitude, p.latitude)) for p in ConnectionPoint.objects.all())


def test_moving_the_area_away_lists_points_and_cases_and_warns(sweden, wf):
    case_a, case_b = _world(sweden, wf)
    impact = area_change_impact(system_operator=sweden.regional, geometry=WEST_COAST)
    leaving = _in_regional_box()
    assert (impact["points_entering"], impact["points_leaving"], impact["points_staying"]) == (1, leaving, 0)
    assert [c["id"] for c in impact["cases_lose"]] == [case_a.pk]
    assert [c["id"] for c in impact["cases_gain"]] == [case_b.pk]
    assert (impact["cases_gain_count"], impact["cases_lose_count"]) == (1, 1)
    assert impact["warning"] is True
    assert "Open cases keep the assessing operators" in impact["open_cases_rule"]


def test_the_same_area_again_changes_nothing_and_does_not_warn(sweden, wf):
    _world(sweden, wf)
    impact = area_change_impact(system_operator=sweden.regional, geometry=REGIONAL_BOX)
    staying = _in_regional_box()
    assert (impact["points_entering"], impact["points_leaving"], impact["points_staying"]) == (0, 0, staying)
    assert (impact["cases_gain_count"], impact["cases_lose_count"]) == (0, 0)
    assert impact["warning"] is False


def test_preview_page_shows_the_impact_the_rule_and_a_loud_warning(client, sweden, wf):
    case_a, case_b = _world(sweden, wf)
    client.force_login(sweden.regional_engineer)
    page = client.post(
        reverse("observability:area-upload"),
        {"system_operator": sweden.regional.pk,
         "file": SimpleUploadedFile("west.geojson", geojson_bytes(WEST_COAST))},
        follow=True,
    )
    html = page.content.decode()
    assert page.templates[0].name == "observability/area_preview.html"
    assert re.search(r'<div class="[^"]*area-impact-warning[^"]*" role="alert"', html)
    assert re.search(rf'data-testid="points-leaving">{_in_regional_box()}<', html)
    assert re.search(r'data-testid="points-entering">1<', html)
    assert reverse("prequal:case-detail", args=[case_a.pk]) in html.split('data-testid="cases-lose-list"')[1]
    assert reverse("prequal:case-detail", args=[case_b.pk]) in html.split('data-testid="cases-gain-list"')[1]
    assert 'data-testid="open-cases-rule"' in html

    same = client.post(
        reverse("observability:area-upload"),
        {"system_operator": sweden.regional.pk,
         "file": SimpleUploadedFile("same.geojson", geojson_bytes(REGIONAL_BOX))},
        follow=True,
    )
    assert 'role="alert"' not in same.content.decode().split('data-testid="area-impact"')[1]


def test_api_preview_carries_the_impact(sweden, wf, api_as):
    case_a, _case_b = _world(sweden, wf)
    client = api_as(sweden.regional_engineer)
    response = client.post(
        "/api/areas/",
        {"system_operator": sweden.regional.pk, "preview": "true",
         "file": SimpleUploadedFile("west.geojson", geojson_bytes(WEST_COAST))},
        format="multipart",
    )
    impact = client.get(response.json()["status_url"]).json()["preview"]["impact"]
    assert impact["warning"] is True
    assert impact["cases_lose"] == [{"id": case_a.pk, "label": str(case_a)}]
    assert impact["points_leaving"] == _in_regional_box() and impact["open_cases_rule"]
