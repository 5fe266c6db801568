"""Who may read and change FSP data (SPUs, SPGs, memberships, connection points) over the REST API
(SPEC §4, the "FSP data" column): owners, other FSPs, SOs in and outside the grid, the NRA,
outsiders and anonymous callers."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from observability.models import ConnectionPoint
from prequal.models import Spg, SpgMembership, Spu
from tests.factories import MembershipFactory, ProductFactory
from tests.registry_helpers import post_spu, spu_payload


def every_endpoint(registry, cast) -> list[tuple[str, str]]:
    spu, spg, membership = registry["spu_a"].pk, registry["spg_a"].pk, registry["membership_a"].pk
    return [
        ("get", reverse("api:operator-list")),
        ("get", reverse("api:operator-detail", args=[cast.tso.pk])),
        ("get", reverse("api:connection-point-list")),
        ("get", reverse("api:connection-point-detail", args=[registry["cp_a"].pk])),
        ("get", reverse("api:spu-list")),
        ("post", reverse("api:spu-list")),
        ("get", reverse("api:spu-detail", args=[spu])),
        ("patch", reverse("api:spu-detail", args=[spu])),
        ("post", reverse("api:spu-deactivate", args=[spu])),
        ("get", reverse("api:spg-list")),
        ("post", reverse("api:spg-list")),
        ("get", reverse("api:spg-detail", args=[spg])),
        ("patch", reverse("api:spg-detail", args=[spg])),
        ("post", reverse("api:spg-deactivate", args=[spg])),
        ("get", reverse("api:spg-members", args=[spg])),
        ("post", reverse("api:spg-members", args=[spg])),
        ("post", reverse("api:spg-member-end", args=[spg, membership])),
        ("get", reverse("api:product-list")),
        ("get", reverse("api:product-detail", args=[ProductFactory(procuring_so=cast.tso).pk])),
    ]


def test_anonymous_gets_401_everywhere(cast, registry):
    client = APIClient()
    for method, url in every_endpoint(registry, cast):
        response = getattr(client, method)(url, {}, format="json")
        assert response.status_code == 401, (method, url, response.status_code)
        assert response["WWW-Authenticate"] == "Token"
    assert Spu.objects.get(pk=registry["spu_a"].pk).is_active


def test_a_bad_token_gets_401(cast, registry):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    assert client.get(reverse("api:spu-list")).status_code == 401


def fsp_a_object_endpoints(registry) -> list[tuple[str, str, dict]]:
    spu, spg, membership = registry["spu_a"].pk, registry["spg_a"].pk, registry["membership_a"].pk
    return [
        ("get", reverse("api:spu-detail", args=[spu]), {}),
        ("patch", reverse("api:spu-detail", args=[spu]), {"name": "Mine now"}),
        ("post", reverse("api:spu-deactivate", args=[spu]), {}),
        ("get", reverse("api:spg-detail", args=[spg]), {}),
        ("patch", reverse("api:spg-detail", args=[spg]), {"name": "Mine now"}),
        ("post", reverse("api:spg-deactivate", args=[spg]), {}),
        ("get", reverse("api:spg-members", args=[spg]), {}),
        ("post", reverse("api:spg-members", args=[spg]), {"spu": registry["spu_b"].pk}),
        ("post", reverse("api:spg-member-end", args=[spg, membership]), {}),
    ]


def assert_fsp_a_objects_unchanged(registry) -> None:
    spu = Spu.objects.get(pk=registry["spu_a"].pk)
    spg = Spg.objects.get(pk=registry["spg_a"].pk)
    membership = SpgMembership.objects.get(pk=registry["membership_a"].pk)
    assert (spu.name, spu.is_active) == (registry["spu_a"].name, True)
    assert (spg.name, spg.is_active, spg.memberships.count()) == (registry["spg_a"].name, True, 1)
    assert membership.valid_to is None


def test_other_fsp_gets_404_on_everything_of_fsp_a(cast, api_as, registry):
    client = api_as(cast.fsp_b_user)
    for method, url, data in fsp_a_object_endpoints(registry):
        response = getattr(client, method)(url, data, format="json")
        assert response.status_code == 404, (method, url, response.status_code)
        assert response.json() == {"detail": "Not found."}
    assert_fsp_a_objects_unchanged(registry)


def test_outsider_gets_404_and_cannot_create(cast, api_as, registry):
    client = api_as(cast.outsider)
    for method, url, data in fsp_a_object_endpoints(registry):
        assert getattr(client, method)(url, data, format="json").status_code == 404, (method, url)
    assert client.get(reverse("api:spu-list")).json()["count"] == 0
    assert post_spu(client, spu_payload(cast)).status_code == 403


@pytest.mark.parametrize("persona", ["local_viewer", "local_engineer", "nra_analyst"])
def test_readers_read_in_scope_but_get_403_on_writes(cast, api_as, registry, persona):
    client = api_as(getattr(cast, persona))
    spu = registry["spu_a"]

    assert client.get(reverse("api:spu-detail", args=[spu.pk])).status_code == 200
    assert spu.pk in [row["id"] for row in client.get(reverse("api:spu-list")).json()["results"]]
    assert client.get(reverse("api:spg-detail", args=[registry["spg_a"].pk])).status_code == 200
    assert client.get(reverse("api:spg-members", args=[registry["spg_a"].pk])).status_code == 200
    for method, url, data in fsp_a_object_endpoints(registry):
        if method == "get":
            continue
        response = getattr(client, method)(url, data, format="json")
        assert response.status_code == 403, (method, url, response.status_code)
    assert post_spu(client, spu_payload(cast)).status_code == 403
    spg_create = client.post(
        reverse("api:spg-list"), {"code": "G", "name": "G", "bidding_zone": "SE3"}, format="json"
    )
    assert spg_create.status_code == 403
    assert_fsp_a_objects_unchanged(registry)
    assert ConnectionPoint.objects.count() == 2


def test_an_so_outside_the_grid_gets_404(cast, api_as, registry):
    client = api_as(cast.other_local_engineer)

    assert client.get(reverse("api:spu-detail", args=[registry["spu_a"].pk])).status_code == 404
    assert client.get(reverse("api:spu-detail", args=[registry["spu_b"].pk])).status_code == 200


def _submitted_case(user, *, spu=None, spg=None, product):
    from prequal.services.cases import case_create_draft, case_submit

    return case_submit(user=user, case=case_create_draft(user=user, spu=spu, spg=spg, product=product))


def test_an_so_that_assesses_a_case_reads_its_spu_spg_and_points(cast, api_as, grid):
    """SPEC §4: FSP data "read for cases their SO assesses", not only on the SO's own grid. The
    TSO procures mFRR, so it assesses FSP A's cases for it; the regional DSO neither connects
    the points nor assesses the cases and gets 404."""
    from tests.workflow_helpers import ensure_default_deadline_rule

    ensure_default_deadline_rule()
    other = grid.new_spu(code="BAT-2")
    spg = grid.spg_with_members(members=[other])
    _submitted_case(cast.fsp_a_user, spu=grid.spu, product=grid.mfrr)
    _submitted_case(cast.fsp_a_user, spg=spg, product=grid.mfrr)
    objects = [
        ("api:spu-detail", grid.spu.pk), ("api:spu-detail", other.pk), ("api:spg-detail", spg.pk),
        ("api:spg-members", spg.pk), ("api:connection-point-detail", grid.cp.pk),
        ("api:connection-point-detail", other.connection_point_id),
    ]

    tso = api_as(cast.tso_engineer)
    for name, pk in objects:
        assert tso.get(reverse(name, args=[pk])).status_code == 200, name
    assert {r["id"] for r in tso.get(reverse("api:spu-list")).json()["results"]} == {grid.spu.pk, other.pk}
    assert [r["id"] for r in tso.get(reverse("api:spg-list")).json()["results"]] == [spg.pk]
    points = {r["id"] for r in tso.get(reverse("api:connection-point-list")).json()["results"]}
    assert points == {grid.cp.pk, other.connection_point_id}
    # Reading is not changing: the TSO's engineer still cannot write FSP A's data.
    patch = tso.patch(reverse("api:spu-detail", args=[grid.spu.pk]), {"name": "x"}, format="json")
    assert patch.status_code == 403

    regional = api_as(cast.regional_engineer)
    for name, pk in objects:
        assert regional.get(reverse(name, args=[pk])).status_code == 404, name
    assert regional.get(reverse("api:spu-list")).json()["count"] == 0
    assert regional.get(reverse("api:connection-point-list")).json()["count"] == 0


def test_a_draft_shows_nothing_to_an_so_that_would_assess_it(cast, api_as, grid):
    """Drafts are the FSP's own business: no assessment yet, so the TSO does not read the SPU."""
    from prequal.services.cases import case_create_draft

    case_create_draft(user=cast.fsp_a_user, spu=grid.spu, product=grid.mfrr)
    assert api_as(cast.tso_engineer).get(reverse("api:spu-detail", args=[grid.spu.pk])).status_code == 404


