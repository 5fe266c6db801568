"""`manage.py demo_data`: the Swedish demo a newcomer gets from `make run`."""

from __future__ import annotations

from datetime import UTC, datetime, time
from io import StringIO

import pytest
import shapely
from django.core.exceptions import ValidationError
from django.core.management import call_command
from shapely.geometry import shape

from accounts.models import Membership, Organisation, User
from accounts.selectors import user_roles
from common.validators import is_valid_eic, is_valid_gsrn, validate_eic
from demo import sweden
from observability.models import ConnectionPoint, SystemOperator
from prequal.models import Fsp, Product, Spg, SpgMembership, Spu
from prequal.services.deadlines import deadline_rule_in_force

DEMO_MODELS = (
    Organisation, User, Membership, SystemOperator, ConnectionPoint, Fsp, Product, Spu, Spg,
    SpgMembership,
)


def run_demo_data() -> str:
    out = StringIO()
    call_command("demo_data", "--force", stdout=out)  # pytest-django runs with DEBUG off
    return out.getvalue()


def snapshot() -> dict[str, list[dict]]:
    """Every row of every demo model, all columns (timestamps and password hashes included)."""
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in DEMO_MODELS}


@pytest.fixture
def demo_db(db):
    run_demo_data()


# --- the data itself (no database) ----------------------------------------------------------


def test_every_operator_and_fsp_has_a_valid_unique_eic():
    codes = [o.eic for o in sweden.OPERATORS] + [f.eic for f in sweden.FSPS]
    for code in codes:
        validate_eic(code)
    assert len(set(codes)) == len(codes)
    assert len({o.name for o in sweden.OPERATORS}) == len(sweden.OPERATORS)


def test_local_service_areas_lie_in_their_regional_and_the_tso_area():
    tso_area = shape(sweden.area_geojson(sweden.TSO))
    for regional in sweden.REGIONAL_DSOS:
        area = shape(sweden.area_geojson(regional))
        assert area.is_valid and area.within(tso_area), regional.name
    for local in sweden.LOCAL_DSOS:
        circle = shape(sweden.area_geojson(local))
        upstream = shape(sweden.area_geojson(sweden.operator(local.upstream)))
        assert circle.is_valid and circle.within(upstream), local.name
        assert circle.within(tso_area), local.name
        # The whole service area lies in the one bidding zone its points get.
        lats = shapely.get_coordinates(circle)[:, 1]
        zones = {sweden.bidding_zone_for_latitude(lat) for lat in (lats.min(), lats.max())}
        assert zones == {local.bidding_zone}, local.name


def test_local_service_areas_do_not_overlap():
    circles = [(o.name, shape(sweden.area_geojson(o))) for o in sweden.LOCAL_DSOS]
    for i, (name_a, a) in enumerate(circles):
        for name_b, b in circles[i + 1:]:
            assert not a.intersects(b), (name_a, name_b)


def test_the_data_is_the_same_on_every_import():
    # Generated from a fixed seed: a fresh interpreter must produce the same points.
    assert sweden._build_points_and_units() == (sweden.CONNECTION_POINTS, sweden.SPUS)
    assert len(sweden.CONNECTION_POINTS) == 40
    assert all(is_valid_gsrn(p.gsrn) and p.gsrn.startswith("735999") for p in sweden.CONNECTION_POINTS)


def test_a_wrong_eic_check_character_would_be_caught():
    # Guards the test above: the validator really looks at the check character.
    code = sweden.TSO.eic
    wrong = code[:15] + ("A" if code[15] != "A" else "B")
    assert is_valid_eic(code) and not is_valid_eic(wrong)


# --- loading ---------------------------------------------------------------------------------


def test_a_second_run_changes_nothing(db):
    first = run_demo_data()
    before = snapshot()
    second = run_demo_data()

    assert snapshot() == before
    assert "(137 created, 0 already there)" in first
    assert "(0 created, 137 already there)" in second
    assert SystemOperator.objects.count() == len(sweden.OPERATORS) == 19
    assert ConnectionPoint.objects.count() == Spu.objects.count() == 40
    assert Product.objects.count() == len(sweden.PRODUCTS)


