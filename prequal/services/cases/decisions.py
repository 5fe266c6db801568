"""Decisions (R5, R6): engineers' decisions, approval by silence, and the case outcome."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from common.exceptions import ApplicationError
from prequal.models import Assessment, Case, CaseEvent, Condition, DeadlineRule, ExcludedMember
from prequal.models.assessments import before_deadline
from prequal.models.texts import Text, reason_fields
from prequal.services.cases._common import (
    CaseChangedMeanwhile,
    DeadlinePassed,
    Via,
    _bulk_write,
    _record_transition,
    _require_engineer,
    _save,
    _transition,
    deadline_passed_under_lock,
    notify_on_commit,
)
from prequal.services.cases.members import exclusions_build
from prequal.services.deadlines import outcome_valid_until
from prequal.services.decision_rollup import decisions_rollup_record


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


DECISION_METHODS = {
    Outcome.APPROVED: "approve",
    Outcome.CONDITIONALLY_APPROVED: "approve_with_conditions",
    Outcome.NOT_APPROVED: "refuse",
}


def _transition_unless_stale(assessment: Assessment, method: str) -> str:
    """_transition, with "changed meanwhile" when the refusal comes from a stale copy."""
    try:
        return _transition(assessment, method)
    except ApplicationError:
        current = Assessment.objects.filter(pk=assessment.pk).values_list("status", flat=True).first()
        if current != assessment.status:  # the copy is stale: someone decided meanwhile
            raise CaseChangedMeanwhile() from None
        raise


def assessment_decide(
    *,
    user,
    assessment: Assessment,
    outcome: str,
    reason: str = "",
    justification: str = "",
    limits_explanation: str = "",
    conditions: Sequence[dict] = (),
    excluded_members: Sequence[int] = (),
) -> Assessment:
    """An engineer of the assessing SO approves, approves with conditions, or refuses (R6).

    For a group, an approval may leave out `excluded_members` (SPU ids of current members;
    prequal.services.cases.members holds that rule).

    `assessment` is the copy the engineer looked at: if the sweep or a colleague decided it
    since, this raises CaseChangedMeanwhile and changes nothing. Past its deadline it is
    approved by silence there and then (R4), and this raises DeadlinePassed.
    """
    _require_engineer(user=user, assessment=assessment)
    fields = {
        "reason": (reason or "").strip(),
        "justification": (justification or "").strip(),
        "limits_explanation": (limits_explanation or "").strip(),
    }
    _check_decision(outcome=outcome, conditions=conditions, **fields)
    built = [
        *_build_conditions(assessment=assessment, conditions=conditions),
        *exclusions_build(
            assessment=assessment, outcome=outcome, spu_ids=excluded_members, reason=fields["reason"]
        ),
    ]
    deadline = _decide_locked(user=user, assessment=assessment, outcome=outcome, built=built, **fields)
    if deadline is not None:
        assessment_apply_silence(assessment=assessment)  # committed before the refusal is raised
        raise DeadlinePassed(deadline)
    return assessment


@transaction.atomic
def _decide_locked(
    *, user, assessment: Assessment, outcome: str, built: list, reason: str, justification: str,
    limits_explanation: str,
) -> datetime | None:
    """The decision, under the case lock; or, changing nothing, the deadline that has passed.

    `built`: the decision's unsaved conditions and excluded members, saved with it."""
    case = Case.objects.select_for_update().get(pk=assessment.case_id)
    now = timezone.now()
    deadline = deadline_passed_under_lock(assessment=assessment, now=now)
    if deadline is not None:
        return deadline
    method = DECISION_METHODS[outcome]
    before = _transition_unless_stale(assessment, method)
    assessment.decided_by = user
    assessment.decided_at = now
    assessment.reason = reason
    assessment.justification = justification
    assessment.limits_explanation = limits_explanation
    _save(assessment, "status", "decided_by", "decided_at", "reason", "justification", "limits_explanation")
    for model in (Condition, ExcludedMember):
        model.objects.bulk_create([row for row in built if isinstance(row, model)])
    events = [
        _record_transition(
            case=case, action=method, before=before, assessment=assessment,
            actor=user, reason=reason or justification, at=now,
        )
    ]
    outcome_events = cases_settle_outcomes(cases=[case], now=now)
    CaseEvent.objects.bulk_create(outcome_events)
    decisions_rollup_record(assessments=[assessment])  # last: its row is locked until the commit
    notify_on_commit(events + outcome_events)
    return None


def silence_event(
    *, assessment: Assessment, before: str, now: datetime, legal_basis: str | None = None
) -> CaseEvent:
    """The unsaved audit row of an approval by silence: no person, the deadline acted."""
    if legal_basis is None:
        legal_basis = assessment.deadline_rule.legal_basis if assessment.deadline_rule_id else "-"
    reason, reason_params = reason_fields(
        Text(gettext_noop("No decision by the deadline (%(basis)s)."), basis=legal_basis)
    )
    return CaseEvent(
        case_id=assessment.case_id,
        assessment=assessment,
        action="apply_silence",
        from_state=before,
        to_state=assessment.status,
        via=Via.DEADLINE,
        at=now,
        reason=reason,
        reason_params=reason_params,
    )


