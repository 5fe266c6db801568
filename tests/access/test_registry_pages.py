"""Who may open and change the registry pages (SPEC §4, the "FSP data" column): owners, other FSPs,
SOs in and outside the grid, the NRA, outsiders and anonymous visitors."""

from __future__ import annotations

import pytest
from django.urls import reverse

from prequal.models import Spg, SpgMembership, Spu
from tests.personas import login
from tests.registry_helpers import spu_form_data


def _read_urls(registry) -> list[str]:
    return [
        reverse("prequal:spu-detail", args=[registry["spu_a"].pk]),
        reverse("prequal:spg-detail", args=[registry["spg_a"].pk]),
    ]


def _write_get_urls(registry) -> list[str]:
    return [
        reverse("prequal:spu-edit", args=[registry["spu_a"].pk]),
        reverse("prequal:spg-edit", args=[registry["spg_a"].pk]),
    ]


def _write_post_urls(registry) -> list[str]:
    spg = registry["spg_a"]
    return [
        reverse("prequal:spu-deactivate", args=[registry["spu_a"].pk]),
        reverse("prequal:spg-deactivate", args=[spg.pk]),
        reverse("prequal:spg-member-add", args=[spg.pk]),
        reverse("prequal:spg-member-end", args=[spg.pk, registry["membership_a"].pk]),
    ]


def _all_get_urls(registry) -> list[str]:
    return [
        reverse("prequal:spu-list"), reverse("prequal:spu-create"), reverse("prequal:spg-list"),
        reverse("prequal:spg-create"), reverse("prequal:product-list"),
        reverse("observability:operator-list"),
        reverse("observability:operator-detail", args=[registry["cp_a"].connecting_so_id]),
        reverse("observability:connection-point-list"),
        reverse("prequal:connection-point-detail", args=[registry["cp_a"].pk]),
        *_read_urls(registry), *_write_get_urls(registry),
    ]


def _assert_nothing_changed(registry) -> None:
    assert Spu.objects.get(pk=registry["spu_a"].pk).is_active
    assert Spg.objects.get(pk=registry["spg_a"].pk).is_active
    assert SpgMembership.objects.get(pk=registry["membership_a"].pk).valid_to is None


def test_anonymous_is_sent_to_login(client, registry):
    login = reverse("login")
    for url in _all_get_urls(registry):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(login), url
    for url in _write_post_urls(registry):
        response = client.post(url)
        assert response.status_code == 302 and response.url.startswith(login), url
    _assert_nothing_changed(registry)


def test_owner_can_open_every_page(client, cast, registry):
    login(client, cast.fsp_a_user)
    for url in _all_get_urls(registry):
        assert client.get(url).status_code == 200, url


def test_other_fsp_gets_404_on_everything_of_fsp_a(client, cast, registry):
    login(client, cast.fsp_b_user)
    for url in _read_urls(registry) + _write_get_urls(registry):
        assert client.get(url).status_code == 404, url
    for url in _write_post_urls(registry):
        assert client.post(url).status_code == 404, url
    point_url = reverse("prequal:connection-point-detail", args=[registry["cp_a"].pk])
    assert client.get(point_url).status_code == 404
    _assert_nothing_changed(registry)


@pytest.mark.parametrize("persona", ["local_viewer", "local_engineer", "nra_analyst"])
def test_so_and_nra_read_within_scope_but_cannot_write(client, cast, registry, persona):
    login(client, getattr(cast, persona))
    for url in _read_urls(registry):
        response = client.get(url)
        assert response.status_code == 200, url
        assert reverse("prequal:spu-edit", args=[registry["spu_a"].pk]) not in response.content.decode()
    for url in _write_get_urls(registry) + [reverse("prequal:spu-create"), reverse("prequal:spg-create")]:
        assert client.get(url).status_code == 403, url
    for url in _write_post_urls(registry):
        assert client.post(url).status_code == 403, url
    assert client.post(reverse("prequal:spu-create"), spu_form_data()).status_code == 403
    _assert_nothing_changed(registry)
    assert not Spu.objects.filter(code="BAT-1").exists()


