"""The number of SQL queries of every list and detail page and API list endpoint does not grow
with the data (SPEC §7, issue 7).

Each test builds a small world, counts the queries of one request, adds several times more
rows of every kind the page shows (cases, assessments per case, conditions, SPUs, SPG members,
limits, audit events, other operators' data), counts again and asserts the same number, and a
sane absolute bound. Detail pages compare a small object with a much larger one of the same
kind and state.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from limits.models import TemporaryLimit
from observability.models import SystemOperator
from prequal.models import Assessment, Case, Spg, Spu
from prequal.services.cases import (
    assessment_decide,
    assessment_declare_incomplete,
    case_create_draft,
    case_submit,
    case_supply_information,
)
from tests.factories import (
    ConnectionPointFactory,
    ProductFactory,
    SpgFactory,
    SpgMembershipFactory,
    SpuFactory,
    SystemOperatorFactory,
)
from tests.personas import Cast
from tests.workflow_helpers import ensure_default_deadline_rule

pytestmark = pytest.mark.django_db

# No page or endpoint needs more than this many queries, whatever the data (sessions, roles,
# the page's rows, its prefetches, filter choices, the nav).
MAX_QUERIES = 20
# The annual report draws every section of R9 on one page: decisions (in a savepoint with its
# planner settings on PostgreSQL: 4 statements more there), limits and refusals per operator and
# month, the register's figures from its rollup and conflicts, the forecasts' publications,
# deadlines, zones and days on time (5), the bell. The operators are read once (the forecasts
# section no longer reads them again). 25 on PostgreSQL, 22 on SQLite; constant whatever the data.
REPORT_MAX_QUERIES = 25

CONDITIONS = [{"max_up_mw": "0.5"}, {"months": [12, 1, 2], "max_down_mw": "0.2"}]


@dataclass
class World:
    """The cast's grid, grown in steps: every step adds some of everything a page shows."""

    cast: Cast
    product: object
    other_product: object
    engineers: dict = field(default_factory=dict)
    steps: int = 0

    def engineer(self, so: SystemOperator):
        user = self.engineers.get(so.pk)
        if user is None:
            from accounts.models import Membership
            from tests.factories import MembershipFactory, UserFactory

            user = UserFactory(username=f"engineer-{so.pk}")
            MembershipFactory(user=user, organisation=so.organisation, role=Membership.Role.SO_ENGINEER)
            self.engineers[so.pk] = user
        return user

    def spu(self, *, fsp=None, so=None) -> Spu:
        return SpuFactory(
            fsp=fsp or self.cast.fsp_a,
            connection_point=ConnectionPointFactory(connecting_so=so or self.cast.local, bidding_zone="SE3"),
        )

    def spg(self, *, operators, fsp=None) -> Spg:
        fsp = fsp or self.cast.fsp_a
        spg = SpgFactory(fsp=fsp, bidding_zone="SE3")
        for so in operators:
            SpgMembershipFactory(spg=spg, spu=self.spu(fsp=fsp, so=so), valid_from=timezone.now())
        return spg

    def submit(self, *, spu=None, spg=None, product=None) -> Case:
        user = self.cast.fsp_a_user if (spu or spg).fsp_id == self.cast.fsp_a.pk else self.cast.fsp_b_user
        case = case_create_draft(user=user, spu=spu, spg=spg, product=product or self.product)
        return case_submit(user=user, case=case)

    def decide(self, case: Case, so: SystemOperator, *, conditions=()) -> None:
        assessment = Assessment.objects.get(case=case, system_operator=so, round=case.round)
        if conditions:
            assessment_decide(
                user=self.engineer(so), assessment=assessment, outcome="conditionally_approved",
                reason="Feeder congestion.", conditions=list(conditions),
            )
        else:
            assessment_decide(user=self.engineer(so), assessment=assessment, outcome="approved")

    def limit(self, *, spu=None, spg=None, so=None) -> TemporaryLimit:
        now = timezone.now()
        return TemporaryLimit.objects.create(
            system_operator=so or self.cast.local,
            target_kind="spu" if spu else "spg",
            spu=spu,
            spg=spg,
            direction="up",
            quantity_mw=Decimal("0.5"),
            start=now + timedelta(days=1),
            end=now + timedelta(days=2),
            reason="Maintenance.",
            created_by=self.engineer(so or self.cast.local),
        )

    def grow(self, n: int = 1) -> None:
        """n more of everything: SPU and SPG cases (open, decided with conditions, incomplete and
        resumed), SPUs, SPG members, limits, and another operator with its own FSP B data."""
        c = self.cast
        for _ in range(n):
            self.steps += 1
            newcomer = SystemOperatorFactory(tier=SystemOperator.Tier.LOCAL_DSO, upstream=c.regional)
            # Open SPU case at the local DSO (local + TSO assess), another for the other product.
            spu = self.spu()
            self.submit(spu=spu)
            self.submit(spu=spu, product=self.other_product)
            # An SPG case at three operators, one of which approved with conditions.
            spg = self.spg(operators=[c.local, c.other_local, newcomer])
            spg_case = self.submit(spg=spg)
            self.decide(spg_case, c.other_local, conditions=CONDITIONS)
            # A decided SPU case with conditions (case list, report).
            decided = self.submit(spu=self.spu())
            for so in Assessment.objects.filter(case=decided).values_list("system_operator", flat=True):
                self.decide(decided, SystemOperator.objects.get(pk=so), conditions=CONDITIONS)
            # A case that went incomplete and back: more audit events.
            bumpy = self.submit(spu=self.spu())
            assessment_declare_incomplete(
                user=c.local_engineer,
                assessment=Assessment.objects.get(case=bumpy, system_operator=c.local),
                missing_information="Single-line diagram.",
            )
            case_supply_information(user=c.fsp_a_user, case=bumpy, information="Attached.")
            # A case waiting for information (the queue's "incomplete" filter).
            stuck = self.submit(spu=self.spu())
            assessment_declare_incomplete(
                user=c.local_engineer,
                assessment=Assessment.objects.get(case=stuck, system_operator=c.local),
                missing_information="Protection settings.",
            )
            # Limits on FSP A's resources.
            self.limit(spu=spu)
            self.limit(spg=spg)
            # Another operator's world: FSP B at the newcomer, its own case and limit.
            other_spu = self.spu(fsp=c.fsp_b, so=newcomer)
            self.submit(spu=other_spu)
            self.limit(spu=other_spu, so=newcomer)
            # An inactive SPU (the "all" filters).
            inactive = self.spu()
            Spu.objects.filter(pk=inactive.pk).update(is_active=False, deactivated_at=timezone.now())


