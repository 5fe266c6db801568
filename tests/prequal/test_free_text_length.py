"""Free text has a limit on every path, with a message giving it (issue 13).

Decisions' reason, justification and explanation and what is missing (10,000 characters);
a withdrawal's reason (2,000). The limits' reason: tests/limits/test_limit_reason_length.py.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from common.text import JUSTIFICATION_MAX_LENGTH, REASON_MAX_LENGTH
from prequal.models import Assessment, CaseEvent
from tests.personas import login
from tests.workflow_helpers import api_url, decide_by_form

pytestmark = pytest.mark.django_db

TOO_LONG = "x" * (JUSTIFICATION_MAX_LENGTH + 1)


def test_an_overlong_justification_over_the_api_is_refused_on_its_field(wf, api_as):
    case = wf.submitted()
    local = wf.assessment(case, wf.cast.local)
    response = api_as(wf.cast.local_engineer).post(api_url("assessment-decide", local.pk), {
        "outcome": "not_approved", "justification": TOO_LONG, "limits_explanation": "Structural",
    }, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["justification"]
    assert "10000" in response.json()["errors"]["justification"][0]
    assert Assessment.objects.get(pk=local.pk).status == Assessment.Status.PENDING


def test_an_overlong_justification_on_the_form_is_refused_with_the_limit(client, wf):
    case = wf.submitted()
    local = wf.assessment(case, wf.cast.local)
    login(client, wf.cast.local_engineer)

    response = decide_by_form(
        client, local, outcome="not_approved", justification=TOO_LONG, limits_explanation="Structural"
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["justification"]
    assert "10000" in form.errors["justification"][0]
    assert Assessment.objects.get(pk=local.pk).status == Assessment.Status.PENDING
    assert not CaseEvent.objects.filter(assessment=local).exists()


def test_the_form_and_the_api_allow_the_same_length(wf, api_as):
    """Exactly the limit is accepted (the form used to stop at 5,000, the API at 10,000)."""
    case = wf.submitted()
    local = wf.assessment(case, wf.cast.local)
    response = api_as(wf.cast.local_engineer).post(api_url("assessment-decide", local.pk), {
        "outcome": "not_approved", "justification": "y" * JUSTIFICATION_MAX_LENGTH,
        "limits_explanation": "Structural",
    }, format="json")
    assert response.status_code == 200, response.json()


def test_an_overlong_withdrawal_reason_is_refused(wf, api_as):
    case = wf.submitted()
    response = api_as(wf.cast.fsp_a_user).post(
        api_url("case-withdraw", case.pk), {"reason": "z" * (REASON_MAX_LENGTH + 1)}, format="json"
    )
    assert response.status_code == 400
    assert "2000" in response.json()["errors"]["reason"][0]


def test_the_models_check_the_limits_too(wf):
    case = wf.submitted()
    local = wf.assessment(case, wf.cast.local)
    field = Assessment._meta.get_field("justification")
    with pytest.raises(ValidationError) as caught:
        field.clean(TOO_LONG, local)
    assert "10000" in caught.value.messages[0]
    event = CaseEvent(case=case, to_state="withdrawn", reason=TOO_LONG)
    with pytest.raises(ValidationError) as caught:
        event.full_clean(exclude=["case", "actor", "assessment"])
    assert "reason" in caught.value.message_dict
