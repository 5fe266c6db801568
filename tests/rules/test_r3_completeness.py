"""R3 Completeness: an assessing SO declares a case incomplete once; the clocks stop until the FSP
supplies the information, and the case is withdrawn when the supplement period ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from common.exceptions import ApplicationError
from prequal.models import Assessment, Case, CaseEvent
from prequal.services.cases import (
    assessment_declare_incomplete,
    case_supply_information,
)
from prequal.services.sweep import deadlines_sweep
from tests.workflow_helpers import T0

C = Case.Status
A = Assessment.Status


def test_incomplete_stops_the_clocks_and_supplying_restarts_them(
    wf, at_t0, django_capture_on_commit_callbacks
):
    case = wf.submitted()
    local = wf.assessment(case, wf.cast.local)
    at_t0.move_to(datetime(2027, 2, 1, 9, 0, tzinfo=UTC))
    with django_capture_on_commit_callbacks(execute=True):
        assessment_declare_incomplete(
            user=wf.cast.local_engineer,
            assessment=local,
            missing_information="Single-line diagram of the site.",
        )
    case = wf.fresh(case)
    assert wf.assessment(case, wf.cast.local).status == A.INCOMPLETE
    assert list(case.assessments.values_list("deadline", flat=True)) == [None, None]
    assert case.supplement_due == datetime(2027, 3, 1, 9, 0, tzinfo=UTC)  # 4 weeks
    assert [m.to[0] for m in mail.outbox if "Information missing" in m.subject] == ["fsp_a_user@example.org"]

    # A stopped clock is not swept, however late.
    at_t0.move_to(datetime(2027, 2, 20, 9, 0, tzinfo=UTC))
    assert deadlines_sweep().silenced == 0

    case_supply_information(user=wf.cast.fsp_a_user, case=case, information="Diagram uploaded.")
    case = wf.fresh(case)
    assert case.supplement_due is None
    assert set(case.assessments.values_list("status", flat=True)) == {A.PENDING}
    # Three months from the completed application, 10:00 Stockholm both times.
    assert set(case.assessments.values_list("deadline", flat=True)) == {
        datetime(2027, 5, 20, 8, 0, tzinfo=UTC)
    }
    with pytest.raises(ApplicationError, match="only once"):
        assessment_declare_incomplete(
            user=wf.cast.local_engineer,
            assessment=wf.assessment(case, wf.cast.local),
            missing_information="More",
        )
    with pytest.raises(ApplicationError, match="No operator is waiting"):
        case_supply_information(user=wf.cast.fsp_a_user, case=case, information="again")


def test_incomplete_needs_a_list_of_what_is_missing(wf):
    case = wf.submitted()
    with pytest.raises(ValidationError) as exc:
        assessment_declare_incomplete(
            user=wf.cast.local_engineer,
            assessment=wf.assessment(case, wf.cast.local),
            missing_information=" ",
        )
    assert "missing_information" in exc.value.message_dict


def test_no_supply_within_the_supplement_period_withdraws_the_case(wf, at_t0):
    case = wf.submitted()
    assessment_declare_incomplete(
        user=wf.cast.local_engineer,
        assessment=wf.assessment(case, wf.cast.local),
        missing_information="Diagram",
    )
    at_t0.move_to(T0 + timedelta(days=28) - timedelta(seconds=1))
    assert deadlines_sweep().withdrawn == 0
    at_t0.move_to(T0 + timedelta(days=28))
    assert deadlines_sweep().withdrawn == 1
    case = wf.fresh(case)
    assert case.status == C.WITHDRAWN
    event = case.events.get(action="withdraw")
    assert (event.actor, event.via) == (None, CaseEvent.Via.DEADLINE)
    assert set(case.assessments.values_list("status", flat=True)) == {A.CANCELLED}
    assert deadlines_sweep().withdrawn == 0
