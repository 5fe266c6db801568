"""Decisions (R5, R6): engineers' decisions, approval by silence, and the case outcome."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.exceptions import ApplicationError
from prequal.models import Assessment, Case, CaseEvent, Condition
from prequal.services.cases._common import (
    CaseChangedMeanwhile,
    Via,
    _record,
    _require_engineer,
    _save,
    _transition,
    notify_on_commit,
)
from prequal.services.deadlines import outcome_valid_until


class Outcome:
    APPROVED = Assessment.Status.APPROVED
    CONDITIONALLY_APPROVED = Assessment.Status.CONDITIONALLY_APPROVED
    NOT_APPROVED = Assessment.Status.NOT_APPROVED
    CHOICES = (APPROVED, CONDITIONALLY_APPROVED, NOT_APPROVED)


CONDITION_FIELDS = (
    "max_up_mw",
    "max_down_mw",
    "months",
    "weekdays",
    "start_time",
    "end_time",
    "valid_from",
    "valid_to",
    "note",
)


def _build_conditions(*, assessment: Assessment, conditions: Sequence[dict]) -> list[Condition]:
    """Unsaved, validated conditions; every bad one reported as "Condition N: field: message"."""
    built, messages = [], []
    for number, data in enumerate(conditions, start=1):
        unknown = set(data) - set(CONDITION_FIELDS)
        if unknown:
            messages.append(
                _("Condition %(n)s: unknown fields %(fields)s.")
                % {"n": number, "fields": ", ".join(sorted(unknown))}
            )
            continue
        values = {k: v for k, v in data.items() if v is not None and v != ""}
        for key in ("months", "weekdays"):
            values[key] = list(values.get(key) or [])
        condition = Condition(assessment=assessment, time_zone=assessment.system_operator.time_zone, **values)
        try:
            condition.full_clean(exclude=["assessment"])
        except ValidationError as exc:
            for field, field_messages in exc.message_dict.items():
                label = field if field != "__all__" else ""
                for message in field_messages:
                    messages.append(
                        _("Condition %(n)s: %(field)s%(message)s")
                        % {"n": number, "field": f"{label}: " if label else "", "message": message}
                    )
        built.append(condition)
    if messages:
        raise ValidationError({"conditions": messages})
    return built


def _check_decision(
    *, outcome: str, reason: str, justification: str, limits_explanation: str, conditions: Sequence
) -> None:
    """R6: what each decision must contain. Raises one message per missing field."""
    errors: dict[str, list[str]] = {}
    if outcome not in Outcome.CHOICES:
        errors["outcome"] = [_("Choose approved, conditionally_approved or not_approved.")]
    elif outcome == Outcome.CONDITIONALLY_APPROVED:
        if not conditions:
            errors["conditions"] = [_("A conditional approval needs at least one condition.")]
        if not reason:
            errors["reason"] = [_("A conditional approval needs a reason.")]
    elif outcome == Outcome.NOT_APPROVED:
        if not justification:
            errors["justification"] = [_("A refusal needs a justification.")]
        if not limits_explanation:
            errors["limits_explanation"] = [
                _("A refusal must explain why temporary limits cannot resolve the issue (NC DR).")
            ]
    if outcome != Outcome.CONDITIONALLY_APPROVED and conditions:
        errors["conditions"] = [_("Only a conditional approval carries conditions.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def assessment_decide(
    *,
    user,
    assessment: Assessment,
    outcome: str,
    reason: str = "",
    justification: str = "",
    limits_explanation: str = "",
    conditions: Sequence[dict] = (),
) -> Assessment:
    """An engineer of the assessing SO approves, approves with conditions, or refuses (R6).

    `assessment` is the copy the engineer looked at: if the sweep or a colleague decided it
    since, this raises CaseChangedMeanwhile and changes nothing.
    """
    _require_engineer(user=user, assessment=assessment)
    reason, justification, limits_explanation = (
        (reason or "").strip(),
        (justification or "").strip(),
        (limits_explanation or "").strip(),
    )
    _check_decision(
        outcome=outcome,
        reason=reason,
        justification=justification,
        limits_explanation=limits_explanation,
        conditions=conditions,
    )
    built = _build_conditions(assessment=assessment, conditions=conditions)
    case = Case.objects.select_for_update().get(pk=assessment.case_id)
    now = timezone.now()
    method = {
        Outcome.APPROVED: "approve",
        Outcome.CONDITIONALLY_APPROVED: "approve_with_conditions",
        Outcome.NOT_APPROVED: "refuse",
    }[outcome]
    try:
        before = _transition(assessment, method)
    except ApplicationError:
        current = Assessment.objects.filter(pk=assessment.pk).values_list("status", flat=True).first()
        if current != assessment.status:  # the copy is stale: someone decided meanwhile
            raise CaseChangedMeanwhile() from None
        raise
    assessment.decided_by = user
    assessment.decided_at = now
    assessment.reason = reason
    assessment.justification = justification
    assessment.limits_explanation = limits_explanation
    _save(assessment, "status", "decided_by", "decided_at", "reason", "justification", "limits_explanation")
    Condition.objects.bulk_create(built)
    events = [
        _record(
            action=method,
            case=case,
            assessment=assessment,
            from_state=before,
            to_state=assessment.status,
            actor=user,
            reason=reason or justification,
            at=now,
        )
    ]
    events += _settle_outcome(case=case, now=now)
    notify_on_commit(events)
    return assessment


def silence_event(
    *, assessment: Assessment, before: str, now: datetime, legal_basis: str | None = None
) -> CaseEvent:
    """The unsaved audit row of an approval by silence: no person, the deadline acted."""
    if legal_basis is None:
        legal_basis = assessment.deadline_rule.legal_basis if assessment.deadline_rule_id else "-"
    return CaseEvent(
        case_id=assessment.case_id,
        assessment=assessment,
        action="apply_silence",
        from_state=before,
        to_state=assessment.status,
        via=Via.DEADLINE,
        at=now,
        reason=_("No decision by the deadline (%(basis)s).") % {"basis": legal_basis},
    )


def _silence(*, assessment: Assessment, now: datetime) -> CaseEvent:
    """Apply approval by silence to a pending, due assessment (case row already locked)."""
    before = _transition(assessment, "apply_silence")
    assessment.decided_at = now
    _save(assessment, "status", "decided_at")
    event = silence_event(assessment=assessment, before=before, now=now)
    event.save()
    return event


@transaction.atomic
def assessment_apply_silence(*, assessment: Assessment, now: datetime | None = None) -> bool:
    """Approve one assessment by silence if it is still pending and due. True if applied.

    Idempotent: an assessment decided meanwhile, or not yet due, is left alone.
    """
    now = now or timezone.now()
    case = Case.objects.select_for_update().get(pk=assessment.case_id)
    fresh = Assessment.objects.select_related("deadline_rule").get(pk=assessment.pk)
    if fresh.status != Assessment.Status.PENDING or fresh.deadline is None or fresh.deadline > now:
        return False
    events = [_silence(assessment=fresh, now=now)]
    events += _settle_outcome(case=case, now=now)
    notify_on_commit(events)
    return True


def outcome_method(statuses: Iterable[str]) -> str | None:
    """R5: the case transition once every assessment of the round is decided, else None.

    Any refusal → not approved; else any conditional → conditionally approved (the union of
    all conditions stays on the assessments); else approved. Silence counts as approval.
    """
    statuses = set(statuses)
    if not statuses or statuses & set(Assessment.OPEN):
        return None
    if Assessment.Status.NOT_APPROVED in statuses:
        return "refuse"
    if Assessment.Status.CONDITIONALLY_APPROVED in statuses:
        return "approve_conditionally"
    if statuses & set(Assessment.DECIDED):
        return "approve"
    return None


def case_outcome(
    *, case: Case, assessments: Sequence[Assessment], now: datetime
) -> tuple[str, datetime] | None:
    """The case transition and the outcome's validity end, or None while undecided (R5).

    The validity ends with the shortest outcome validity of the decided assessments' rules.
    """
    if case.status != Case.Status.UNDER_ASSESSMENT:
        return None
    method = outcome_method(a.status for a in assessments if a.status != Assessment.Status.CANCELLED)
    if method is None:
        return None
    ends = {
        (a.deadline_rule_id, a.system_operator.time_zone): (a.deadline_rule, a.system_operator.time_zone)
        for a in assessments
        if a.is_decided
    }
    valid_until = min(
        outcome_valid_until(rule=rule, decided_at=now, time_zone=zone) for rule, zone in ends.values()
    )
    return method, valid_until


def outcome_event(*, case: Case, method: str, before: str, now: datetime) -> CaseEvent:
    """The unsaved audit row of a case reaching its outcome."""
    return CaseEvent(
        case=case,
        action=method,
        from_state=before,
        to_state=case.status,
        via=Via.SYSTEM,
        at=now,
        reason=_("All assessments are decided."),
    )


def _settle_outcome(*, case: Case, now: datetime) -> list[CaseEvent]:
    """Give the case its outcome if every assessment of the round is decided (case row locked)."""
    assessments = list(
        case.assessments.filter(round=case.round).select_related("deadline_rule", "system_operator")
    )
    result = case_outcome(case=case, assessments=assessments, now=now)
    if result is None:
        return []
    method, valid_until = result
    before = _transition(case, method)
    case.decided_at = now
    case.valid_until = valid_until
    case.previous_outcome = ""
    case.previous_decided_at = None
    _save(case, "status", "decided_at", "valid_until", "previous_outcome", "previous_decided_at")
    event = outcome_event(case=case, method=method, before=before, now=now)
    event.save()
    return [event]