@pytest.fixture
def world(cast) -> World:
    ensure_default_deadline_rule()
    w = World(
        cast=cast,
        product=ProductFactory(code="mfrr-energy", name="mFRR energy", procuring_so=cast.tso),
        other_product=ProductFactory(code="local-flex", name="Local flex", procuring_so=cast.local),
    )
    w.engineers = {
        cast.local.pk: cast.local_engineer,
        cast.other_local.pk: cast.other_local_engineer,
        cast.regional.pk: cast.regional_engineer,
        cast.tso.pk: cast.tso_engineer,
    }
    w.grow(1)
    return w


def _count(client, url: str) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    if os.environ.get("QUERY_COUNTS_PRINT"):  # for docs: QUERY_COUNTS_PRINT=1 pytest -s
        test = os.environ.get("PYTEST_CURRENT_TEST", "").split("::")[-1].split(" ")[0]
        print(f"\nQUERIES {len(queries.captured_queries):3d} {url} {test}")
    return len(queries.captured_queries), response


def _rows(response, *, api: bool) -> int:
    if api:
        body = response.json()
        return len(body["results"]) if isinstance(body, dict) and "results" in body else len(body)
    page = response.context["page_obj"]
    return len(page.object_list)


def _assert_constant(client, url: str, world: World, *, api: bool = False, grow: int = 2) -> None:
    client.get(url)  # warm per-process caches (content types, sessions, lookups)
    small, response = _count(client, url)
    small_rows = _rows(response, api=api)
    world.grow(grow)
    large, response = _count(client, url)
    large_rows = _rows(response, api=api)
    assert large_rows > small_rows, f"{url}: the larger world shows no more rows ({small_rows})"
    assert large == small, f"{url}: {small} queries with {small_rows} rows, {large} with {large_rows}"
    assert large <= MAX_QUERIES, f"{url}: {large} queries"


