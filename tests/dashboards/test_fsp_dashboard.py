"""The FSP's dashboard (issue 15): what needs its action, its month's decisions, the limits on its
resources, and the resource × product matrix; another FSP's cases never count."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from dashboards import selectors_fsp
from dashboards.selectors_fsp import fsp_dashboard
from prequal.models import Assessment, Case
from prequal.services.cases import assessment_declare_incomplete
from tests.dashboards.helpers import by_key, counts, listed, local_cases
from tests.factories import ProductFactory, SpgFactory
from tests.limit_helpers import NOW as LIMIT_PUBLISHED
from tests.limit_helpers import START, a_limit
from tests.personas import login
from tests.workflow_helpers import approve, approve_conditionally, refuse

pytestmark = pytest.mark.django_db

S = Assessment.Status
NOW = datetime(2027, 2, 20, 9, 0, tzinfo=UTC)


def test_what_needs_the_fsps_action_and_its_decisions(wf, client):
    asked, conditioned, refused, approved = local_cases(wf, 4)
    others = local_cases(wf, 2, fsp=wf.cast.fsp_b)
    local, engineer = wf.cast.local, wf.cast.local_engineer
    with time_machine.travel(NOW - timedelta(days=25), tick=False):  # January 26: last month
        approve_conditionally(engineer, wf.assessment(conditioned, local))
    with time_machine.travel(NOW - timedelta(days=1), tick=False):
        assessment_declare_incomplete(
            user=engineer, assessment=wf.assessment(asked, local), missing_information="Data sheet"
        )
        refuse(engineer, wf.assessment(refused, local))
        approve(engineer, wf.assessment(approved, local))
        approve(wf.cast.tso_engineer, wf.assessment(approved, wf.cast.tso))
        for case in others:
            refuse(engineer, wf.assessment(case, local))
    with time_machine.travel(NOW, tick=False):
        dashboard = fsp_dashboard(user=wf.cast.fsp_a_user)
        assert counts(dashboard.needs_action) == {"information": 1, "conditions": 1, "limits_changed": 0}
        assert counts(dashboard.decided) == {
            S.APPROVED: 1, S.CONDITIONALLY_APPROVED: 0, S.NOT_APPROVED: 1, S.APPROVED_BY_SILENCE: 0,
        }
        login(client, wf.cast.fsp_a_user)

        def cases_listed(figures, key):
            return [c.pk for c in listed(client, by_key(figures, key).url)]

        assert cases_listed(dashboard.needs_action, "information") == [asked.pk]
        assert cases_listed(dashboard.needs_action, "conditions") == [conditioned.pk]
        assert cases_listed(dashboard.decided, S.NOT_APPROVED) == [refused.pk]
        # Two approvals of one case (local DSO and TSO) are one case.
        assert cases_listed(dashboard.decided, S.APPROVED) == [approved.pk]

        other = fsp_dashboard(user=wf.cast.fsp_b_user)
        assert counts(other.decided)[S.NOT_APPROVED] == 2
        assert counts(other.needs_action) == {"information": 0, "conditions": 0, "limits_changed": 0}


def test_the_matrix_shows_each_resources_state_per_product(wf, client):
    second = ProductFactory(code="fcr-n", name="FCR-N", procuring_so=wf.cast.tso)
    [case] = local_cases(wf, 1)
    spg = SpgFactory(fsp=wf.cast.fsp_a, code="G-1", bidding_zone="SE3")
    local_cases(wf, 1, fsp=wf.cast.fsp_b)
    dashboard = fsp_dashboard(user=wf.cast.fsp_a_user)
    assert [p.code for p in dashboard.products] == ["fcr-n", "mfrr-energy"]
    rows = {(row.kind, row.resource.pk): row.cells for row in dashboard.rows}
    assert set(rows) == {("spu", wf.spu.pk), ("spu", case.spu_id), ("spg", spg.pk)}  # FSP A's only
    assert rows[("spu", case.spu_id)] == [None, case]
    assert rows[("spu", wf.spu.pk)] == [None, None] and rows[("spg", spg.pk)] == [None, None]

    html = login(client, wf.cast.fsp_a_user).get(reverse("home")).content.decode()
    assert f'data-state="{Case.Status.UNDER_ASSESSMENT}"' in html
    assert reverse("prequal:case-detail", args=[case.pk]) in html
    assert second.code in html


def test_a_large_portfolio_is_capped_with_a_link(wf, client, monkeypatch):
    monkeypatch.setattr(selectors_fsp, "MATRIX_ROWS", 2)
    local_cases(wf, 3)
    dashboard = fsp_dashboard(user=wf.cast.fsp_a_user)
    assert [row.kind for row in dashboard.rows] == ["spu", "spu"]
    assert dashboard.more_spus and not dashboard.more_spgs
    html = login(client, wf.cast.fsp_a_user).get(reverse("home")).content.decode()
    assert reverse("prequal:spu-list") in html


def test_limits_on_the_fsps_resources(grid, client):
    a_limit(grid)
    fsp_a, fsp_b = grid.cast.fsp_a_user, grid.cast.fsp_b_user
    with time_machine.travel(LIMIT_PUBLISHED + timedelta(hours=1), tick=False):
        dashboard = fsp_dashboard(user=fsp_a)
        assert counts(dashboard.limits) == {"limits_active": 0, "limits_upcoming": 1}
        assert counts(dashboard.needs_action)["limits_changed"] == 1
        login(client, fsp_a)
        [listed_limit] = listed(client, by_key(dashboard.needs_action, "limits_changed").url)
        assert listed_limit.spu_id == grid.spu.pk
        assert counts(fsp_dashboard(user=fsp_b).limits) == {"limits_active": 0, "limits_upcoming": 0}
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        assert counts(fsp_dashboard(user=fsp_a).limits) == {"limits_active": 1, "limits_upcoming": 0}
    with time_machine.travel(LIMIT_PUBLISHED + timedelta(days=8), tick=False):
        dashboard = fsp_dashboard(user=fsp_a)
        assert counts(dashboard.needs_action)["limits_changed"] == 0
        assert listed(client, by_key(dashboard.needs_action, "limits_changed").url) == []


def test_users_of_no_fsp_get_no_section(wf):
    assert fsp_dashboard(user=wf.cast.local_engineer) is None


@pytest.mark.parametrize("language", ["en", "sv"])
def test_the_matrix_heads_name_each_product_in_the_readers_language(wf, client, language):
    ProductFactory(code="fcr-n", name="Frequency containment, normal",
                   name_sv="Frekvenshållning, normaldrift",
                   procuring_so=wf.cast.tso)
    local_cases(wf, 1)
    login(client, wf.cast.fsp_a_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    html = client.get(reverse("home")).content.decode()
    heads = dict(re.findall(
        r'<th scope="col" class="matrix-product" data-product="([^"]+)">(.*?)</th>', html, re.S))
    products = fsp_dashboard(user=wf.cast.fsp_a_user).products
    assert list(heads) == [p.code for p in products]
    for product in products:
        with translation.override(language):
            label = product.label
        assert heads[product.code] == f'{escape(label)} <small class="muted">{product.code}</small>'
    labels = {p.code: (p.name, p.name_sv) for p in products}
    assert labels["fcr-n"][language == "sv"] in heads["fcr-n"]
    assert labels["fcr-n"][language != "sv"] not in heads["fcr-n"]
