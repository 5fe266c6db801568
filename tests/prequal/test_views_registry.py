"""Browser-side registry: FSPs register SPUs and SPGs; SOs and the NRA read within their scope."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from pyproj import Transformer

from observability.models import ConnectionPoint, SystemOperator
from prequal.models import Spg, SpgMembership, Spu
from tests.factories import (
    ConnectionPointFactory,
    FspFactory,
    MembershipFactory,
    ProductFactory,
    SpgFactory,
    SpgMembershipFactory,
    SpuFactory,
    SystemOperatorFactory,
    make_gsrn,
)
from tests.personas import login
from tests.registry_helpers import spu_form_data

pytestmark = pytest.mark.django_db

STOCKHOLM_LAT, STOCKHOLM_LON = 59.3293, 18.0686


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def _point(cast, zone: str) -> ConnectionPoint:
    return ConnectionPointFactory(connecting_so=cast.local, bidding_zone=zone)


# --- Registering SPUs ------------------------------------------------------------------------


def test_fsp_registers_spu_with_new_connection_point_in_wgs84(client, cast):
    login(client, cast.fsp_a_user)
    gsrn = make_gsrn()
    response = client.post(reverse("prequal:spu-create"), spu_form_data(
        gsrn=gsrn, connecting_so=cast.local.pk, crs="4326", x=str(STOCKHOLM_LON), y=str(STOCKHOLM_LAT),
        voltage_level="lv", bidding_zone="se3",
    ))
    spu = Spu.objects.get(fsp=cast.fsp_a, code="BAT-1")
    assert response.status_code == 302
    assert response.url == reverse("prequal:spu-detail", args=[spu.pk])
    point = spu.connection_point
    assert (point.gsrn, point.connecting_so, point.bidding_zone, point.voltage_level) == (
        gsrn, cast.local, "SE3", "lv"
    )
    assert point.latitude == pytest.approx(STOCKHOLM_LAT, abs=1e-9)
    assert point.longitude == pytest.approx(STOCKHOLM_LON, abs=1e-9)
    assert spu.max_up_kw == Decimal("250.5") and spu.max_down_kw == Decimal("100")

    page = client.get(response.url)
    assert page.status_code == 200
    assert "SPU BAT-1 registered" in " ".join(_messages(page))
    assert gsrn in page.content.decode()


def test_fsp_registers_spu_with_new_connection_point_in_sweref99_tm(client, cast):
    # The point is projected independently here (WGS84 → SWEREF99 TM); the app must invert it.
    easting, northing = Transformer.from_crs(4326, 3006, always_xy=True).transform(
        STOCKHOLM_LON, STOCKHOLM_LAT
    )
    assert 670_000 < easting < 680_000 and 6_575_000 < northing < 6_585_000
    login(client, cast.fsp_a_user)
    response = client.post(reverse("prequal:spu-create"), spu_form_data(
        connecting_so=cast.local.pk, crs="3006", x=f"{easting:.3f}", y=f"{northing:.3f}",
        voltage_level="mv", bidding_zone="SE3",
    ))
    assert response.status_code == 302
    point = Spu.objects.get(code="BAT-1").connection_point
    assert point.latitude == pytest.approx(STOCKHOLM_LAT, abs=1e-6)
    assert point.longitude == pytest.approx(STOCKHOLM_LON, abs=1e-6)


def test_fsp_registers_spu_at_existing_connection_point(client, cast):
    point = ConnectionPointFactory(connecting_so=cast.local)
    login(client, cast.fsp_a_user)
    response = client.post(reverse("prequal:spu-create"), spu_form_data(gsrn=point.gsrn))
    assert response.status_code == 302
    assert Spu.objects.get(code="BAT-1").connection_point == point
    assert ConnectionPoint.objects.count() == 1


def test_existing_point_with_another_connecting_so_is_refused_on_that_field(client, cast):
    point = ConnectionPointFactory(connecting_so=cast.local)
    login(client, cast.fsp_a_user)
    response = client.post(reverse("prequal:spu-create"), spu_form_data(
        gsrn=point.gsrn, connecting_so=cast.other_local.pk
    ))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "is registered with Local DSO, not Other local DSO" in errors["connecting_so"][0]
    assert not Spu.objects.exists()
    assert ConnectionPoint.objects.get().connecting_so == cast.local


def test_new_point_without_its_details_names_every_missing_field(client, cast):
    login(client, cast.fsp_a_user)
    response = client.post(reverse("prequal:spu-create"), spu_form_data(connecting_so=cast.local.pk))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) >= {"x", "y", "voltage_level", "bidding_zone"}
    assert "Needed to register the new connection point" in errors["x"][0]
    assert "was not registered" in " ".join(_messages(response))
    assert not ConnectionPoint.objects.exists() and not Spu.objects.exists()


def test_new_point_without_connecting_so_asks_for_it(client, cast):
    login(client, cast.fsp_a_user)
    response = client.post(reverse("prequal:spu-create"), spu_form_data(
        x="18", y="59", voltage_level="lv", bidding_zone="SE3"
    ))
    assert "choose its connecting system operator" in response.context["form"].errors["connecting_so"][0]
    assert not ConnectionPoint.objects.exists()


def test_bad_gsrn_check_digit_is_explained(client, cast):
    login(client, cast.fsp_a_user)
    good = make_gsrn()
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    response = client.post(reverse("prequal:spu-create"), spu_form_data(gsrn=bad))
    assert f"wrong GSRN check digit: expected {good[-1]}" in response.context["form"].errors["gsrn"][0]


def test_duplicate_code_rolls_back_the_new_point(client, cast):
    SpuFactory(fsp=cast.fsp_a, code="BAT-1", connection_point=_point(cast, "SE3"))
    points_before = ConnectionPoint.objects.count()
    login(client, cast.fsp_a_user)
    response = client.post(reverse("prequal:spu-create"), spu_form_data(
        connecting_so=cast.local.pk, x="18", y="59", voltage_level="lv", bidding_zone="SE3",
    ))
    assert response.status_code == 200
    assert "already has an SPU with the code BAT-1" in response.context["form"].errors["code"][0]
    assert ConnectionPoint.objects.count() == points_before
    assert Spu.objects.filter(fsp=cast.fsp_a).count() == 1


def test_coordinates_outside_the_crs_are_refused(client, cast):
    login(client, cast.fsp_a_user)
    response = client.post(reverse("prequal:spu-create"), spu_form_data(
        connecting_so=cast.local.pk, crs="4326", x="200", y="59", voltage_level="lv", bidding_zone="SE3",
    ))
    assert response.status_code == 200
    assert "outside EPSG:4326" in str(response.context["form"].errors)
    assert not ConnectionPoint.objects.exists()


def test_user_of_two_fsps_chooses_which_one(client, cast):
    from accounts.models import Membership

    MembershipFactory(user=cast.fsp_a_user, organisation=cast.fsp_b.organisation,
                      role=Membership.Role.FSP_USER)
    third = FspFactory()
    point = ConnectionPointFactory(connecting_so=cast.local)
    login(client, cast.fsp_a_user)
    assert "fsp" in client.get(reverse("prequal:spu-create")).context["form"].fields

    response = client.post(reverse("prequal:spu-create"), spu_form_data(gsrn=point.gsrn, fsp=third.pk))
    assert "fsp" in response.context["form"].errors  # not one of theirs
    response = client.post(reverse("prequal:spu-create"), spu_form_data(gsrn=point.gsrn, fsp=cast.fsp_b.pk))
    assert response.status_code == 302
    assert Spu.objects.get(code="BAT-1").fsp == cast.fsp_b


# --- Editing and deactivating ------------------------------------------------------------------


def test_fsp_edits_spu(client, cast, registry):
    spu = registry["spu_a"]
    login(client, cast.fsp_a_user)
    form = client.get(reverse("prequal:spu-edit", args=[spu.pk])).context["form"]
    assert form.initial["gsrn"] == spu.connection_point.gsrn
    response = client.post(reverse("prequal:spu-edit", args=[spu.pk]), {
        "name": "Renamed", "technology": Spu.Technology.EV_CHARGING, "max_up_kw": "42",
        "max_down_kw": "7.125", "gsrn": spu.connection_point.gsrn,
    })
    assert response.status_code == 302
    spu.refresh_from_db()
    assert (spu.name, spu.technology, spu.max_up_kw, spu.max_down_kw) == (
        "Renamed", "ev_charging", Decimal("42"), Decimal("7.125")
    )


def test_edit_to_unregistered_point_is_refused(client, cast, registry):
    spu = registry["spu_a"]
    login(client, cast.fsp_a_user)
    gsrn = make_gsrn()
    response = client.post(reverse("prequal:spu-edit", args=[spu.pk]), {
        "name": "x", "technology": "battery", "max_up_kw": "1", "max_down_kw": "1", "gsrn": gsrn,
    })
    assert response.status_code == 200
    assert f"No connection point {gsrn} is registered" in response.context["form"].errors["gsrn"][0]
    spu.refresh_from_db()
    assert spu.name == "Alpha battery"


def test_edit_with_no_capacity_lands_on_the_field(client, cast, registry):
    spu = registry["spu_a"]
    login(client, cast.fsp_a_user)
    response = client.post(reverse("prequal:spu-edit", args=[spu.pk]), {
        "name": "x", "technology": "battery", "max_up_kw": "0", "max_down_kw": "0",
        "gsrn": spu.connection_point.gsrn,
    })
    assert "must offer some capacity" in response.context["form"].errors["max_up_kw"][0]
    spu.refresh_from_db()
    assert spu.max_up_kw == Decimal("500")


def test_fsp_deactivates_spu_and_its_memberships_end(client, cast, registry):
    spu = registry["spu_a"]
    login(client, cast.fsp_a_user)
    response = client.post(reverse("prequal:spu-deactivate", args=[spu.pk]))
    assert response.status_code == 302
    spu.refresh_from_db()
    assert not spu.is_active and spu.deactivated_at is not None
    registry["membership_a"].refresh_from_db()
    assert registry["membership_a"].valid_to is not None
    # A deactivated unit cannot be edited any more.
    response = client.get(reverse("prequal:spu-edit", args=[spu.pk]), follow=True)
    assert "deactivated" in " ".join(_messages(response))


def test_deactivate_needs_post(client, cast, registry):
    login(client, cast.fsp_a_user)
    assert client.get(reverse("prequal:spu-deactivate", args=[registry["spu_a"].pk])).status_code == 405
    assert Spu.objects.get(pk=registry["spu_a"].pk).is_active


# --- SPGs and memberships ----------------------------------------------------------------------


def test_fsp_creates_spg(client, cast):
    login(client, cast.fsp_a_user)
    response = client.post(
        reverse("prequal:spg-create"), {"code": "G1", "name": "Group", "bidding_zone": "se4"}
    )
    spg = Spg.objects.get(fsp=cast.fsp_a, code="G1")
    assert response.url == reverse("prequal:spg-detail", args=[spg.pk])
    assert spg.bidding_zone == "SE4"


def test_spg_bad_bidding_zone_is_explained(client, cast):
    login(client, cast.fsp_a_user)
    response = client.post(
        reverse("prequal:spg-create"), {"code": "G1", "name": "Group", "bidding_zone": "3"}
    )
    assert "expected a country code and zone" in response.context["form"].errors["bidding_zone"][0]
    assert not Spg.objects.exists()


def test_fsp_edits_and_deactivates_spg(client, cast, registry):
    spg = registry["spg_a"]
    login(client, cast.fsp_a_user)
    assert client.post(reverse("prequal:spg-edit", args=[spg.pk]), {"name": "New name"}).status_code == 302
    spg.refresh_from_db()
    assert spg.name == "New name"
    assert client.post(reverse("prequal:spg-deactivate", args=[spg.pk])).status_code == 302
    spg.refresh_from_db()
    assert not spg.is_active
    registry["membership_a"].refresh_from_db()
    assert registry["membership_a"].valid_to is not None


def test_fsp_adds_member_with_local_times(client, cast, registry):
    spg = registry["spg_a"]
    spu = SpuFactory(fsp=cast.fsp_a, connection_point=_point(cast, "SE3"))
    login(client, cast.fsp_a_user)
    detail = client.get(reverse("prequal:spg-detail", args=[spg.pk]))
    picker = detail.context["add_form"].fields["spu"]
    assert spu in picker.lookup.scope(picker.user, picker.params)

    response = client.post(reverse("prequal:spg-member-add", args=[spg.pk]), {
        "spu": spu.pk, "valid_from": "2027-01-15T08:00", "valid_to": "2027-07-15T08:00",
    })
    assert response.status_code == 302
    membership = SpgMembership.objects.get(spg=spg, spu=spu)
    # Entered in Europe/Stockholm: UTC+1 in winter, UTC+2 in summer.
    assert membership.valid_from == datetime(2027, 1, 15, 7, 0, tzinfo=UTC)
    assert membership.valid_to == datetime(2027, 7, 15, 6, 0, tzinfo=UTC)
    page = client.get(reverse("prequal:spg-detail", args=[spg.pk])).content.decode()
    assert "2027-01-15 08:00" in page and "2027-07-15 08:00" in page


def test_member_in_another_bidding_zone_is_refused(client, cast, registry):
    spg = registry["spg_a"]
    se4 = SpuFactory(fsp=cast.fsp_a, connection_point=_point(cast, "SE4"))
    login(client, cast.fsp_a_user)
    picker = client.get(reverse("prequal:spg-detail", args=[spg.pk])).context["add_form"].fields["spu"]
    assert se4 not in picker.lookup.scope(picker.user, picker.params)
    response = client.post(reverse("prequal:spg-member-add", args=[spg.pk]), {"spu": se4.pk})
    assert response.status_code == 400
    assert "The member was not added" in " ".join(_messages(response))
    assert "active SPUs in bidding zone SE3" in response.context["add_form"].errors["spu"][0]
    assert not SpgMembership.objects.filter(spu=se4).exists()


def test_other_fsps_spu_cannot_be_added(client, cast, registry):
    login(client, cast.fsp_a_user)
    response = client.post(reverse("prequal:spg-member-add", args=[registry["spg_a"].pk]),
                           {"spu": registry["spu_b"].pk})
    assert response.status_code == 400
    assert not SpgMembership.objects.filter(spu=registry["spu_b"]).exists()


def test_overlapping_membership_is_refused(client, cast, registry):
    spg, spu = registry["spg_a"], registry["spu_a"]  # already a member from now on, open-ended
    login(client, cast.fsp_a_user)
    response = client.post(reverse("prequal:spg-member-add", args=[spg.pk]), {
        "spu": spu.pk, "valid_from": "2030-01-01T00:00",
    })
    assert response.status_code == 400
    assert "already a member of this group then" in response.context["add_form"].errors["valid_from"][0]
    assert SpgMembership.objects.filter(spg=spg, spu=spu).count() == 1


def test_membership_ending_before_it_starts_is_refused(client, cast, registry):
    spu = SpuFactory(fsp=cast.fsp_a, connection_point=_point(cast, "SE3"))
    login(client, cast.fsp_a_user)
    response = client.post(reverse("prequal:spg-member-add", args=[registry["spg_a"].pk]), {
        "spu": spu.pk, "valid_from": "2030-01-02T00:00", "valid_to": "2030-01-01T00:00",
    })
    assert response.status_code == 400
    assert "must end after it starts" in response.context["add_form"].errors["valid_to"][0]
    assert not SpgMembership.objects.filter(spu=spu).exists()


def test_fsp_ends_membership(client, cast, registry):
    spg, membership = registry["spg_a"], registry["membership_a"]
    SpgMembership.objects.filter(pk=membership.pk).update(valid_from=datetime(2026, 1, 1, tzinfo=UTC))
    login(client, cast.fsp_a_user)
    url = reverse("prequal:spg-member-end", args=[spg.pk, membership.pk])
    response = client.post(url, {"at": ""}, follow=True)
    assert "has ended" in " ".join(_messages(response))
    membership.refresh_from_db()
    assert membership.valid_to is not None and membership.valid_to <= timezone.now()
    # Ending it again says so and changes nothing.
    ended_at = membership.valid_to
    response = client.post(url, {"at": ""}, follow=True)
    assert "already ended" in " ".join(_messages(response))
    membership.refresh_from_db()
    assert membership.valid_to == ended_at


def test_fsp_ends_membership_at_a_local_time(client, cast, registry):
    spg, membership = registry["spg_a"], registry["membership_a"]
    SpgMembership.objects.filter(pk=membership.pk).update(valid_from=datetime(2026, 1, 1, tzinfo=UTC))
    login(client, cast.fsp_a_user)
    client.post(reverse("prequal:spg-member-end", args=[spg.pk, membership.pk]), {"at": "2031-06-01T00:00"})
    membership.refresh_from_db()
    assert membership.valid_to == datetime(2031, 5, 31, 22, 0, tzinfo=UTC)


def test_membership_of_another_spg_is_404(client, cast, registry):
    other_spg = SpgFactory(fsp=cast.fsp_a)
    login(client, cast.fsp_a_user)
    url = reverse("prequal:spg-member-end", args=[other_spg.pk, registry["membership_a"].pk])
    assert client.post(url).status_code == 404


# --- Lists -------------------------------------------------------------------------------------


def test_spu_list_is_scoped_and_filtered(client, cast, registry):
    SpuFactory(fsp=cast.fsp_a, code="A-OLD", is_active=False, connection_point=registry["cp_a"])
    login(client, cast.fsp_a_user)
    url = reverse("prequal:spu-list")
    codes = lambda response: [s.code for s in response.context["page_obj"]]  # noqa: E731
    assert codes(client.get(url)) == ["A-1"]
    assert codes(client.get(url, {"status": "inactive"})) == ["A-OLD"]
    assert codes(client.get(url, {"status": "all"})) == ["A-1", "A-OLD"]
    assert codes(client.get(url, {"q": "alpha"})) == ["A-1"]
    assert codes(client.get(url, {"q": registry["cp_a"].gsrn[:10], "status": "all"})) == ["A-1", "A-OLD"]
    assert codes(client.get(url, {"technology": "heat_pump"})) == []

    login(client, cast.fsp_b_user)
    assert codes(client.get(url)) == ["B-1"]
    login(client, cast.local_viewer)
    assert codes(client.get(url)) == ["A-1"]
    login(client, cast.nra_analyst)
    assert codes(client.get(url)) == ["A-1", "B-1"]
    login(client, cast.outsider)
    assert codes(client.get(url)) == []


def test_spu_list_paginates_by_50(client, cast):
    point = ConnectionPointFactory(connecting_so=cast.local)
    SpuFactory.create_batch(51, fsp=cast.fsp_a, connection_point=point)
    login(client, cast.fsp_a_user)
    first = client.get(reverse("prequal:spu-list"))
    assert len(first.context["page_obj"]) == 50
    assert len(client.get(reverse("prequal:spu-list"), {"page": 2}).context["page_obj"]) == 1
    assert "?page=2" in first.content.decode()


def test_spg_list_is_scoped(client, cast, registry):
    url = reverse("prequal:spg-list")
    codes = lambda response: [s.code for s in response.context["page_obj"]]  # noqa: E731
    assert codes(login(client, cast.fsp_a_user).get(url)) == ["GA"]
    assert codes(login(client, cast.fsp_b_user).get(url)) == ["GB"]
    assert codes(login(client, cast.local_viewer).get(url)) == ["GA"]
    assert codes(login(client, cast.other_local_engineer).get(url)) == []
    assert codes(login(client, cast.outsider).get(url)) == []
    assert codes(login(client, cast.fsp_a_user).get(url, {"bidding_zone": "se4"})) == []


def test_product_list_for_every_logged_in_user(client, cast):
    ProductFactory(code="mfrr-energy", name="mFRR energy", procuring_so=cast.tso, gate_closure_minutes=45)
    for user in (cast.fsp_a_user, cast.local_viewer, cast.nra_analyst, cast.outsider):
        response = login(client, user).get(reverse("prequal:product-list"))
        assert response.status_code == 200
        body = response.content.decode()
        assert "mFRR energy" in body and "Svenska kraftnät" in body and "45 minutes before delivery" in body


# --- Operators and connection points -----------------------------------------------------------


def test_operator_list_and_tier_filter(client, cast):
    login(client, cast.outsider)
    url = reverse("observability:operator-list")
    names = lambda response: [so.name for so in response.context["page_obj"]]  # noqa: E731
    assert set(names(client.get(url))) >= {"Svenska kraftnät", "Regional DSO", "Local DSO"}
    assert names(client.get(url, {"tier": SystemOperator.Tier.TSO})) == ["Svenska kraftnät"]
    assert cast.tso.eic_code in client.get(url).content.decode()


def test_operator_detail_shows_hierarchy(client, cast):
    login(client, cast.fsp_a_user)
    response = client.get(reverse("observability:operator-detail", args=[cast.regional.pk]))
    assert response.context["upstream_chain"] == [cast.tso]
    assert set(response.context["downstream"]) == {cast.local, cast.other_local}
    response = client.get(reverse("observability:operator-detail", args=[cast.local.pk]))
    assert response.context["upstream_chain"] == [cast.regional, cast.tso]


def test_connection_point_list_is_scoped(client, cast, registry):
    url = reverse("observability:connection-point-list")
    gsrns = lambda response: {cp.gsrn for cp in response.context["page_obj"]}  # noqa: E731
    point, other = registry["cp_a"].gsrn, registry["cp_b"].gsrn
    assert gsrns(login(client, cast.local_viewer).get(url)) == {point}
    assert gsrns(login(client, cast.other_local_engineer).get(url)) == {other}
    assert gsrns(login(client, cast.fsp_a_user).get(url)) == {point}
    assert gsrns(login(client, cast.nra_analyst).get(url)) == {point, other}
    assert gsrns(login(client, cast.nra_analyst).get(url, {"q": other})) == {other}
    assert gsrns(login(client, cast.nra_analyst).get(url, {"bidding_zone": "SE4"})) == set()
    assert gsrns(login(client, cast.outsider).get(url)) == set()


def test_connection_point_detail_shows_only_visible_units(client, cast, registry):
    point = registry["cp_a"]
    SpuFactory(fsp=cast.fsp_b, connection_point=point, code="B-SHARED")
    url = reverse("prequal:connection-point-detail", args=[point.pk])
    codes = lambda response: [s.code for s in response.context["spus"]]  # noqa: E731
    assert codes(login(client, cast.fsp_a_user).get(url)) == ["A-1"]
    assert codes(login(client, cast.fsp_b_user).get(url)) == ["B-SHARED"]
    assert codes(login(client, cast.local_viewer).get(url)) == ["A-1", "B-SHARED"]
    for user in (cast.other_local_engineer, cast.outsider):
        assert login(client, user).get(url).status_code == 404


# --- Query counts -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", [
    "prequal:spu-list", "prequal:spg-list", "observability:connection-point-list",
    "observability:operator-list",
])
def test_list_pages_use_a_constant_number_of_queries(client, cast, name):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add_rows(n: int) -> None:
        for _ in range(n):
            so = SystemOperatorFactory(tier=SystemOperator.Tier.LOCAL_DSO, upstream=cast.regional)
            point = ConnectionPointFactory(connecting_so=so, bidding_zone="SE3")
            spu = SpuFactory(fsp=cast.fsp_a, connection_point=point)
            SpgMembershipFactory(spg=SpgFactory(fsp=cast.fsp_a), spu=spu)

    login(client, cast.nra_analyst)
    add_rows(2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse(name)).status_code == 200
    add_rows(20)
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse(name)).status_code == 200
    assert len(many) == len(few)