# --- pages --------------------------------------------------------------------------------------

PAGES = [
    # (url name, query string, persona)
    ("prequal:queue", "", "local_engineer"),
    ("prequal:queue", "", "tso_engineer"),
    ("prequal:queue", "", "local_viewer"),
    ("prequal:queue", "?status=pending", "local_engineer"),
    ("prequal:queue", "?status=incomplete&page=1", "local_engineer"),
    ("prequal:queue", "?product={product}", "local_engineer"),
    ("prequal:queue", "?connecting_so={local}", "tso_engineer"),
    ("prequal:case-list", "", "fsp_a_user"),
    ("prequal:case-list", "?status=under_assessment", "fsp_a_user"),
    ("prequal:case-list", "?product={product}", "fsp_a_user"),
    ("prequal:case-list", "", "local_engineer"),
    ("prequal:case-list", "", "nra_analyst"),
    ("prequal:case-list", "?operator={local}", "nra_analyst"),  # the NRA dashboard's drill-down
    ("prequal:spu-list", "", "fsp_a_user"),
    ("prequal:spu-list", "?status=all", "fsp_a_user"),
    ("prequal:spu-list", "?q=SPU", "fsp_a_user"),
    ("prequal:spu-list", "", "local_engineer"),
    ("prequal:spg-list", "", "fsp_a_user"),
    ("prequal:spg-list", "?status=all", "fsp_a_user"),
    ("prequal:spg-list", "", "other_local_engineer"),
    ("limits:limit-list", "", "local_engineer"),
    ("limits:limit-list", "?status=all", "local_engineer"),
    ("limits:limit-list", "", "fsp_a_user"),
    ("limits:limit-list", "", "nra_analyst"),
    ("observability:connection-point-list", "", "local_engineer"),
    ("observability:operator-list", "", "nra_analyst"),
]


def _url(world: World, name: str, query: str) -> str:
    return reverse(name) + query.format(product=world.product.pk, local=world.cast.local.pk)


@pytest.mark.parametrize(("name", "query", "persona"), PAGES)
def test_list_page_query_count_is_constant(client, world, name, query, persona):
    client.force_login(getattr(world.cast, persona))
    _assert_constant(client, _url(world, name, query), world)


def test_the_report_page_query_count_is_constant(client, world):
    client.force_login(world.cast.nra_analyst)
    url = reverse("reports:report")
    client.get(url)
    small, response = _count(client, url)
    decisions = response.context["decisions"] if "decisions" in response.context else None
    world.grow(2)
    large, _ = _count(client, url)
    assert large == small, (small, large, decisions)
    assert large <= REPORT_MAX_QUERIES


# --- detail pages: a small object against a large one of the same kind and state ---------------


def _new_local_dso(world: World) -> SystemOperator:
    return SystemOperatorFactory(tier=SystemOperator.Tier.LOCAL_DSO, upstream=world.cast.regional)


def _spg_case(world: World, *, operators: int, conditions: int) -> Case:
    c = world.cast
    extra = [_new_local_dso(world) for _ in range(operators)]
    spg = world.spg(operators=[c.local, c.other_local, *extra, *extra])
    case = world.submit(spg=spg)
    # Every non-local assessor approves with `conditions` conditions; the local DSO stays open.
    for assessment in Assessment.objects.filter(case=case).exclude(system_operator=c.local):
        world.decide(case, assessment.system_operator, conditions=CONDITIONS[:1] * conditions)
    return case


