"""R6 What each decision must contain: a conditional approval needs conditions and a reason, a
refusal a justification and why temporary limits cannot help; otherwise nothing changes."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from prequal.models import Assessment, Case, CaseEvent, Condition
from prequal.services.cases import (
    assessment_decide,
)
from tests.workflow_helpers import CONDITION, approve_conditionally

C = Case.Status
A = Assessment.Status


@pytest.mark.parametrize(
    ("decision", "errors"),
    [
        ({"outcome": "conditionally_approved", "reason": "Winter peak"}, {"conditions"}),
        ({"outcome": "conditionally_approved", "conditions": [CONDITION]}, {"reason"}),
        ({"outcome": "conditionally_approved"}, {"conditions", "reason"}),
        ({"outcome": "not_approved", "limits_explanation": "Structural"}, {"justification"}),
        ({"outcome": "not_approved", "justification": "Transformer full"}, {"limits_explanation"}),
        (
            {"outcome": "not_approved", "justification": "  ", "limits_explanation": ""},
            {"justification", "limits_explanation"},
        ),
        ({"outcome": "approved", "conditions": [CONDITION]}, {"conditions"}),
        ({"outcome": "maybe"}, {"outcome"}),
        (
            {"outcome": "conditionally_approved", "reason": "x", "conditions": [{"note": "nothing"}]},
            {"conditions"},
        ),
        (
            {
                "outcome": "conditionally_approved",
                "reason": "x",
                "conditions": [{"max_up_mw": 1, "months": [13], "start_time": "07:00"}],
            },
            {"conditions"},
        ),
    ],
)
def test_r6_incomplete_decisions_are_refused_and_change_nothing(wf, decision, errors):
    case = wf.submitted()
    assessment = wf.assessment(case, wf.cast.local)
    events_before = CaseEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        assessment_decide(user=wf.cast.local_engineer, assessment=assessment, **decision)
    assert set(exc.value.message_dict) == errors
    assert wf.fresh(assessment).status == A.PENDING
    assert CaseEvent.objects.count() == events_before
    assert not Condition.objects.exists()


def test_bad_condition_messages_name_the_condition_and_field(wf):
    case = wf.submitted()
    with pytest.raises(ValidationError) as exc:
        approve_conditionally(
            wf.cast.local_engineer,
            wf.assessment(case, wf.cast.local),
            conditions=[CONDITION, {"max_up_mw": 1, "months": [13]}],
        )
    messages = exc.value.message_dict["conditions"]
    assert any(m.startswith("Condition 2: months:") for m in messages), messages