def test_it_keeps_what_an_admin_changed(db):
    run_demo_data()
    User.objects.filter(username="fsp-volt").update(first_name="Changed")
    Product.objects.filter(code="mfrr-energy").update(gate_closure_minutes=30)

    run_demo_data()

    assert User.objects.get(username="fsp-volt").first_name == "Changed"
    assert Product.objects.get(code="mfrr-energy").gate_closure_minutes == 30


def test_it_creates_nothing_when_one_object_is_refused(db):
    # Someone registered Ellevio's demo EIC for another organisation first.
    Organisation.objects.create(
        name="Someone else", kind=Organisation.Kind.SYSTEM_OPERATOR, eic_code="10XSE-ELLEVIO--0"
    )
    with pytest.raises(ValidationError):
        run_demo_data()
    assert Organisation.objects.count() == 1
    assert not SystemOperator.objects.exists()


def test_it_prints_a_login_for_each_role(db):
    out = run_demo_data()
    for spec in sweden.USERS:
        row = next(line for line in out.splitlines() if line.startswith(spec.username + " "))
        assert sweden.DEMO_PASSWORD in row
        assert (spec.organisation or "-") in row
    assert "http://127.0.0.1:8000/" in out


def test_every_object_passes_its_validators(demo_db):
    for model in DEMO_MODELS:
        for obj in model.objects.all():
            obj.full_clean()


def test_the_operator_hierarchy_is_tso_regional_local(demo_db):
    for spec in sweden.OPERATORS:
        so = SystemOperator.objects.select_related("organisation", "upstream__organisation").get(
            organisation__name=spec.name
        )
        validate_eic(so.eic_code)
        assert so.eic_code == spec.eic
        assert so.tier == spec.tier
        assert (so.upstream.name if so.upstream else None) == spec.upstream
        expected_depth = {"tso": 0, "regional_dso": 1, "local_dso": 2}[spec.tier]
        assert len(so.upstream_chain()) == expected_depth
    assert Organisation.objects.get(name=sweden.REGULATOR_NAME).kind == Organisation.Kind.REGULATOR


def test_products_are_procured_by_the_tso_or_a_regional_dso(demo_db):
    mfrr = Product.objects.get(code="mfrr-energy")
    assert (mfrr.procuring_so.name, mfrr.market_time_unit_minutes, mfrr.gate_closure_minutes) == (
        "Svenska kraftnät", 15, 45
    )
    local = Product.objects.filter(kind=Product.Kind.LOCAL)
    assert {p.procuring_so.tier for p in local} == {SystemOperator.Tier.REGIONAL_DSO}
    assert {p.procuring_so.name for p in local} == {r.name for r in sweden.REGIONAL_DSOS}
    assert {(p.market_time_unit_minutes, p.gate_closure_minutes) for p in local} == {(60, 120)}


def test_products_have_realistic_gate_closures_and_deadline_rules_by_kind(demo_db):
    closures = {
        p.code: (p.gate_closure_minutes, p.gate_closure_days_ahead, p.gate_closure_local_time)
        for p in Product.objects.all()
    }
    # FCR is auctioned days ahead (the D-1 auction at 18:00 is the last), not an hour ahead.
    for code in ("fcr-n", "fcr-d-up", "fcr-d-down"):
        assert closures[code] == (0, 1, time(18, 0)), code
    assert closures["mfrr-capacity"] == (0, 1, time(7, 30))
    assert closures["mfrr-energy"] == (45, None, None)
    assert closures["switch-eon"] == (120, None, None)
    # Reserves cite SO GL Art. 182(3); Sweden's local congestion products a Swedish rule.
    tso = SystemOperator.objects.get(organisation__name="Svenska kraftnät")
    at = datetime(2026, 6, 1, tzinfo=UTC)
    reserves = deadline_rule_in_force(system_operator=tso, at=at, product_kind=Product.Kind.BALANCING)
    local = deadline_rule_in_force(system_operator=tso, at=at, product_kind=Product.Kind.LOCAL)
    assert reserves.legal_basis == "SO GL Art. 182(3)"
    assert (local.jurisdiction, local.product_kind) == ("SE", Product.Kind.LOCAL)
    assert local.legal_basis != reserves.legal_basis