def _spu_case(world: World, *, bumps: int) -> Case:
    c = world.cast
    case = world.submit(spu=world.spu())
    for _ in range(bumps):  # incomplete and resumed: more events (R3 allows it once per operator)
        for so in (c.tso,):
            assessment = Assessment.objects.get(case=case, system_operator=so, round=case.round)
            if assessment.incomplete_declared_at is None:
                assessment_declare_incomplete(
                    user=c.tso_engineer, assessment=assessment, missing_information="Diagram."
                )
                case_supply_information(user=c.fsp_a_user, case=case, information="Here.")
    world.decide(case, c.tso, conditions=CONDITIONS[:1] * (1 + 3 * bumps))
    return case


@pytest.mark.parametrize("persona", ["fsp_a_user", "local_engineer", "nra_analyst"])
def test_spg_case_page_query_count_is_constant(client, world, persona):
    client.force_login(getattr(world.cast, persona))
    small_case = _spg_case(world, operators=0, conditions=1)
    small, response = _count(client, reverse("prequal:case-detail", args=[small_case.pk]))
    world.grow(2)
    large_case = _spg_case(world, operators=4, conditions=4)
    large, response = _count(client, reverse("prequal:case-detail", args=[large_case.pk]))
    assert len(response.context["assessments"]) > 3
    assert large == small, (small, large)
    assert large <= MAX_QUERIES


@pytest.mark.parametrize("persona", ["fsp_a_user", "local_engineer", "tso_engineer"])
def test_spu_case_page_query_count_is_constant(client, world, persona):
    client.force_login(getattr(world.cast, persona))
    small_case = _spu_case(world, bumps=0)
    small, _ = _count(client, reverse("prequal:case-detail", args=[small_case.pk]))
    world.grow(2)
    large_case = _spu_case(world, bumps=1)
    large, response = _count(client, reverse("prequal:case-detail", args=[large_case.pk]))
    assert len(response.context["timeline"]) > 3
    assert large == small, (small, large)
    assert large <= MAX_QUERIES


def test_draft_case_page_query_count_is_constant(client, world):
    """The FSP's draft shows who would assess: the preview must not query per member."""
    c = world.cast
    client.force_login(c.fsp_a_user)
    small_draft = case_create_draft(
        user=c.fsp_a_user, spg=world.spg(operators=[c.local]), product=world.product
    )
    small, _ = _count(client, reverse("prequal:case-detail", args=[small_draft.pk]))
    world.grow(1)
    extra = [SystemOperatorFactory(tier=SystemOperator.Tier.LOCAL_DSO, upstream=c.regional) for _ in range(4)]
    large_draft = case_create_draft(
        user=c.fsp_a_user, spg=world.spg(operators=[c.local, *extra, *extra]), product=world.product
    )
    large, response = _count(client, reverse("prequal:case-detail", args=[large_draft.pk]))
    assert len(response.context["preview"]) > 3
    assert large == small, (small, large)
    assert large <= MAX_QUERIES


@pytest.mark.parametrize("persona", ["fsp_a_user", "local_engineer"])
def test_spu_detail_query_count_is_constant(client, world, persona):
    c = world.cast
    client.force_login(getattr(c, persona))
    small_spu = world.spu()
    SpgMembershipFactory(spg=SpgFactory(fsp=c.fsp_a), spu=small_spu)
    small, _ = _count(client, reverse("prequal:spu-detail", args=[small_spu.pk]))
    world.grow(2)
    large_spu = world.spu()
    for _ in range(6):
        SpgMembershipFactory(spg=SpgFactory(fsp=c.fsp_a), spu=large_spu)
    world.submit(spu=large_spu)
    world.limit(spu=large_spu)
    large, response = _count(client, reverse("prequal:spu-detail", args=[large_spu.pk]))
    assert len(response.context["memberships"]) == 6
    assert large == small, (small, large)
    assert large <= MAX_QUERIES


