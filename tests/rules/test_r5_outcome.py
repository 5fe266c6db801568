"""R5 Outcome: the case outcome follows from its assessments as soon as all are decided."""

from __future__ import annotations

from datetime import UTC, datetime

from prequal.models import Assessment, Case, Condition
from tests.workflow_helpers import T0, approve, approve_conditionally, refuse

C = Case.Status
A = Assessment.Status


def test_all_approved_gives_approved_with_a_validity_period(wf, at_t0):
    case = wf.submitted()
    approve(wf.cast.local_engineer, wf.assessment(case, wf.cast.local))
    assert wf.fresh(case).status == C.UNDER_ASSESSMENT  # one still open
    approve(wf.cast.tso_engineer, wf.assessment(case, wf.cast.tso))
    case = wf.fresh(case)
    assert case.status == C.APPROVED
    assert case.decided_at == T0
    assert case.valid_until == datetime(2032, 1, 11, 9, 0, tzinfo=UTC)  # 60 months, same local time
    assert case.events.filter(action="approve", from_state=C.UNDER_ASSESSMENT, actor=None).count() == 1


def test_any_conditional_gives_conditionally_approved_with_the_union_of_conditions(wf):
    case = wf.spg_case()
    approve_conditionally(wf.cast.local_engineer, wf.assessment(case, wf.cast.local))
    approve_conditionally(
        wf.cast.other_local_engineer,
        wf.assessment(case, wf.cast.other_local),
        conditions=[{"max_down_mw": "1.5"}, {"months": [7], "max_up_mw": 0}],
    )
    approve(wf.cast.tso_engineer, wf.assessment(case, wf.cast.tso))
    case = wf.fresh(case)
    assert case.status == C.CONDITIONALLY_APPROVED
    assert Condition.objects.filter(assessment__case=case).count() == 3
    local_condition = Condition.objects.get(assessment__system_operator=wf.cast.local)
    assert local_condition.time_zone == "Europe/Stockholm"
    assert str(local_condition.start_time) == "07:00:00"


def test_any_refusal_gives_not_approved(wf):
    case = wf.spg_case()
    approve_conditionally(wf.cast.local_engineer, wf.assessment(case, wf.cast.local))
    refuse(wf.cast.other_local_engineer, wf.assessment(case, wf.cast.other_local))
    approve(wf.cast.tso_engineer, wf.assessment(case, wf.cast.tso))
    assert wf.fresh(case).status == C.NOT_APPROVED
