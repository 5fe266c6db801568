"""Locations are plausible (issue 13): a new connection point lies where its CRS is used, in one of
its connecting SO's bidding zones (data on the operator), and inside that SO's current
observability area unless the user confirms the place with a reason, kept with the point. The
same rule on the API, the form and the CSV import (observability.points)."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from observability.models import ConnectionPoint, ConnectionPointLocationConfirmation
from prequal.imports import COLUMNS, spu_import_csv
from prequal.models import Spu
from tests.personas import login
from tests.registry_helpers import STOCKHOLM_3006, STOCKHOLM_WGS84, post_spu, spu_form_data, spu_payload

OSLO = {"crs": "4326", "x": 10.7522, "y": 59.9139}  # lon, lat
STOCKHOLM = {"crs": "4326", "x": STOCKHOLM_WGS84[1], "y": STOCKHOLM_WGS84[0]}


@pytest.fixture
def swedish_dso(cast, grid):
    """The local DSO: its area is a box around Stockholm (the grid), its zone SE3."""
    cast.local.bidding_zones = "SE3"
    cast.local.save()
    return cast.local


def payload(cast, **overrides) -> dict:
    return spu_payload(cast, **{"code": "NEW-1", **overrides})  # the grid's unit is BAT-1


def _stored() -> tuple[int, int]:
    return ConnectionPoint.objects.count(), Spu.objects.count()


def test_a_point_in_oslo_with_a_swedish_dso_is_not_silently_accepted(cast, api_as, swedish_dso):
    before = _stored()
    client = api_as(cast.fsp_a_user)

    response = post_spu(client, payload(cast, **OSLO))
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == ["confirm_outside_area"]
    assert "outside the observability area of Local DSO" in errors["confirm_outside_area"][0]

    response = post_spu(client, payload(cast, **OSLO, bidding_zone="NO1"))
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"confirm_outside_area", "bidding_zone"}
    assert "bidding zone SE3, not NO1" in errors["bidding_zone"][0]
    assert _stored() == before


def test_an_outside_point_is_registered_when_confirmed_with_a_reason_which_is_kept(cast, api_as, swedish_dso):
    client = api_as(cast.fsp_a_user)
    response = post_spu(client, payload(cast, **OSLO, confirm_outside_area=True))
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["outside_area_reason"]

    reason = "Border station fed from the Swedish side."
    response = post_spu(client, payload(cast, **OSLO, confirm_outside_area=True, outside_area_reason=reason))
    assert response.status_code == 201, response.json()
    point = ConnectionPoint.objects.get(pk=response.json()["connection_point"])
    kept = point.location_confirmation
    assert (kept.reason, kept.confirmed_by) == (reason, cast.fsp_a_user)
    detail = client.get(reverse("api:connection-point-detail", args=[point.pk])).json()
    assert detail["outside_area_reason"] == reason


def test_a_point_inside_the_area_needs_no_confirmation_and_keeps_none(cast, api_as, swedish_dso):
    response = post_spu(api_as(cast.fsp_a_user), payload(cast, **STOCKHOLM))
    assert response.status_code == 201, response.json()
    point = ConnectionPoint.objects.get(pk=response.json()["connection_point"])
    assert not ConnectionPointLocationConfirmation.objects.filter(connection_point=point).exists()
    assert api_as(cast.fsp_a_user).get(
        reverse("api:connection-point-detail", args=[point.pk])).json()["outside_area_reason"] is None


def test_swapped_longitude_and_latitude_are_named(cast, api_as, swedish_dso):
    response = post_spu(api_as(cast.fsp_a_user), payload(cast, crs="4326", x=STOCKHOLM_WGS84[0],
                                                            y=STOCKHOLM_WGS84[1]))
    assert response.status_code == 400
    assert "swapped" in response.json()["errors"]["confirm_outside_area"][0]


@pytest.mark.parametrize("x, y", [
    (STOCKHOLM_3006[1], STOCKHOLM_3006[0]),  # northing and easting swapped
    (STOCKHOLM_3006[0], STOCKHOLM_3006[1] - 5_000_000),  # far south of Sweden, in the Sahara
])
def test_a_sweref99_coordinate_far_outside_sweden_is_refused_on_x_and_y(cast, api_as, x, y):
    """EPSG:3006 is used in Sweden only (pyproj's area of use): no operator's area is needed."""
    before = _stored()
    response = post_spu(api_as(cast.fsp_a_user), payload(cast, crs="3006", x=x, y=y))
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"x", "y"}
    assert "outside the area where EPSG:3006 is used (Sweden" in errors["x"][0]
    assert _stored() == before


def test_the_form_refuses_the_outside_point_then_takes_it_with_a_reason(client, cast, swedish_dso):
    login(client, cast.fsp_a_user)
    data = spu_form_data(
        code="NEW-1", connecting_so=cast.local.pk, voltage_level="lv", bidding_zone="SE3", **OSLO)
    response = client.post(reverse("prequal:spu-create"), data)
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["confirm_outside_area"]
    assert not Spu.objects.filter(code="NEW-1").exists()

    response = client.post(reverse("prequal:spu-create"), {
        **data, "confirm_outside_area": "on", "outside_area_reason": "Fed across the border."})
    assert response.status_code == 302
    spu = Spu.objects.get(code="NEW-1")
    assert spu.connection_point.location_confirmation.reason == "Fed across the border."
    page = client.get(reverse("prequal:connection-point-detail", args=[spu.connection_point_id]))
    assert "Fed across the border." in page.content.decode()


def test_the_csv_import_applies_the_same_rule(cast, swedish_dso):
    rows = [
        {"spu_code": "OK", "gsrn": "735999880000000011", **STOCKHOLM},
        {"spu_code": "OSLO", "gsrn": "735999880000000028", **OSLO},
        {"spu_code": "NO1", "gsrn": "735999880000000035", **STOCKHOLM, "bidding_zone": "NO1"},
    ]
    out = io.StringIO()
    out.write(",".join(COLUMNS) + "\r\n")
    for values in rows:
        full = {"spu_name": "Unit", "technology": "battery", "max_up_kw": "10", "max_down_kw": "10",
                "connecting_so_eic": cast.local.eic_code, "bidding_zone": "SE3", "voltage_level": "lv",
                **values}
        out.write(",".join(str(full.get(c, "")) for c in COLUMNS) + "\r\n")
    before = _stored()
    result = spu_import_csv(user=cast.fsp_a_user, fsp=cast.fsp_a, file=io.BytesIO(out.getvalue().encode()))

    assert [(e.line, e.field) for e in result.errors] == [(3, "x, y"), (4, "bidding_zone")]
    assert "observability area of Local DSO" in result.errors[0].message
    assert _stored() == before


def test_an_operators_zones_are_data_checked_and_normalised(cast):
    so = cast.local
    so.bidding_zones = " se3, SE4 ,se3"
    so.full_clean()
    assert so.bidding_zones == "SE3,SE4" and so.bidding_zone_list == ["SE3", "SE4"]
    so.bidding_zones = "SE3, Stockholm"
    with pytest.raises(ValidationError) as exc:
        so.full_clean()
    assert "bidding_zones" in exc.value.message_dict
