"""Who may ask the activation check about what, and what of the answer they read (SPEC §4: "the
activation check answers a caller only for its own SO, and only where that SO procures the
product or assesses the resource"; names and reasons of other organisations only where §4 lets
the caller read them). limits/activation/access.py holds the rule.

On the grid (tests/grid.py) FSP A's SPU BAT-1 sits in the local DSO's area; mFRR energy is
procured by the TSO. Its mFRR case is assessed by the local DSO (connecting, area) and the TSO
(procuring); the other local DSO and the regional DSO assess nothing.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from lxml import html

from limits.activation.access import NRA, SO, ActivationCaller
from limits.models import MarketPlatformClient
from prequal.models import Condition
from tests.factories import UserFactory
from tests.limit_helpers import a_limit, check_body, check_page_query

URL = "/api/activation-check/"


def _platform(registered):
    user = UserFactory(username="platform-" + "-".join(str(so.pk) for so in registered))
    MarketPlatformClient.objects.create(user=user, name="Platform").system_operators.add(*registered)
    return user


def _ask(api_as, user, grid, so, **overrides):
    return api_as(user).post(URL, check_body(grid, system_operator=so.organisation.eic_code, **overrides))


# (who asks, as which operator, the answer): the case is decided (approved by everyone).
DECIDED = [
    ("local_engineer", "local", 200),  # its own operator, which assesses the case
    ("local_viewer", "local", 200),  # a viewer reads what its operator reads
    ("tso_engineer", "tso", 200),  # procures the product (and assesses the case)
    ("local_engineer", "tso", 404),  # not its own operator
    ("other_local_engineer", "other_local", 404),  # neither procures nor assesses
    ("other_local_engineer", "local", 404),  # not its own operator
    ("regional_engineer", "regional", 404),  # upstream, but its area does not cover the point
    ("nra_analyst", "tso", 200),
    ("nra_analyst", "other_local", 404),  # whoever asks: the operator must procure or assess
    ("fsp_a_user", "tso", 200),  # its own resource
    ("fsp_b_user", "tso", 404),  # another FSP's resource
    ("platform:tso", "tso", 200),  # registered for the TSO
    ("platform:tso", "local", 404),  # not registered for the local DSO
    ("platform:", "tso", 404),  # registered for no operator
    ("platform:other_local", "other_local", 404),  # registered, but that operator has no part
]


def _user(grid, who):
    if who.startswith("platform:"):
        names = [name for name in who.split(":")[1].split(",") if name]
        return _platform([getattr(grid.cast, name) for name in names])
    return getattr(grid.cast, who)


@pytest.mark.parametrize(("who", "as_so", "status"), DECIDED)
def test_who_may_ask_as_whom_about_a_decided_case(grid, api_as, who, as_so, status):
    grid.prequalify(spu=grid.spu)
    response = _ask(api_as, _user(grid, who), grid, getattr(grid.cast, as_so))
    assert response.status_code == status, response.json()
    if status == 404:
        assert set(response.json()) == {"detail"}  # nothing of the resource, its case or limits
    else:
        assert response.json()["case"] is not None


@pytest.mark.parametrize(
    ("who", "as_so", "status"),
    [
        ("tso_engineer", "tso", 200),  # the procuring operator hears "no application" (red)
        ("local_engineer", "local", 404),  # no case yet: the local DSO assesses nothing of it
        ("platform:tso", "tso", 200),
    ],
)
def test_without_a_case_only_the_procuring_operator_may_ask(grid, api_as, who, as_so, status):
    response = _ask(api_as, _user(grid, who), grid, getattr(grid.cast, as_so))
    assert response.status_code == status, response.json()
    if status == 200:
        assert response.json()["color"] == "red"


def test_walking_ids_finds_nothing_of_other_resources(grid, api_as):
    """A viewer that asks about every id hears 404 for each resource its operator has no part in."""
    grid.prequalify(spu=grid.spu)
    elsewhere = grid.new_spu(fsp=grid.cast.fsp_b)  # in the local DSO's area, but no case
    grid.prequalify(spu=grid.new_spu(fsp=grid.cast.fsp_b), product=grid.local_product)
    viewer = grid.cast.local_viewer
    for spu_id in (elsewhere.pk, elsewhere.pk + 1000):
        assert _ask(api_as, viewer, grid, grid.cast.local, spu=spu_id).status_code == 404
    assert _ask(api_as, viewer, grid, grid.cast.local, spu=grid.spu.pk).status_code == 200


def test_outsiders_get_403_and_anonymous_401(grid, api_as, api_client):
    assert api_as(grid.cast.outsider).post(URL, check_body(grid)).status_code == 403
    assert api_client.post(URL, check_body(grid)).status_code == 401


# --- what of the answer the caller reads ---------------------------------------------------------


def _limits_answer(api_as, user, grid, so):
    response = _ask(api_as, user, grid, so, quantity_mw="0.8")
    assert response.status_code == 200, response.json()
    return response.json()


def test_another_operators_limit_bounds_the_answer_without_its_reason_or_operator(grid, api_as):
    grid.prequalify(spu=grid.spu)
    limit = a_limit(grid)  # the local DSO's 0.5 MW limit, reason "Maintenance"
    for user in (grid.cast.tso_engineer, _platform([grid.cast.tso])):
        answer = _limits_answer(api_as, user, grid, grid.cast.tso)
        assert (answer["color"], answer["max_quantity_mw"]) == ("yellow", "0.500")
        [shown] = answer["limits"]
        assert (shown["id"], shown["system_operator"], shown["reason"]) == (None, None, None)
        assert Decimal(str(shown["quantity_mw"])) == Decimal("0.5")
        assert not any(limit.reason in reason for reason in answer["reasons"])
        assert not any(f"#{limit.pk}" in reason for reason in answer["reasons"])


@pytest.mark.parametrize("who", ["local_engineer", "nra_analyst", "fsp_a_user"])
def test_the_limits_operator_the_nra_and_the_fsp_read_it_in_full(grid, api_as, who):
    grid.prequalify(spu=grid.spu)
    limit = a_limit(grid)
    as_so = grid.cast.local if who == "local_engineer" else grid.cast.tso
    answer = _limits_answer(api_as, getattr(grid.cast, who), grid, as_so)
    [shown] = answer["limits"]
    assert (shown["id"], shown["system_operator"], shown["reason"]) == (
        limit.pk,
        grid.cast.local.pk,
        "Maintenance",
    )
    assert any("Maintenance" in reason for reason in answer["reasons"])


def test_an_assessing_operator_reads_the_other_assessors_conditions(grid, api_as):
    grid.prequalify(spu=grid.spu, conditions_by_so={grid.cast.local.pk: [{"max_up_mw": Decimal("0.3")}]})
    answer = _ask(api_as, grid.cast.tso_engineer, grid, grid.cast.tso, quantity_mw="0.8").json()
    [condition] = answer["conditions"]
    assert condition["system_operator"] == grid.cast.local.pk and condition["id"] is not None
    assert any(grid.cast.local.organisation.name in reason for reason in answer["reasons"])


def test_an_operator_that_does_not_assess_the_case_reads_only_its_own_conditions(grid):
    """The procuring operator is normally an assessor (R1); should it not be, it reads another
    assessor's conditions by their effect only."""
    mine, theirs = Condition(max_up_mw=Decimal(1)), Condition(max_up_mw=Decimal(1))
    mine.so_id, theirs.so_id = grid.cast.tso.pk, grid.cast.local.pk
    caller = ActivationCaller(kind=SO, so_ids=frozenset({grid.cast.tso.pk}))
    outside = caller.readable(case_assessed=False)
    assert outside.condition(mine) and not outside.condition(theirs)
    assert caller.readable(case_assessed=True).condition(theirs)
    assert ActivationCaller(kind=NRA).readable(case_assessed=False).condition(theirs)


def test_the_page_shows_another_operators_limit_without_its_reason_or_link(grid, client):
    grid.prequalify(spu=grid.spu)
    limit = a_limit(grid)
    client.force_login(grid.cast.tso_engineer)
    response = client.get(reverse("limits:activation-check"), check_page_query(grid, so=grid.cast.tso))
    verdict = response.context["verdict"]
    assert verdict.color == "yellow" and verdict.max_quantity_mw == Decimal("0.5")
    assert not any(limit.reason in str(reason) for reason in verdict.reasons)
    page = html.fromstring(response.content)
    [row] = page.xpath('//*[@id="verdict"]//li[@class="limit"]')
    assert row.xpath(".//a") == []  # no link to a limit the engineer may not open
    assert limit.reason not in row.text_content()
