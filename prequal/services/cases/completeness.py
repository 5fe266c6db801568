"""Completeness (R3): an SO declares a case incomplete; the FSP supplies the information."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from common.exceptions import ApplicationError
from prequal.models import Assessment, Case
from prequal.models.texts import Text
from prequal.services.cases._common import (
    DeadlinePassed,
    _lock_case,
    _record,
    _record_transition,
    _require_engineer,
    _require_fsp_member,
    _save,
    _transition,
    deadline_passed_under_lock,
    notify_on_commit,
)
from prequal.services.cases.decisions import assessment_apply_silence
from prequal.services.deadlines import assessment_deadline, supplement_deadline


def assessment_declare_incomplete(*, user, assessment: Assessment, missing_information: str) -> Assessment:
    """An assessing SO declares the case incomplete (once), listing what is missing.

    Every running clock of the case stops; the FSP has the rule's supplement period to
    supply the information, or the sweep withdraws the case. Past the assessment's deadline it
    is approved by silence there and then (R4), and this raises DeadlinePassed.
    """
    _require_engineer(user=user, assessment=assessment)
    missing_information = (missing_information or "").strip()
    if not missing_information:
        raise ValidationError({"missing_information": _("List what is missing from the application.")})
    if assessment.incomplete_declared_at is not None:
        raise ApplicationError(
            _(
                "Your operator has already declared this case incomplete once; "
                "a case may be declared incomplete only once per operator (R3)."
            )
        )
    deadline = _declare_incomplete_locked(
        assessment=assessment, user=user, missing_information=missing_information
    )
    if deadline is not None:
        assessment_apply_silence(assessment=assessment)  # committed before the refusal is raised
        raise DeadlinePassed(deadline)
    return assessment


@transaction.atomic
def _declare_incomplete_locked(*, user, assessment: Assessment, missing_information: str):
    """The declaration, under the case lock; or, changing nothing, the deadline that has passed."""
    case = _lock_case(case=assessment.case)
    now = timezone.now()
    deadline = deadline_passed_under_lock(assessment=assessment, now=now)
    if deadline is not None:
        return deadline
    before = _transition(assessment, "declare_incomplete")
    assessment.incomplete_declared_at = now
    assessment.missing_information = missing_information
    assessment.deadline = None
    _save(assessment, "status", "incomplete_declared_at", "missing_information", "deadline")
    # The other SOs' clocks stop too: the period runs from a complete application.
    case.assessments.filter(round=case.round, status=Assessment.Status.PENDING).update(
        deadline=None, updated_at=now
    )
    if case.supplement_due is None:
        case.information_requested_at = now
        case.supplement_due = supplement_deadline(
            rule=assessment.deadline_rule, start=now, time_zone=assessment.system_operator.time_zone
        )
        _save(case, "information_requested_at", "supplement_due")
    event = _record_transition(
        case=case, action="declare_incomplete", before=before, assessment=assessment,
        actor=user, reason=missing_information, at=now,
    )
    notify_on_commit([event])
    return None


@transaction.atomic
def case_supply_information(*, user, case: Case, information: str) -> Case:
    """The FSP supplies the missing information; every stopped clock restarts from now (R3, R4)."""
    _require_fsp_member(user=user, case=case)
    information = (information or "").strip()
    if not information:
        raise ValidationError({"information": _("Describe the information you supply.")})
    case = _lock_case(case=case)
    if not case.awaits_information:
        raise ApplicationError(_("No operator is waiting for information on this case."))
    now = timezone.now()
    events = [
        _record(
            action="supply_information",
            case=case,
            from_state=case.status,
            to_state=case.status,
            actor=user,
            at=now,
            reason=Text(gettext_noop("Information supplied: %(text)s"), text=information),
        )
    ]
    stopped = case.assessments.filter(round=case.round, status__in=Assessment.OPEN).select_related(
        "system_operator", "deadline_rule"
    )
    for assessment in stopped:
        fields = ["deadline", "clock_started_at"]
        if assessment.status == Assessment.Status.INCOMPLETE:
            before = _transition(assessment, "resume")
            fields.append("status")
            events.append(
                _record_transition(
                    case=case, action="resume", before=before, assessment=assessment, actor=user, at=now,
                    reason=translation.gettext_noop("Information supplied; the clock restarts."),
                )
            )
        assessment.clock_started_at = now
        assessment.deadline = assessment_deadline(
            rule=assessment.deadline_rule, start=now, time_zone=assessment.system_operator.time_zone
        )
        _save(assessment, *fields)
    case.supplement_due = None
    case.information_requested_at = None
    _save(case, "supplement_due", "information_requested_at")
    notify_on_commit(events)
    return case
