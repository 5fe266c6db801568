"""The limits API and the activation-check API: publishing, updating, lifting, per-field errors.

Who may do what: tests/access/test_limits_api.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from shapely.geometry import box, mapping

from limits.models import LimitEvent, MarketPlatformClient, TemporaryLimit
from tests.factories import UserFactory
from tests.limit_helpers import NOW, START, a_limit, check_body
from tests.limit_helpers import limit_body as body

# --- /api/limits/ ------------------------------------------------------------------------------------


def test_an_engineer_publishes_a_limit(grid, api_as, at_now):
    response = api_as(grid.cast.local_engineer).post("/api/limits/", body(grid), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["target_kind"], data["spu"], data["quantity_mw"], data["status"]) == (
        "spu",
        grid.spu.pk,
        "0.500",
        "upcoming",
    )
    assert data["system_operator_eic"] == grid.cast.local.organisation.eic_code


def test_a_limit_above_the_targets_capacity_is_published_and_flagged(grid, api_as, at_now):
    engineer = api_as(grid.cast.local_engineer)
    over = engineer.post("/api/limits/", body(grid, quantity_mw="2.5"), format="json")
    assert over.status_code == 201, over.json()
    assert (over.json()["exceeds_capacity"], over.json()["capacity_mw"]) == (True, "1.000")
    under = engineer.post("/api/limits/", body(grid, quantity_mw="0.5", direction="down"), format="json")
    under = under.json()
    assert (under["exceeds_capacity"], under["capacity_mw"]) == (False, "1.000")
    # The detail and a change answer the same; the FSP reading its limit does not get the figure.
    detail = engineer.get(f"/api/limits/{over.json()['id']}/").json()
    assert detail["exceeds_capacity"] is True
    changed = engineer.patch(f"/api/limits/{over.json()['id']}/", {"quantity_mw": "0.5"}, format="json")
    assert changed.json()["exceeds_capacity"] is False
    fsp_view = api_as(grid.cast.fsp_a_user).get(f"/api/limits/{over.json()['id']}/").json()
    assert (fsp_view["exceeds_capacity"], fsp_view["capacity_mw"]) == (None, None)


def test_an_area_limit_over_the_api(grid, api_as, at_now):
    response = api_as(grid.cast.local_engineer).post(
        "/api/limits/",
        body(grid, target_kind="area", spu=None, area=mapping(box(18.0, 59.2, 18.2, 59.4))),
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["area"]["type"] == "Polygon"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"spu": 999999}, "spu"),
        ({"target_kind": "spg", "spu": None}, "spg"),
        (
            {"target_kind": "connection_point", "spu": None, "connection_point_gsrn": "012345678901234560"},
            "connection_point_gsrn",
        ),
        ({"end": (START - timedelta(hours=1)).isoformat()}, "end"),
        ({"quantity_mw": "-1"}, "quantity_mw"),
        ({"direction": "sideways"}, "direction"),
        ({"target_kind": "area", "spu": None, "area": mapping(box(11.6, 57.6, 12.0, 57.9))}, "area"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_input_gets_a_message_on_its_field_and_stores_nothing(grid, api_as, at_now, overrides, field):
    data = {k: v for k, v in body(grid, **overrides).items() if v is not None}
    response = api_as(grid.cast.local_engineer).post("/api/limits/", data, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
    assert TemporaryLimit.objects.count() == 0


def test_another_operators_grid_is_a_field_error(grid, api_as, at_now):
    response = api_as(grid.cast.other_local_engineer).post("/api/limits/", body(grid), format="json")
    assert response.status_code == 400
    assert "not on your grid" in response.json()["errors"]["spu"][0]
    assert TemporaryLimit.objects.count() == 0


def test_a_late_limit_is_refused_with_the_latest_time(grid, api_as):
    grid.prequalify(spu=grid.spu)
    with time_machine.travel(datetime(2027, 6, 1, 10, 15, 1, tzinfo=UTC), tick=False):
        response = api_as(grid.cast.local_engineer).post("/api/limits/", body(grid), format="json")
    assert response.status_code == 400
    assert "12:15 CEST" in response.json()["errors"]["start"][0]


def test_detail_update_lift_and_permissions(grid, api_as):
    limit = a_limit(grid)
    url = f"/api/limits/{limit.pk}/"
    assert api_as(grid.cast.fsp_b_user).get(url).status_code == 404
    assert (
        api_as(grid.cast.other_local_engineer).patch(url, {"quantity_mw": "0.9"}, format="json").status_code
        == 404
    )
    assert api_as(grid.cast.local_viewer).patch(url, {"quantity_mw": "0.9"}, format="json").status_code == 403
    assert api_as(grid.cast.nra_analyst).post(url + "lift/").status_code == 403
    assert api_as(grid.cast.fsp_a_user).get(url).status_code == 200
    with time_machine.travel(NOW, tick=False):
        response = api_as(grid.cast.local_engineer).patch(
            url, {"quantity_mw": "0.9", "spu": 3}, format="json"
        )
        assert response.status_code == 400 and "spu" in response.json()["errors"]
        response = api_as(grid.cast.local_engineer).patch(url, {"quantity_mw": "0.9"}, format="json")
        assert response.status_code == 200 and response.json()["quantity_mw"] == "0.900"
        response = api_as(grid.cast.local_engineer).post(url + "lift/")
        assert response.status_code == 200 and response.json()["status"] == "lifted"
    history = api_as(grid.cast.nra_analyst).get(url).json()["events"]
    assert [e["action"] for e in history] == ["create", "update", "lift"]
    assert history[1]["before"]["quantity_mw"] == "0.500" and history[1]["after"]["quantity_mw"] == "0.900"
    assert LimitEvent.objects.filter(limit=limit).count() == 3


# --- /api/activation-check/ ------------------------------------------------------------------------


@pytest.fixture
def platform(cast):
    user = UserFactory(username="platform")
    client = MarketPlatformClient.objects.create(user=user, name="Nordic balancing platform")
    client.system_operators.add(cast.tso)
    return user


def test_a_market_platform_asks_by_post_and_get(grid, api_as, platform):
    grid.prequalify(spu=grid.spu)
    a_limit(grid)
    client = api_as(platform)
    response = client.post("/api/activation-check/", check_body(grid, quantity_mw="0.8"), format="json")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["color"], data["max_quantity_mw"]) == ("yellow", "0.500")
    assert [(x["target_kind"], float(x["quantity_mw"])) for x in data["limits"]] == [("spu", 0.5)]
    assert "more than the 0.5 MW" in data["reasons"][0]
    assert (
        client.get("/api/activation-check/", check_body(grid, quantity_mw="0.4")).json()["color"] == "yellow"
    )
    assert client.get("/api/activation-check/", check_body(grid, direction="down")).json()["color"] == "green"


def test_a_deactivated_platform_client_is_refused(grid, api_as, platform):
    MarketPlatformClient.objects.update(is_active=False)
    assert api_as(platform).post("/api/activation-check/", check_body(grid), format="json").status_code == 403


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"spu": None}, "spu"),
        ({"spg": 1}, "spu"),
        ({"product": "nope"}, "product"),
        ({"end": START.isoformat()}, "end"),
        ({"quantity_mw": "-0.1"}, "quantity_mw"),
        ({"direction": "left"}, "direction"),
        ({"start": "yesterday"}, "start"),
    ],
)
def test_activation_check_bad_input(grid, api_as, platform, overrides, field):
    response = api_as(platform).post("/api/activation-check/", check_body(grid, **overrides), format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]


def test_an_unknown_resource_is_not_found(grid, api_as, platform):
    response = api_as(platform).post("/api/activation-check/", check_body(grid, spu=999999), format="json")
    assert response.status_code == 404 and response.json()["detail"]
