"""The NRA analyst's year at a glance (issue 15): the annual report's own headline figures for
this year, the change from the year before, and each operator's cases one click away."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from dashboards.selectors_nra import nra_dashboard
from prequal.models import Assessment
from reports.annual import report_for_user
from tests.dashboards.helpers import by_key, counts, listed, local_cases
from tests.personas import login
from tests.workflow_helpers import approve, approve_conditionally, refuse

pytestmark = pytest.mark.django_db

S = Assessment.Status
NOW = datetime(2027, 6, 1, 9, 0, tzinfo=UTC)


def _decide(at: datetime, decide, user, assessment) -> None:
    with time_machine.travel(at, tick=False):
        decide(user, assessment)


@pytest.fixture
def two_years(wf):
    """2026: one refusal and one approval by the local DSO. 2027: the local DSO approves with
    conditions once and refuses twice; the TSO approves one of those cases."""
    old = local_cases(wf, 2, at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    new = local_cases(wf, 3, at=datetime(2027, 3, 1, 9, 0, tzinfo=UTC))
    local, tso = wf.cast.local_engineer, wf.cast.tso_engineer
    _decide(datetime(2026, 4, 1, 9, 0, tzinfo=UTC), refuse, local, wf.assessment(old[0], wf.cast.local))
    _decide(datetime(2026, 4, 1, 9, 0, tzinfo=UTC), approve, local, wf.assessment(old[1], wf.cast.local))
    april_2027 = datetime(2027, 4, 1, 9, 0, tzinfo=UTC)
    _decide(april_2027, approve_conditionally, local, wf.assessment(new[0], wf.cast.local))
    for case in new[1:]:
        _decide(datetime(2027, 4, 2, 9, 0, tzinfo=UTC), refuse, local, wf.assessment(case, wf.cast.local))
    _decide(datetime(2027, 4, 2, 9, 0, tzinfo=UTC), approve, tso, wf.assessment(new[0], wf.cast.tso))
    return new


def test_the_headline_is_the_reports_and_the_change_from_last_year(wf, two_years):
    with time_machine.travel(NOW, tick=False):
        dashboard = nra_dashboard(user=wf.cast.nra_analyst)
        report = report_for_user(user=wf.cast.nra_analyst, year=2027)
    total_row = list(report.table("outcomes").rows())[-1]
    approved, silence, conditional, refused, total = total_row[3:]
    assert dashboard.year == 2027
    assert counts(dashboard.headline) == {
        "decisions": total, S.NOT_APPROVED: refused, S.CONDITIONALLY_APPROVED: conditional,
        S.APPROVED_BY_SILENCE: silence, "limits": 0,
    }
    assert (total, refused, conditional) == (4, 2, 1)
    changes = {f.key: f.change for f in dashboard.headline}
    assert changes == {"decisions": 2, S.NOT_APPROVED: 1, S.CONDITIONALLY_APPROVED: 1,
                       S.APPROVED_BY_SILENCE: 0, "limits": 0}


def test_drill_down_from_an_operator_to_its_cases(wf, two_years, client):
    with time_machine.travel(NOW, tick=False):
        dashboard = nra_dashboard(user=wf.cast.nra_analyst)
        rows = {row.pk: row for row in dashboard.operators}
        assert (rows[wf.cast.local.pk].decisions, rows[wf.cast.local.pk].refused) == (3, 2)
        assert rows[wf.cast.tso.pk].decisions == 1
        assert [row.pk for row in dashboard.operators] == [wf.cast.local.pk, wf.cast.tso.pk]
        login(client, wf.cast.nra_analyst)
        cases = listed(client, rows[wf.cast.local.pk].url)
        assert len(cases) == 5  # every case the local DSO assesses, both years
        html = client.get(reverse("home")).content.decode()
        assert rows[wf.cast.local.pk].url.replace("&", "&amp;") in html
        assert by_key(dashboard.headline, "decisions").url in html


def test_only_analysts_get_the_section(wf):
    for user in (wf.cast.local_engineer, wf.cast.fsp_a_user, wf.cast.admin):
        assert nra_dashboard(user=user) is None