def _names_nothing_of_fsp_a(body: str, registry) -> bool:
    a = registry["spu_a"]
    return not any(text in body for text in (a.fsp.name, a.fsp.organisation.eic_code, a.code, a.name))


def test_an_fsp_cannot_register_a_unit_at_another_fsps_point_and_then_read_it(cast, api_as, registry):
    """A point belongs to the FSP that registered the first unit there (no owner column: its units
    say it). FSP B, knowing FSP A's GSRN, is refused with a message that names no one, and still
    gets 404 on the point; nothing is stored."""
    point = registry["cp_a"]
    before = (Spu.objects.count(), ConnectionPoint.objects.count())
    client = api_as(cast.fsp_b_user)

    full = spu_payload(cast, connection_point_gsrn=point.gsrn)
    unit_only = ("code", "name", "technology", "max_up_kw", "max_down_kw", "connection_point_gsrn")
    for payload in (full,  # with the point's details, another operator, or the GSRN alone
                    {**full, "connecting_so_eic": cast.tso.eic_code},
                    {k: v for k, v in full.items() if k in unit_only}):
        response = post_spu(client, payload)
        assert response.status_code == 400, response.content
        errors = response.json()["errors"]
        assert list(errors) == ["connection_point_gsrn"], errors
        assert point.gsrn in errors["connection_point_gsrn"][0]
        assert _names_nothing_of_fsp_a(response.content.decode(), registry)
        assert "Local DSO" not in response.content.decode()  # not even where the point is
    assert (Spu.objects.count(), ConnectionPoint.objects.count()) == before
    assert client.get(reverse("api:connection-point-detail", args=[point.pk])).status_code == 404

    # Nor may FSP B move its own unit there.
    response = client.patch(reverse("api:spu-detail", args=[registry["spu_b"].pk]),
                            {"connection_point_gsrn": point.gsrn}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["connection_point_gsrn"]
    assert _names_nothing_of_fsp_a(response.content.decode(), registry)
    assert Spu.objects.get(pk=registry["spu_b"].pk).connection_point == registry["cp_b"]
    assert client.get(reverse("api:connection-point-detail", args=[point.pk])).status_code == 404


def test_the_owner_still_adds_units_at_its_own_point(cast, api_as, registry):
    payload = spu_payload(cast, connection_point_gsrn=registry["cp_a"].gsrn)
    response = post_spu(api_as(cast.fsp_a_user), payload)
    assert response.status_code == 201, response.content
    assert response.json()["connection_point"] == registry["cp_a"].pk


def test_applying_with_another_fsps_unit_names_nothing_of_it(cast, api_as, registry):
    """A user of two FSPs who picks the wrong one: the refusal does not show FSP A's unit."""
    from prequal.services.cases import case_create_draft

    user = cast.fsp_b_user
    MembershipFactory(user=user, organisation=cast.fsp_a.organisation, role="fsp_user")
    with pytest.raises(ValidationError) as exc:
        case_create_draft(user=user, fsp=cast.fsp_b, spu=registry["spu_a"],
                          product=ProductFactory(procuring_so=cast.tso))
    assert _names_nothing_of_fsp_a(" ".join(exc.value.messages), registry)