def assessments_apply_silence(
    *, assessments: Sequence[Assessment], now: datetime, rules: Mapping[int, DeadlineRule]
) -> list[CaseEvent]:
    """R4 for pending, due assessments whose case rows are locked: unsaved audit rows.

    The transitions run on each row, then one UPDATE (guarded by the source status) writes
    them all. `rules` maps deadline rule ids to rules, for the legal basis in the audit row.
    One upsert counts them in the decisions' rollup. Called by the deadline sweep with a batch
    and by assessment_apply_silence with one row.
    """
    events = []
    for assessment in assessments:
        before = _transition(assessment, "apply_silence")
        assessment.decided_at = now
        rule = rules.get(assessment.deadline_rule_id)
        events.append(
            silence_event(
                assessment=assessment, before=before, now=now, legal_basis=rule.legal_basis if rule else "-"
            )
        )
    _bulk_write(
        Assessment,
        [a.pk for a in assessments],
        source=Assessment.Status.PENDING,
        status=Assessment.Status.APPROVED_BY_SILENCE,
        decided_at=now,
    )
    decisions_rollup_record(assessments=assessments)
    return events


@transaction.atomic
def assessment_apply_silence(*, assessment: Assessment, now: datetime | None = None) -> bool:
    """Approve one assessment by silence if it is still pending and due. True if applied.

    Idempotent: an assessment decided meanwhile, or not yet due, is left alone.
    """
    now = now or timezone.now()
    case = Case.objects.select_for_update().get(pk=assessment.case_id)
    fresh = Assessment.objects.select_related("deadline_rule").get(pk=assessment.pk)
    if fresh.status != Assessment.Status.PENDING or before_deadline(fresh, at=now):
        return False
    rules = {fresh.deadline_rule_id: fresh.deadline_rule} if fresh.deadline_rule_id else {}
    events = assessments_apply_silence(assessments=[fresh], now=now, rules=rules)
    events += cases_settle_outcomes(cases=[case], now=now, rules=rules)
    CaseEvent.objects.bulk_create(events)
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


def outcome_event(*, case: Case, method: str, before: str, now: datetime) -> CaseEvent:
    """The unsaved audit row of a case reaching its outcome."""
    return CaseEvent(
        case=case,
        action=method,
        from_state=before,
        to_state=case.status,
        via=Via.SYSTEM,
        at=now,
        reason=gettext_noop("All assessments are decided."),
    )


def _rounds(cases: Sequence[Case]) -> dict[int, list[tuple[str, int, str]]]:
    """(status, deadline rule id, SO time zone) of each case's current round, cancelled left out.

    Plain tuples: the sweep reads the rounds of many cases at once.
    """
    rounds = {c.pk: c.round for c in cases}
    siblings: dict[int, list[tuple[str, int, str]]] = defaultdict(list)
    for case_id, round_, status, rule_id, zone in Assessment.objects.filter(
        case__in=list(rounds)
    ).values_list("case_id", "round", "status", "deadline_rule_id", "system_operator__time_zone"):
        if round_ == rounds[case_id] and status != Assessment.Status.CANCELLED:
            siblings[case_id].append((status, rule_id, zone))
    return siblings


def _validity_ends(
    *,
    rows: dict[int, list[tuple[str, int, str]]],
    now: datetime,
    rules: Mapping[int, DeadlineRule] | None,
    valid_until: dict[tuple[int, str], datetime],
) -> dict[int, datetime]:
    """Case id → end of its outcome's validity: the shortest of its decided assessments' rules."""
    decided = {
        case_id: [(rule_id, zone) for status, rule_id, zone in row if status in Assessment.DECIDED]
        for case_id, row in rows.items()
    }
    rules = dict(rules or {})
    missing = {r for keys in decided.values() for r, _ in keys if r not in rules} - {None}
    if missing:
        rules.update(DeadlineRule.objects.in_bulk(missing))
    ends = {}
    for case_id, keys in decided.items():
        for rule_id, zone in keys:
            if (rule_id, zone) not in valid_until:
                valid_until[(rule_id, zone)] = outcome_valid_until(
                    rule=rules[rule_id], decided_at=now, time_zone=zone
                )
        ends[case_id] = min(valid_until[key] for key in keys)
    return ends


def cases_settle_outcomes(
    *,
    cases: Sequence[Case],
    now: datetime,
    rules: Mapping[int, DeadlineRule] | None = None,
    valid_until: dict[tuple[int, str], datetime] | None = None,
) -> list[CaseEvent]:
    """R5 for locked cases: those whose round is fully decided get their outcome.

    Returns the unsaved outcome events; one UPDATE per (outcome, validity end) writes the
    cases. `rules` (rule id → rule) may be partial: missing rules are read in one query.
    `valid_until` caches (rule id, zone) → end of validity for `now` across calls (the sweep).
    Called by the deadline sweep with a batch and by a single decision or silence with one case.
    """
    siblings = _rounds(cases)
    methods = {}
    for case in cases:
        if case.status == Case.Status.UNDER_ASSESSMENT:
            method = outcome_method(status for status, _, _ in siblings[case.pk])
            if method is not None:
                methods[case.pk] = method
    ends = _validity_ends(
        rows={pk: siblings[pk] for pk in methods},
        now=now,
        rules=rules,
        valid_until={} if valid_until is None else valid_until,
    )
    groups: dict[tuple[str, datetime], list[int]] = defaultdict(list)
    events = []
    for case in cases:
        if case.pk not in methods:
            continue
        before = _transition(case, methods[case.pk])
        case.decided_at, case.valid_until = now, ends[case.pk]
        case.previous_outcome, case.previous_decided_at = "", None
        groups[(case.status, case.valid_until)].append(case.pk)
        events.append(outcome_event(case=case, method=methods[case.pk], before=before, now=now))
    for (status, until), pks in groups.items():
        _bulk_write(
            Case,
            pks,
            source=Case.Status.UNDER_ASSESSMENT,
            status=status,
            decided_at=now,
            valid_until=until,
            previous_outcome="",
            previous_decided_at=None,
        )
    return events
