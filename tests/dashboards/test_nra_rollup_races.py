"""Two decisions of one operator's month and outcome at the same moment, each in its own
transaction and connection: both count in the decisions' rollup (INSERT … ON CONFLICT DO UPDATE
adds; neither overwrites the other), also when the row does not exist yet."""

from __future__ import annotations

import pytest
import time_machine

from prequal.models import Assessment, DecisionRollup
from prequal.services.cases import assessment_decide
from tests.dashboards.helpers import local_cases
from tests.dashboards.test_nra_rollup import MOMENTS, SUBMITTED, assert_rollup_is_the_report
from tests.factories import MembershipFactory, UserFactory
from tests.rules.test_r4_deadlines_and_silence_races import run_together

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.mark.parametrize("existing", [False, True], ids=["new row", "existing row"])
def test_two_decisions_at_once_both_count(wf, existing):
    colleague = UserFactory(username="colleague")
    MembershipFactory(user=colleague, organisation=wf.cast.local.organisation, role="so_engineer")
    cases = local_cases(wf, 3, at=SUBMITTED)
    at = MOMENTS[2]
    if existing:
        with time_machine.travel(at, tick=False):
            first = wf.assessment(cases[2], wf.cast.local)
            assessment_decide(user=colleague, assessment=first, outcome="approved")
    pks = [wf.assessment(case, wf.cast.local).pk for case in cases[:2]]

    def job(user, pk):
        return (
            lambda: Assessment.objects.get(pk=pk),
            lambda a: assessment_decide(user=user, assessment=a, outcome="approved"),
        )

    with time_machine.travel(at, tick=False):
        results = run_together(job(wf.cast.local_engineer, pks[0]), job(colleague, pks[1]))
    assert [r[0] for r in results] == ["ok", "ok"], results
    row = DecisionRollup.objects.get(system_operator=wf.cast.local, status="approved")
    assert row.decisions == 2 + existing
    assert_rollup_is_the_report()