@pytest.mark.parametrize("persona", ["fsp_a_user", "other_local_engineer"])
def test_spg_detail_query_count_is_constant(client, world, persona):
    c = world.cast
    client.force_login(getattr(c, persona))
    small_spg = world.spg(operators=[c.other_local])
    small, _ = _count(client, reverse("prequal:spg-detail", args=[small_spg.pk]))
    world.grow(2)
    extra = [SystemOperatorFactory(tier=SystemOperator.Tier.LOCAL_DSO, upstream=c.regional) for _ in range(3)]
    large_spg = world.spg(operators=[c.other_local, *extra, c.other_local, c.local])
    world.submit(spg=large_spg)
    world.limit(spg=large_spg)
    large, response = _count(client, reverse("prequal:spg-detail", args=[large_spg.pk]))
    assert len(response.context["memberships"]) == 6
    assert large == small, (small, large)
    assert large <= MAX_QUERIES


# --- API list endpoints ---------------------------------------------------------------------------

API_LISTS = [
    ("api:case-list", "", "fsp_a_user"),
    ("api:case-list", "", "local_engineer"),
    ("api:case-list", "", "nra_analyst"),
    ("api:assessment-queue", "", "local_engineer"),
    ("api:assessment-queue", "", "tso_engineer"),
    ("api:assessment-queue", "?status=pending&product={product}", "local_engineer"),
    ("api:spu-list", "", "fsp_a_user"),
    ("api:spu-list", "", "local_engineer"),
    ("api:spg-list", "", "fsp_a_user"),
    ("api:spg-list", "", "nra_analyst"),
    ("api:product-list", "", "fsp_a_user"),
    ("api:limit-list", "", "local_engineer"),
    ("api:limit-list", "", "fsp_a_user"),
    ("api:limit-list", "?status=current", "nra_analyst"),
    ("api:operator-list", "", "fsp_a_user"),
    ("api:connection-point-list", "", "local_engineer"),
    ("api:connection-point-list", "", "nra_analyst"),
    ("api:area-list", "", "nra_analyst"),
]


@pytest.mark.parametrize(("name", "query", "persona"), API_LISTS)
def test_api_list_query_count_is_constant(api_as, world, name, query, persona):
    client = api_as(getattr(world.cast, persona))
    url = _url(world, name, query)
    if name == "api:product-list":
        for _ in range(1):
            ProductFactory(procuring_so=world.cast.tso)
    if name == "api:area-list":
        _grow_areas(world, 1)
    client.get(url)
    small, response = _count(client, url)
    small_rows = _rows(response, api=True)
    world.grow(2)
    if name == "api:product-list":
        for _ in range(4):
            ProductFactory(procuring_so=SystemOperatorFactory(tier=SystemOperator.Tier.TSO))
    if name == "api:area-list":
        _grow_areas(world, 4)
    large, response = _count(client, url)
    large_rows = _rows(response, api=True)
    assert large_rows > small_rows, f"{url}: no more rows in the larger world ({small_rows})"
    assert large == small, f"{url}: {small} queries with {small_rows} rows, {large} with {large_rows}"
    assert large <= MAX_QUERIES


def test_api_spg_members_query_count_is_constant(api_as, world):
    c = world.cast
    client = api_as(c.fsp_a_user)
    small_spg = world.spg(operators=[c.local])
    small, _ = _count(client, reverse("api:spg-members", args=[small_spg.pk]))
    world.grow(1)
    large_spg = world.spg(operators=[c.local] * 6 + [c.other_local] * 2)
    large, response = _count(client, reverse("api:spg-members", args=[large_spg.pk]))
    assert _rows(response, api=True) == 8
    assert large == small, (small, large)


def _grow_areas(world: World, n: int) -> None:
    from shapely.geometry import box

    from tests.factories import make_area

    for i in range(n):
        so = SystemOperatorFactory(tier=SystemOperator.Tier.LOCAL_DSO, upstream=world.cast.regional)
        make_area(system_operator=so, geometry=box(12 + i * 0.1, 57, 12.05 + i * 0.1, 57.05))


def test_area_list_page_query_count_is_constant(client, world):
    client.force_login(world.cast.nra_analyst)
    _grow_areas(world, 1)
    url = reverse("observability:area-list")
    client.get(url)
    small, _ = _count(client, url)
    _grow_areas(world, 4)
    large, _ = _count(client, url)
    assert large == small, (small, large)
    assert large <= MAX_QUERIES


