"""The SPU's and SPG's page (issue 15): the prequalification state per product, its conditions in
words and local time, and the active and upcoming limits that bind it; scoped, and read in a
constant number of queries."""

from __future__ import annotations

import re
from datetime import time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from limits.models import TargetKind
from limits.services import limit_create
from prequal.models import Direction
from prequal.selectors.resource_states import resource_product_states
from tests.factories import ProductFactory
from tests.limit_helpers import NOW, START, a_limit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]

WINDOW = {
    "max_up_mw": Decimal("0.3"), "weekdays": [0, 1, 2, 3, 4], "start_time": time(7), "end_time": time(9),
}


def _rows(html: str) -> dict[str, str]:
    """product code → state, from the page's product table."""
    return dict(re.findall(r'data-testid="product-state" data-product="([^"]+)" data-state="([^"]+)"', html))


def test_the_spu_page_shows_each_products_state_conditions_and_limits(grid, client):
    case = grid.prequalify(spu=grid.spu, conditions_by_so={grid.cast.local.pk: [WINDOW]})
    limit = a_limit(grid)
    client.force_login(grid.cast.fsp_a_user)
    with time_machine.travel(NOW, tick=False):
        html = client.get(reverse("prequal:spu-detail", args=[grid.spu.pk])).content.decode()
    assert _rows(html) == {"mfrr-energy": "conditionally_approved", "local-flex": "none"}
    assert reverse("prequal:case-detail", args=[case.pk]) in html
    # The condition in words, in the operator's local time, with its cap.
    conditions = html.split('data-testid="product-condition">')[1].split("</li>")[0]
    assert "07:00" in conditions and "09:00" in conditions and "0.3" in conditions
    # The limit that binds it, in local time (START is 14:00 CEST), and a way to apply for the other.
    assert html.count('data-testid="resource-limit"') == 1
    assert reverse("limits:limit-detail", args=[limit.pk]) in html and "14:00" in html
    assert f"{reverse('prequal:case-create')}?spu={grid.spu.code}" in html


def test_a_limit_on_the_point_or_group_binds_the_unit_and_ended_ones_are_gone(grid, client):
    spg = grid.spg_with_members(members=[grid.spu])
    with time_machine.travel(NOW, tick=False):
        for target in ({"spg": spg, "target_kind": TargetKind.SPG},
                       {"connection_point": grid.cp, "target_kind": TargetKind.CONNECTION_POINT}):
            limit_create(
                user=grid.cast.local_engineer, system_operator=grid.cast.local, direction=Direction.UP,
                quantity_mw=Decimal("0.5"), start=START, end=START + timedelta(hours=2), reason="Works",
                **target,
            )
    client.force_login(grid.cast.fsp_a_user)
    with time_machine.travel(NOW, tick=False):
        spu_page = client.get(reverse("prequal:spu-detail", args=[grid.spu.pk])).content.decode()
        spg_page = client.get(reverse("prequal:spg-detail", args=[spg.pk])).content.decode()
    assert spu_page.count('data-testid="resource-limit"') == 2
    assert spg_page.count('data-testid="resource-limit"') == 2
    with time_machine.travel(START + timedelta(hours=3), tick=False):
        client.force_login(grid.cast.fsp_a_user)
        later = client.get(reverse("prequal:spu-detail", args=[grid.spu.pk])).content.decode()
    assert 'data-testid="resource-limit"' not in later


def test_an_so_sees_only_the_cases_it_may_read(grid, client):
    grid.prequalify(spu=grid.spu, product=grid.local_product)
    client.force_login(grid.cast.local_viewer)
    html = client.get(reverse("prequal:spu-detail", args=[grid.spu.pk])).content.decode()
    assert _rows(html)["local-flex"] == "approved"
    # The viewer cannot apply on the FSP's behalf.
    assert reverse("prequal:case-create") not in html


def test_the_states_read_a_constant_number_of_queries(grid):
    user = grid.cast.fsp_a_user

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            states = resource_product_states(user=user, spu=grid.spu)
        assert states
        return len(ctx.captured_queries)

    grid.prequalify(spu=grid.spu, conditions_by_so={grid.cast.local.pk: [WINDOW]})
    few = count()
    for n in range(3):
        product = ProductFactory(code=f"extra-{n}", procuring_so=grid.cast.tso)
        two = {grid.cast.local.pk: [WINDOW, WINDOW]}
        grid.prequalify(spu=grid.spu, product=product, conditions_by_so=two)
    assert count() == few <= 5
