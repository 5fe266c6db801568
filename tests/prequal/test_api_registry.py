"""The registry API: operators, connection points, SPUs, SPGs, memberships, products, tokens."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from observability.models import ConnectionPoint
from prequal.models import Spg, SpgMembership, Spu
from tests.factories import (
    ConnectionPointFactory,
    ProductFactory,
    SpgMembershipFactory,
    SpuFactory,
    make_gsrn,
)
from tests.registry_helpers import STOCKHOLM_WGS84, post_spu, spu_payload


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    # The token endpoint is throttled per address; counts live in the cache.
    cache.clear()


def wrong_check_digit(gsrn: str) -> str:
    return gsrn[:-1] + str((int(gsrn[-1]) + 1) % 10)


# --- SPUs: happy paths ----------------------------------------------------------------------


def test_fsp_registers_spu_with_a_new_point_given_in_sweref99(cast, api_as):
    client = api_as(cast.fsp_a_user)
    payload = spu_payload(cast)

    response = client.post(reverse("api:spu-list"), payload, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["code"] == "BAT-1"
    assert body["fsp_eic"] == cast.fsp_a.organisation.eic_code
    assert body["connection_point_gsrn"] == payload["connection_point_gsrn"]
    assert Decimal(str(body["max_up_kw"])) == Decimal("250.5")
    point = ConnectionPoint.objects.get(gsrn=payload["connection_point_gsrn"])
    assert point.connecting_so == cast.local
    # Stored in WGS84, not in the coordinates given.
    assert point.latitude == pytest.approx(STOCKHOLM_WGS84[0], abs=1e-3)
    assert point.longitude == pytest.approx(STOCKHOLM_WGS84[1], abs=1e-3)
    spu = Spu.objects.get(pk=body["id"])
    assert (spu.fsp, spu.connection_point) == (cast.fsp_a, point)


def test_fsp_registers_spu_at_a_registered_point_by_gsrn_alone(cast, api_as):
    point = ConnectionPointFactory(connecting_so=cast.local)
    payload = {
        "code": "HP-7", "name": "Heat pumps", "technology": "heat_pump",
        "max_up_kw": 10, "max_down_kw": 0, "connection_point_gsrn": point.gsrn,
    }

    response = api_as(cast.fsp_a_user).post(reverse("api:spu-list"), payload, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["connection_point"] == point.pk
    assert ConnectionPoint.objects.count() == 1


def test_spu_list_shows_only_own_and_filters(cast, api_as, registry):
    SpuFactory(fsp=cast.fsp_a, code="A-2", technology="solar", connection_point=registry["cp_a"])
    client = api_as(cast.fsp_a_user)

    codes = [row["code"] for row in client.get(reverse("api:spu-list")).json()["results"]]
    assert codes == ["A-1", "A-2"]

    solar = client.get(reverse("api:spu-list"), {"technology": "solar"}).json()
    assert [row["code"] for row in solar["results"]] == ["A-2"]
    by_gsrn = client.get(reverse("api:spu-list"), {"connection_point_gsrn": registry["cp_b"].gsrn}).json()
    assert by_gsrn["count"] == 0  # FSP B's point: not in FSP A's scope


def test_spu_list_filter_by_is_active_and_code(cast, api_as, registry):
    SpuFactory(fsp=cast.fsp_a, code="A-OLD", is_active=False, connection_point=registry["cp_a"])
    client = api_as(cast.fsp_a_user)

    inactive = client.get(reverse("api:spu-list"), {"is_active": "false"}).json()
    assert [row["code"] for row in inactive["results"]] == ["A-OLD"]
    assert client.get(reverse("api:spu-list"), {"code": "A-1"}).json()["count"] == 1


def test_spu_list_is_paginated(cast, api_as, registry):
    for n in range(3):
        SpuFactory(fsp=cast.fsp_a, code=f"P-{n}", connection_point=registry["cp_a"])

    body = api_as(cast.fsp_a_user).get(reverse("api:spu-list"), {"page_size": 2}).json()

    assert body["count"] == 4
    assert len(body["results"]) == 2
    assert body["next"]


def test_fsp_patches_spu(cast, api_as, registry):
    spu = registry["spu_a"]
    url = reverse("api:spu-detail", args=[spu.pk])

    response = api_as(cast.fsp_a_user).patch(url, {"name": "Renamed", "max_down_kw": "42"}, format="json")

    assert response.status_code == 200, response.json()
    spu.refresh_from_db()
    assert (spu.name, spu.max_down_kw) == ("Renamed", Decimal("42"))
    assert response.json()["name"] == "Renamed"


def test_fsp_moves_spu_to_another_registered_point(cast, api_as, registry):
    spu = registry["spu_a"]
    other = ConnectionPointFactory(connecting_so=cast.local, bidding_zone="SE3")

    response = api_as(cast.fsp_a_user).patch(
        reverse("api:spu-detail", args=[spu.pk]), {"connection_point_gsrn": other.gsrn}, format="json"
    )

    assert response.status_code == 200, response.json()
    spu.refresh_from_db()
    assert spu.connection_point == other


def test_patch_refuses_unknown_and_unchangeable_fields(cast, api_as, registry):
    spu = registry["spu_a"]

    response = api_as(cast.fsp_a_user).patch(
        reverse("api:spu-detail", args=[spu.pk]),
        {"name": "New name", "colour": "blue", "code": "X-9"},
        format="json",
    )

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["colour"] == ["Unknown field."]
    assert errors["code"] == ["This field cannot be changed."]
    spu.refresh_from_db()
    assert (spu.name, spu.code) == (registry["spu_a"].name, "A-1")


def test_patch_to_an_unregistered_point_names_the_field(cast, api_as, registry):
    response = api_as(cast.fsp_a_user).patch(
        reverse("api:spu-detail", args=[registry["spu_a"].pk]),
        {"connection_point_gsrn": make_gsrn()},
        format="json",
    )

    assert response.status_code == 400
    assert "register the point first" in response.json()["errors"]["connection_point_gsrn"][0]


def test_fsp_deactivates_spu_and_its_membership_ends(cast, api_as, registry):
    spu = registry["spu_a"]
    membership = registry["membership_a"]
    membership.valid_from = timezone.now() - timedelta(days=1)
    membership.save()

    response = api_as(cast.fsp_a_user).post(reverse("api:spu-deactivate", args=[spu.pk]))

    assert response.status_code == 200, response.json()
    assert response.json()["is_active"] is False
    spu.refresh_from_db()
    membership.refresh_from_db()
    assert spu.is_active is False and spu.deactivated_at is not None
    assert membership.valid_to is not None


def test_patching_a_deactivated_spu_is_a_conflict(cast, api_as, registry):
    client = api_as(cast.fsp_a_user)
    spu = registry["spu_a"]
    client.post(reverse("api:spu-deactivate", args=[spu.pk]))

    response = client.patch(reverse("api:spu-detail", args=[spu.pk]), {"name": "x"}, format="json")

    assert response.status_code == 409
    assert "deactivated" in response.json()["detail"]


# --- SPUs: bad input changes nothing ----------------------------------------------------------


@pytest.fixture
def nothing_stored():
    """Assert after the test body that no point, SPU or SPG was added."""
    before = (ConnectionPoint.objects.count(), Spu.objects.count(), Spg.objects.count())
    yield
    assert (ConnectionPoint.objects.count(), Spu.objects.count(), Spg.objects.count()) == before


def test_invalid_gsrn_check_digit_is_explained(cast, api_as, nothing_stored):
    good = make_gsrn()
    bad = wrong_check_digit(good)

    response = post_spu(api_as(cast.fsp_a_user), spu_payload(cast, connection_point_gsrn=bad))

    assert response.status_code == 400
    [message] = response.json()["errors"]["connection_point_gsrn"]
    assert message == f"{bad} has a wrong GSRN check digit: expected {good[-1]}."


def test_gsrn_of_wrong_length_is_explained(cast, api_as, nothing_stored):
    response = post_spu(api_as(cast.fsp_a_user), spu_payload(cast, connection_point_gsrn="12345"))

    assert response.status_code == 400
    assert "expected exactly 18 digits" in response.json()["errors"]["connection_point_gsrn"][0]


def test_invalid_eic_is_explained(cast, api_as, nothing_stored):
    eic = cast.local.eic_code
    bad = eic[:-1] + ("A" if eic[-1] != "A" else "B")

    response = post_spu(api_as(cast.fsp_a_user), spu_payload(cast, connecting_so_eic=bad))

    assert response.status_code == 400
    [message] = response.json()["errors"]["connecting_so_eic"]
    assert message == f"{bad} has a wrong EIC check character: expected {eic[-1]}."


def test_eic_of_no_registered_operator_is_explained(cast, api_as, nothing_stored):
    response = post_spu(api_as(cast.fsp_a_user), spu_payload(cast, connecting_so_eic="10YSE-1--------K"))

    assert response.status_code == 400
    assert "No system operator has the EIC code 10YSE-1--------K" in (
        response.json()["errors"]["connecting_so_eic"][0]
    )


def test_unknown_field_is_refused(cast, api_as, nothing_stored):
    response = post_spu(api_as(cast.fsp_a_user), spu_payload(cast, max_up_mw=3))

    assert response.status_code == 400
    assert response.json()["errors"] == {"max_up_mw": ["Unknown field."]}


def test_negative_capacity_is_refused(cast, api_as, nothing_stored):
    response = post_spu(api_as(cast.fsp_a_user), spu_payload(cast, max_up_kw=-5))

    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "Invalid input."
    assert "greater than or equal to 0" in body["errors"]["max_up_kw"][0]


def test_every_bad_field_is_reported_at_once(cast, api_as, nothing_stored):
    response = post_spu(
        api_as(cast.fsp_a_user),
        spu_payload(cast, max_down_kw=-1, technology="nuclear", bogus=1, crs="EPSG:99999999"),
    )

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"max_down_kw", "technology", "bogus", "crs"}


def test_new_point_without_its_details_names_the_missing_fields(cast, api_as, nothing_stored):
    payload = spu_payload(cast)
    for name in ("x", "y", "voltage_level"):
        del payload[name]

    response = post_spu(api_as(cast.fsp_a_user), payload)

    assert response.status_code == 400
    assert {"x", "y", "voltage_level"} <= set(response.json()["errors"])


def test_a_refused_spu_rolls_back_its_new_point(cast, api_as, nothing_stored):
    # The point's details are fine; the unit offers no capacity at all.
    response = post_spu(api_as(cast.fsp_a_user), spu_payload(cast, max_up_kw=0, max_down_kw=0))

    assert response.status_code == 400
    assert "some capacity" in response.json()["errors"]["max_up_kw"][0]


def test_duplicate_spu_code_is_refused_per_field(cast, api_as, registry, nothing_stored):
    response = post_spu(api_as(cast.fsp_a_user), spu_payload(cast, code="A-1"))

    assert response.status_code == 400
    assert "A-1" in response.json()["errors"]["code"][0]


def test_point_registered_with_another_operator_is_refused(cast, api_as, registry, nothing_stored):
    payload = spu_payload(
        cast, connection_point_gsrn=registry["cp_a"].gsrn, connecting_so_eic=cast.other_local.eic_code
    )

    response = post_spu(api_as(cast.fsp_a_user), payload)

    assert response.status_code == 400
    assert "is registered with Local DSO" in response.json()["errors"]["connecting_so_eic"][0]


# --- SPGs and memberships -----------------------------------------------------------------------


def test_spg_create_add_member_refuse_other_zone_and_end(cast, api_as, registry):
    client = api_as(cast.fsp_a_user)

    created = client.post(
        reverse("api:spg-list"), {"code": "G-1", "name": "South", "bidding_zone": "SE3"}, format="json"
    )
    assert created.status_code == 201, created.json()
    spg_id = created.json()["id"]
    members_url = reverse("api:spg-members", args=[spg_id])

    added = client.post(members_url, {"spu": registry["spu_a"].pk}, format="json")
    assert added.status_code == 201, added.json()
    assert added.json()["valid_to"] is None

    se4_point = ConnectionPointFactory(connecting_so=cast.local, bidding_zone="SE4")
    se4_spu = SpuFactory(fsp=cast.fsp_a, connection_point=se4_point)
    refused = client.post(members_url, {"spu": se4_spu.pk}, format="json")
    assert refused.status_code == 400
    assert refused.json()["errors"]["spu"] == ["The SPU is in bidding zone SE4; the group is in SE3."]

    listed = client.get(members_url).json()
    assert [row["spu"] for row in listed["results"]] == [registry["spu_a"].pk]
    assert client.get(reverse("api:spg-detail", args=[spg_id])).json()["member_count"] == 1

    at = timezone.now() + timedelta(days=30)
    end_url = reverse("api:spg-member-end", args=[spg_id, added.json()["id"]])
    ended = client.post(end_url, {"at": at.isoformat()}, format="json")
    assert ended.status_code == 200, ended.json()
    membership = SpgMembership.objects.get(pk=added.json()["id"])
    assert membership.valid_to == at


def test_ending_a_membership_before_it_starts_removes_it(cast, api_as, registry):
    spg = registry["spg_a"]
    future = SpgMembershipFactory(
        spg=spg, spu=SpuFactory(fsp=cast.fsp_a, connection_point=registry["cp_a"]),
        valid_from=timezone.now() + timedelta(days=3),
    )

    response = api_as(cast.fsp_a_user).post(reverse("api:spg-member-end", args=[spg.pk, future.pk]))

    assert response.status_code == 204
    assert not SpgMembership.objects.filter(pk=future.pk).exists()


def test_adding_another_fsps_spu_is_bad_input(cast, api_as, registry):
    response = api_as(cast.fsp_a_user).post(
        reverse("api:spg-members", args=[registry["spg_a"].pk]), {"spu": registry["spu_b"].pk}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"]["spu"] == ["You have no SPU with this id."]
    assert registry["spg_a"].memberships.count() == 1


def test_spg_patch_and_deactivate(cast, api_as, registry):
    client = api_as(cast.fsp_a_user)
    spg = registry["spg_a"]

    patched = client.patch(reverse("api:spg-detail", args=[spg.pk]), {"name": "North"}, format="json")
    assert patched.status_code == 200, patched.json()
    refused = client.patch(reverse("api:spg-detail", args=[spg.pk]), {"bidding_zone": "SE1"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["errors"]["bidding_zone"] == ["This field cannot be changed."]

    deactivated = client.post(reverse("api:spg-deactivate", args=[spg.pk]))
    assert deactivated.status_code == 200
    spg.refresh_from_db()
    assert (spg.name, spg.bidding_zone, spg.is_active) == ("North", "SE3", False)


def test_spg_with_bad_bidding_zone_is_refused(cast, api_as, nothing_stored):
    response = api_as(cast.fsp_a_user).post(
        reverse("api:spg-list"), {"code": "G", "name": "G", "bidding_zone": "south"}, format="json"
    )

    assert response.status_code == 400
    assert "is not a bidding zone" in response.json()["errors"]["bidding_zone"][0]


def test_spg_list_shows_only_own(cast, api_as, registry):
    body = api_as(cast.fsp_b_user).get(reverse("api:spg-list")).json()

    assert [row["code"] for row in body["results"]] == ["GB"]


# --- Operators, connection points, products -----------------------------------------------------


def test_operators_list_filters_by_tier_and_eic(cast, api_as):
    client = api_as(cast.fsp_a_user)

    tsos = client.get(reverse("api:operator-list"), {"tier": "tso"}).json()["results"]
    assert [row["name"] for row in tsos] == ["Svenska kraftnät"]
    assert tsos[0]["upstream"] is None
    [local] = client.get(reverse("api:operator-list"), {"eic_code": cast.local.eic_code}).json()["results"]
    assert local == {
        "id": cast.local.pk, "name": "Local DSO", "eic_code": cast.local.eic_code,
        "tier": "local_dso", "upstream": cast.regional.pk, "time_zone": "Europe/Stockholm",
    }
    assert client.get(reverse("api:operator-detail", args=[cast.tso.pk])).json()["tier"] == "tso"


def test_bad_filter_value_is_a_400(cast, api_as):
    response = api_as(cast.fsp_a_user).get(reverse("api:operator-list"), {"tier": "king"})

    assert response.status_code == 400
    assert "tier" in response.json()["errors"]


def test_connection_points_are_scoped(cast, api_as, registry):
    def gsrns(user, **params):
        body = api_as(user).get(reverse("api:connection-point-list"), params).json()
        return {row["gsrn"] for row in body["results"]}

    assert gsrns(cast.fsp_a_user) == {registry["cp_a"].gsrn}
    assert gsrns(cast.local_viewer) == {registry["cp_a"].gsrn}
    assert gsrns(cast.other_local_engineer) == {registry["cp_b"].gsrn}
    assert gsrns(cast.nra_analyst) == {registry["cp_a"].gsrn, registry["cp_b"].gsrn}
    assert gsrns(cast.nra_analyst, connecting_so=cast.other_local.pk) == {registry["cp_b"].gsrn}
    assert gsrns(cast.nra_analyst, gsrn=registry["cp_a"].gsrn) == {registry["cp_a"].gsrn}
    assert gsrns(cast.nra_analyst, bidding_zone="SE4") == set()

    client = api_as(cast.fsp_a_user)
    assert client.get(reverse("api:connection-point-detail", args=[registry["cp_a"].pk])).status_code == 200
    assert client.get(reverse("api:connection-point-detail", args=[registry["cp_b"].pk])).status_code == 404


def test_products_list_and_detail(cast, api_as):
    mfrr = ProductFactory(code="mfrr-energy", procuring_so=cast.tso, gate_closure_minutes=45)
    retired = ProductFactory(code="old", procuring_so=cast.tso, is_active=False)
    client = api_as(cast.fsp_a_user)

    body = client.get(reverse("api:product-list")).json()
    assert [row["code"] for row in body["results"]] == ["mfrr-energy"]
    detail = client.get(reverse("api:product-detail", args=[mfrr.pk])).json()
    assert (detail["procuring_so_eic"], detail["gate_closure_minutes"]) == (cast.tso.eic_code, 45)
    assert client.get(reverse("api:product-detail", args=[retired.pk])).status_code == 404


# --- Tokens ------------------------------------------------------------------------------------------


def test_token_obtained_with_password_authenticates(cast):
    client = APIClient()

    response = client.post(
        reverse("api:auth-token"), {"username": "fsp_a_user", "password": "pw-for-tests-1"}, format="json"
    )

    assert response.status_code == 200, response.json()
    token = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get(reverse("api:spu-list")).status_code == 200
    # Asking again gives the same token (an integration keeps working).
    again = APIClient().post(
        reverse("api:auth-token"), {"username": "fsp_a_user", "password": "pw-for-tests-1"}, format="json"
    )
    assert again.json()["token"] == token


def test_token_refused_for_a_wrong_password(cast):
    response = APIClient().post(
        reverse("api:auth-token"), {"username": "fsp_a_user", "password": "guess"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["detail"] == "Unable to log in with the username and password given."
    assert "token" not in response.json()


def test_token_endpoint_slows_down_guessing(cast):
    client = APIClient()
    url = reverse("api:auth-token")
    statuses = [
        client.post(url, {"username": "fsp_a_user", "password": f"guess{n}"}).status_code
        for n in range(11)
    ]

    assert statuses[:10] == [400] * 10
    assert statuses[10] == 429


def test_session_auth_works_for_browser_users(cast, registry):
    client = APIClient()
    client.force_login(cast.fsp_a_user)

    assert client.get(reverse("api:spu-detail", args=[registry["spu_a"].pk])).status_code == 200


def test_duplicate_spg_code_is_refused_on_the_code_field(cast, api_as, registry, nothing_stored):
    response = api_as(cast.fsp_a_user).post(
        reverse("api:spg-list"), {"code": "GA", "name": "Again", "bidding_zone": "SE3"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"code": ["SPG with this FSP and Code already exists."]}


def test_another_fsp_may_reuse_a_code(cast, api_as, registry):
    response = api_as(cast.fsp_b_user).post(
        reverse("api:spg-list"), {"code": "GA", "name": "Theirs", "bidding_zone": "SE3"}, format="json"
    )

    assert response.status_code == 201, response.json()


def test_coordinates_outside_the_crs_are_refused_on_x_and_y(cast, api_as, nothing_stored):
    response = post_spu(api_as(cast.fsp_a_user), spu_payload(cast, crs="4326", x=500, y=20))

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["x"] == errors["y"] == ["The coordinates (500.0, 20.0) are outside EPSG:4326's range."]


def test_a_user_of_two_fsps_must_say_which(cast, api_as):
    from tests.factories import MembershipFactory

    MembershipFactory(user=cast.fsp_a_user, organisation=cast.fsp_b.organisation, role="fsp_user")
    client = api_as(cast.fsp_a_user)
    payload = {"code": "G-2", "name": "Two", "bidding_zone": "SE3"}

    unclear = client.post(reverse("api:spg-list"), payload, format="json")
    assert unclear.status_code == 400
    assert unclear.json()["errors"] == {"fsp_eic": ["You act for several FSPs: choose one."]}

    foreign = client.post(
        reverse("api:spg-list"), {**payload, "fsp_eic": cast.local.eic_code}, format="json"
    )
    assert foreign.status_code == 400
    assert "You do not act for an FSP" in foreign.json()["errors"]["fsp_eic"][0]

    chosen = client.post(
        reverse("api:spg-list"), {**payload, "fsp_eic": cast.fsp_b.organisation.eic_code}, format="json"
    )
    assert chosen.status_code == 201, chosen.json()
    assert Spg.objects.get(pk=chosen.json()["id"]).fsp == cast.fsp_b


def test_session_writes_need_the_csrf_token(cast, registry):
    # A browser session must not let another site post on the user's behalf.
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(cast.fsp_a_user)

    response = client.post(reverse("api:spu-deactivate", args=[registry["spu_a"].pk]))

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert Spu.objects.get(pk=registry["spu_a"].pk).is_active