def test_so_of_another_grid_gets_404(client, cast, registry):
    login(client, cast.other_local_engineer)
    for url in _read_urls(registry) + _write_get_urls(registry):
        assert client.get(url).status_code == 404, url
    for url in _write_post_urls(registry):
        assert client.post(url).status_code == 404, url
    _assert_nothing_changed(registry)


def test_outsider_gets_404_and_empty_lists(client, cast, registry):
    login(client, cast.outsider)
    for url in _read_urls(registry) + _write_get_urls(registry):
        assert client.get(url).status_code == 404, url
    for url in _write_post_urls(registry):
        assert client.post(url).status_code == 404, url
    point_url = reverse("prequal:connection-point-detail", args=[registry["cp_a"].pk])
    assert client.get(point_url).status_code == 404
    for name in ("prequal:spu-list", "prequal:spg-list", "observability:connection-point-list"):
        assert list(client.get(reverse(name)).context["page_obj"]) == [], name
    # Nothing to register for: no FSP membership.
    assert client.get(reverse("prequal:spu-create")).status_code == 403
    _assert_nothing_changed(registry)


def test_an_so_that_assesses_a_case_reads_the_units_pages(client, cast, grid):
    """SPEC §4 in the browser: the TSO assesses FSP A's mFRR case and reads the SPU, its point and
    the lists; the regional DSO (neither connecting nor assessing) gets 404 and empty lists."""
    from prequal.services.cases import case_create_draft, case_submit
    from tests.workflow_helpers import ensure_default_deadline_rule

    ensure_default_deadline_rule()
    case_submit(user=cast.fsp_a_user, case=case_create_draft(
        user=cast.fsp_a_user, spu=grid.spu, product=grid.mfrr))
    urls = [reverse("prequal:spu-detail", args=[grid.spu.pk]),
            reverse("prequal:connection-point-detail", args=[grid.cp.pk])]

    login(client, cast.tso_engineer)
    for url in urls:
        assert client.get(url).status_code == 200, url
    assert [s.pk for s in client.get(reverse("prequal:spu-list")).context["page_obj"]] == [grid.spu.pk]
    assert [p.pk for p in client.get(reverse("observability:connection-point-list")).context["page_obj"]] == [
        grid.cp.pk]

    login(client, cast.regional_engineer)
    for url in urls:
        assert client.get(url).status_code == 404, url
    for name in ("prequal:spu-list", "observability:connection-point-list"):
        assert list(client.get(reverse(name)).context["page_obj"]) == [], name


def test_an_fsp_cannot_register_or_move_a_unit_to_another_fsps_point(client, cast, registry):
    """The form says the same as the API: FSP A's point is refused on the GSRN field, naming no one."""
    point = registry["cp_a"]
    login(client, cast.fsp_b_user)
    response = client.post(reverse("prequal:spu-create"), spu_form_data(gsrn=point.gsrn))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["gsrn"] and point.gsrn in errors["gsrn"][0]
    said = " ".join(str(m) for m in errors["gsrn"]) + " ".join(str(m) for m in response.context["messages"])
    assert "FSP A" not in said and "A-1" not in said and "Local DSO" not in said
    assert "FSP A" not in response.content.decode() and "A-1" not in response.content.decode()

    spu_b = registry["spu_b"]
    response = client.post(reverse("prequal:spu-edit", args=[spu_b.pk]), {
        "name": spu_b.name, "technology": spu_b.technology, "max_up_kw": spu_b.max_up_kw,
        "max_down_kw": spu_b.max_down_kw, "gsrn": point.gsrn,
    })
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["gsrn"]
    assert client.get(reverse("prequal:connection-point-detail", args=[point.pk])).status_code == 404
    _assert_nothing_changed(registry)
    assert Spu.objects.get(pk=spu_b.pk).connection_point == registry["cp_b"]