@pytest.mark.parametrize("spec", sweden.USERS, ids=lambda s: s.username)
def test_each_role_can_log_in_and_reach_the_home_page(demo_db, client, spec):
    assert client.login(username=spec.username, password=sweden.DEMO_PASSWORD)
    response = client.get("/")
    assert response.status_code == 200

    user = User.objects.get(username=spec.username)
    roles = user_roles(user=user)
    if spec.role == sweden.PLATFORM_ADMIN:
        assert user.is_superuser and user.is_staff and not user.memberships.exists()
    else:
        membership = user.memberships.select_related("organisation").get()
        assert (membership.role, membership.organisation.name) == (spec.role, spec.organisation)
        assert not user.is_superuser
    assert roles.is_so == (spec.role in ("so_engineer", "so_viewer"))
    assert roles.is_so_engineer == (spec.role == "so_engineer")
    assert roles.is_fsp == (spec.role == "fsp_user")
    assert roles.is_nra == (spec.role == "nra_analyst")


def test_the_roles_cover_every_persona_the_spec_names(demo_db):
    assert {s.role for s in sweden.USERS} == {*Membership.Role.values, sweden.PLATFORM_ADMIN}
    engineers = {s.organisation for s in sweden.USERS if s.role == "so_engineer"}
    tiers = SystemOperator.objects.filter(organisation__name__in=engineers).values_list("tier", flat=True)
    assert set(tiers) == set(SystemOperator.Tier.values)


def test_connection_points_lie_in_their_local_dsos_service_area(demo_db):
    radius = {o.name: o for o in sweden.LOCAL_DSOS}
    points = ConnectionPoint.objects.select_related("connecting_so__organisation")
    assert points.count() == 40
    for point in points:
        op = radius[point.connecting_so.name]
        assert point.connecting_so.tier == SystemOperator.Tier.LOCAL_DSO
        distance = sweden.distance_km(lat1=point.latitude, lon1=point.longitude, lat2=op.lat, lon2=op.lon)
        assert distance <= op.radius_km, (point.gsrn, op.name, distance)
        assert point.bidding_zone == sweden.bidding_zone_for_latitude(point.latitude), point.gsrn
    # Every local DSO has points, and most points are at low or medium voltage.
    assert {p.connecting_so.name for p in points} == set(radius)
    lv_mv = points.filter(voltage_level__in=["lv", "mv"]).count()
    assert lv_mv >= 0.8 * points.count()


def test_each_operator_has_its_bidding_zones_and_its_points_lie_in_them(demo_db):
    """Issue 13: the zones a new point may have are data on the operator (the admin edits them)."""
    zones = {so.pk: so.bidding_zone_list for so in SystemOperator.objects.all()}
    assert all(zones.values())
    assert zones[SystemOperator.objects.get(tier=SystemOperator.Tier.TSO).pk] == ["SE1", "SE2", "SE3", "SE4"]
    for point in ConnectionPoint.objects.all():
        assert point.bidding_zone in zones[point.connecting_so_id], point.gsrn


def test_spus_belong_to_both_fsps_with_capacity(demo_db):
    for fsp in Fsp.objects.all():
        spus = Spu.objects.filter(fsp=fsp)
        assert spus.count() >= 10, fsp
        assert len(set(spus.values_list("technology", flat=True))) >= 3, fsp
    assert not Spu.objects.filter(max_up_kw=0, max_down_kw=0).exists()


def test_each_fsp_has_a_group_in_one_bidding_zone(demo_db):
    for fsp in Fsp.objects.all():
        spg = Spg.objects.get(fsp=fsp)
        memberships = list(spg.memberships.select_related("spu__connection_point", "spu__fsp"))
        assert 3 <= len(memberships) <= 5, spg
        for membership in memberships:
            assert membership.spu.fsp == fsp
            assert membership.spu.connection_point.bidding_zone == spg.bidding_zone, membership
        # Time-bounded: some memberships have ended or will end.
        assert any(m.valid_to is not None for m in memberships), spg
    assert set(Spg.objects.values_list("bidding_zone", flat=True)) == {"SE2", "SE3"}


def test_a_dry_run_counts_and_saves_nothing(db):
    out = StringIO()
    call_command("demo_data", "--dry-run", stdout=out)

    assert "137 would be created, 0 already there" in out.getvalue()
    assert all(not model.objects.exists() for model in DEMO_MODELS)
