"""The home page's dashboards and the filtered lists they link to cost a constant number of SQL
queries whatever the data (issue 15, SPEC §7), on the growing world of test_query_counts.py.

Each filtered list is counted on a world where the filter's rows grow: deadlines moved into the
next 7 days or past (as tests/dashboards/helpers.set_deadline does), re-assessments made by a
material change of the SPU (R2), decisions this month, limits changed this week.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from prequal.models import Assessment, Case
from prequal.services.cases.decisions import assessment_apply_silence
from prequal.services.resources import spu_update
from tests.platform import test_query_counts as counts
from tests.workflow_helpers import approve, refuse

pytestmark = pytest.mark.django_db

MAX_QUERIES, World, _count = counts.MAX_QUERIES, counts.World, counts._count
world = counts.world  # the growing world, a fixture here too

S = Assessment.Status
# The home page with one role's dashboard: the session, the roles, the figures' few queries, the nav.
# The NRA's: both years' decisions are one read of the decisions' rollup (two grouped counts over
# the assessments before it): 10.
DASHBOARD_MAX_QUERIES = {"local_engineer": 12, "tso_engineer": 12, "fsp_a_user": 16, "nra_analyst": 10}


def _deadlines(days: float) -> None:
    """Every pending assessment's deadline `days` from now (negative: overdue)."""
    Assessment.objects.filter(status=S.PENDING).update(deadline=timezone.now() + timedelta(days=days))


def _reassess(world: World) -> None:
    """A material change of every active SPU of FSP A with a decided case: back to assessment (R2)."""
    decided = Case.objects.filter(fsp=world.cast.fsp_a, spu__isnull=False, spu__is_active=True,
                                  status__in=[Case.Status.APPROVED, Case.Status.CONDITIONALLY_APPROVED])
    for case in decided.select_related("spu"):
        spu = case.spu
        spu_update(user=world.cast.fsp_a_user, spu=spu, max_up_kw=spu.max_up_kw + Decimal("1"))


def _grow(world: World, shape) -> None:
    world.grow(1)
    shape(world)


def _unchanged(world: World) -> None:
    return None


# (url name, query, persona, what makes the filter's rows grow besides World.grow)
FILTERED = [
    ("prequal:queue", "?due=7d", "local_engineer", lambda w: _deadlines(3)),
    ("prequal:queue", "?overdue=1", "local_engineer", lambda w: _deadlines(-1)),
    ("prequal:queue", "?attention=supplied", "local_engineer", _unchanged),
    ("prequal:queue", "?attention=reassessment", "local_engineer", _reassess),
    *[("prequal:case-list", f"?decided=this-month&outcome={k}", persona, _unchanged)
      for k in (S.CONDITIONALLY_APPROVED,) for persona in ("other_local_engineer", "fsp_a_user")],
    ("limits:limit-list", "?changed=7d", "fsp_a_user", _unchanged),
    ("limits:limit-list", "?status=&changed=7d", "local_engineer", _unchanged),
]


@pytest.mark.parametrize(("name", "query", "persona", "shape"), FILTERED,
                         ids=[f"{n}{q}-{p}" for n, q, p, _s in FILTERED])
def test_a_dashboards_filtered_list_costs_the_same_queries_whatever_the_data(client, world, name, query,
                                                                             persona, shape):
    shape(world)
    client.force_login(getattr(world.cast, persona))
    url = reverse(name) + query
    client.get(url)
    small, response = _count(client, url)
    small_rows = len(response.context["page_obj"].object_list)
    for _ in range(2):
        _grow(world, shape)
    large, response = _count(client, url)
    large_rows = len(response.context["page_obj"].object_list)

    assert large_rows > small_rows, f"{url}: the larger world shows no more rows ({small_rows})"
    assert large == small, f"{url}: {small} queries with {small_rows} rows, {large} with {large_rows}"
    assert large <= MAX_QUERIES


def _decide_open(world: World, outcome: str) -> None:
    """The local DSO decides its open assessments on FSP A's cases this month with `outcome`."""
    local = world.cast.local
    open_ = Assessment.objects.filter(system_operator=local, status=S.PENDING, case__fsp=world.cast.fsp_a)
    for assessment in open_:
        if outcome == S.APPROVED_BY_SILENCE:
            Assessment.objects.filter(pk=assessment.pk).update(deadline=timezone.now() - timedelta(hours=1))
            assessment_apply_silence(assessment=assessment)
        elif outcome == S.NOT_APPROVED:
            refuse(world.cast.local_engineer, assessment)
        else:
            approve(world.cast.local_engineer, assessment)


@pytest.mark.parametrize("outcome", [S.APPROVED, S.NOT_APPROVED, S.APPROVED_BY_SILENCE])
def test_each_outcome_list_of_the_month_costs_the_same_queries(client, world, outcome):
    """The other "decided this month" links (the world itself decides with conditions)."""
    _decide_open(world, outcome)
    client.force_login(world.cast.local_engineer)
    url = reverse("prequal:case-list") + f"?decided=this-month&outcome={outcome}"
    client.get(url)
    small, response = _count(client, url)
    small_rows = len(response.context["page_obj"].object_list)
    world.grow(2)
    _decide_open(world, outcome)
    large, response = _count(client, url)
    large_rows = len(response.context["page_obj"].object_list)

    assert large_rows > small_rows > 0
    assert large == small <= MAX_QUERIES


def _home_queries(client) -> tuple[int, str]:
    count, response = _count(client, reverse("home"))
    return count, response.content.decode()


@pytest.mark.parametrize("persona", ["local_engineer", "tso_engineer", "fsp_a_user", "nra_analyst"])
def test_each_dashboard_costs_the_same_queries_whatever_the_data(client, world, persona):
    section = {"fsp_a_user": "fsp", "nra_analyst": "nra"}.get(persona, "so")
    client.force_login(getattr(world.cast, persona))
    client.get(reverse("home"))
    small, html = _home_queries(client)
    assert f'data-dashboard="{section}"' in html
    world.grow(3)
    _reassess(world)
    _deadlines(3)
    large, html = _home_queries(client)

    assert large == small, f"{persona}: {small} queries, then {large}"
    assert large <= DASHBOARD_MAX_QUERIES[persona], f"{persona}: {large} queries"