@pytest.mark.parametrize("persona", ["fsp_a_user", "local_engineer"])
def test_api_case_detail_query_count_is_constant(api_as, world, persona):
    client = api_as(getattr(world.cast, persona))
    small_case = _spg_case(world, operators=0, conditions=1)
    small, _ = _count(client, reverse("api:case-detail", args=[small_case.pk]))
    world.grow(1)
    large_case = _spg_case(world, operators=4, conditions=4)
    large, response = _count(client, reverse("api:case-detail", args=[large_case.pk]))
    assert len(response.json()["assessments"]) > 3
    assert large == small, (small, large)
    assert large <= MAX_QUERIES


@pytest.mark.parametrize("persona", ["local_engineer", "fsp_a_user"])
def test_limit_detail_query_count_is_constant(client, world, persona):
    from accounts.models import Membership
    from limits.models import LimitEvent
    from tests.factories import MembershipFactory, UserFactory

    c = world.cast
    client.force_login(getattr(c, persona))

    def limit_with_events(n: int) -> TemporaryLimit:
        limit = world.limit(spu=world.spu())
        for i in range(n):  # each change by another engineer of the local DSO
            actor = UserFactory(username=f"limit-actor-{limit.pk}-{i}")
            MembershipFactory(user=actor, organisation=c.local.organisation, role=Membership.Role.SO_ENGINEER)
            LimitEvent.objects.create(
                limit=limit, action="update" if i else "create", actor=actor,
                before={"quantity_mw": "1"}, after={"quantity_mw": "0.5"},
            )
        return limit

    small, _ = _count(client, reverse("limits:limit-detail", args=[limit_with_events(1).pk]))
    world.grow(1)
    large, response = _count(client, reverse("limits:limit-detail", args=[limit_with_events(6).pk]))
    assert len(response.context["history"]) == 6
    assert large == small, (small, large)
    assert large <= MAX_QUERIES


def test_operator_detail_query_count_is_constant(client, world):
    c = world.cast
    client.force_login(c.nra_analyst)
    small, _ = _count(client, reverse("observability:operator-detail", args=[c.regional.pk]))
    world.grow(3)  # three more local DSOs below the regional one
    large, response = _count(client, reverse("observability:operator-detail", args=[c.regional.pk]))
    assert len(response.context["downstream"]) >= 5
    assert large == small, (small, large)


@pytest.mark.parametrize("persona", ["fsp_a_user", "local_engineer"])
def test_connection_point_detail_query_count_is_constant(client, world, persona):
    c = world.cast
    client.force_login(getattr(c, persona))
    small_spu = world.spu()
    small, _ = _count(
        client, reverse("prequal:connection-point-detail", args=[small_spu.connection_point_id])
    )
    world.grow(1)
    large_spu = world.spu()
    for _ in range(5):
        SpuFactory(fsp=c.fsp_a, connection_point=large_spu.connection_point)
    large, response = _count(
        client, reverse("prequal:connection-point-detail", args=[large_spu.connection_point_id])
    )
    assert len(response.context["spus"]) == 6
    assert large == small, (small, large)


# --- what the queue's index relies on ------------------------------------------------------------


def test_open_assessments_are_always_of_the_current_round(client, world):
    """The queue reads open assessments without joining the case for its round (an index-only
    count): a material change cancels the open ones before the new round starts."""
    from prequal.services.resources import spu_update

    c = world.cast
    spu = world.spu()
    case = world.submit(spu=spu)
    world.decide(case, c.tso)
    spu_update(user=c.fsp_a_user, spu=spu, max_up_kw=Decimal("900"))

    case.refresh_from_db()
    assert case.round == 2
    assert not Assessment.objects.filter(case=case, round=1, status__in=Assessment.OPEN).exists()
    assert Assessment.objects.filter(status__in=Assessment.OPEN).exclude(round=1).count() == 2
    for user, expected in ((c.local_engineer, 1), (c.tso_engineer, 1)):
        client.force_login(user)
        rows = [a for a in client.get(reverse("prequal:queue")).context["page_obj"] if a.case_id == case.pk]
        assert [(a.round, a.status) for a in rows] == [(2, "pending")] * expected
