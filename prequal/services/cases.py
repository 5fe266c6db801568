"""The grid prequalification workflow (SPEC R1–R6): every write to cases and assessments.

Concurrency: every writer locks the case row first (select_for_update; a no-op on SQLite,
where the IMMEDIATE transaction mode serialises writers), then saves the assessment with
ConcurrentTransitionMixin's status-filtered UPDATE. So two engineers, an engineer and the
sweep, or two sweeps, serialise per case: exactly one wins, the other gets
"changed meanwhile" (people) or skips the row (the sweep).

Transitions on the models are side-effect free; the services here call them inside
transaction.atomic(), save, write the CaseEvent audit row, and queue notifications with
transaction.on_commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from accounts.selectors import user_roles
from common.exceptions import ApplicationError
from observability.models import ConnectionPoint, SystemOperator
from observability.resolver import Reason, assessing_sos
from prequal.models import (
    Assessment,
    Case,
    CaseEvent,
    Condition,
    DeadlineRule,
    Fsp,
    Product,
    Spg,
    SpgMembership,
    Spu,
)
from prequal.services.deadlines import (
    assessment_deadline,
    deadline_rule_in_force,
    outcome_valid_until,
    supplement_deadline,
)

Via = CaseEvent.Via
CHANGED_MEANWHILE = gettext_lazy(
    "This case changed meanwhile (someone else acted on it): reload and try again."
)


class CaseChangedMeanwhile(ApplicationError):
    """Another request or the deadline sweep changed the row since the caller loaded it."""

    def __init__(self) -> None:
        super().__init__(str(CHANGED_MEANWHILE))


# --- helpers -------------------------------------------------------------------------------


def _require_fsp_member(*, user, case: Case) -> None:
    if case.fsp.organisation_id not in user_roles(user=user).fsp_org_ids:
        raise PermissionDenied


def _require_engineer(*, user, assessment: Assessment) -> None:
    so_org_id = (
        SystemOperator.objects.filter(pk=assessment.system_operator_id)
        .values_list("organisation_id", flat=True)
        .first()
    )
    if so_org_id not in user_roles(user=user).so_engineer_org_ids:
        raise PermissionDenied


def _lock_case(*, case: Case) -> Case:
    """A fresh, locked copy of the case; "changed meanwhile" if its status moved on."""
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.status != case.status:
        raise CaseChangedMeanwhile()
    return locked


def _save(instance, *fields: str) -> None:
    """Save the given fields; a stale status (ConcurrentTransitionMixin) is "changed meanwhile"."""
    try:
        instance.save(update_fields=[*fields, "updated_at"])
    except ConcurrentTransition as exc:
        raise CaseChangedMeanwhile() from exc


def _record(
    *,
    case: Case,
    action: str,
    to_state: str,
    from_state: str = "",
    assessment: Assessment | None = None,
    actor=None,
    via: str = Via.USER,
    reason: str = "",
    at: datetime | None = None,
) -> CaseEvent:
    if actor is None and via == Via.USER:
        via = Via.SYSTEM
    return CaseEvent.objects.create(
        case=case,
        assessment=assessment,
        actor=actor if via == Via.USER else None,
        via=via,
        action=action,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        at=at or timezone.now(),
    )


def notify_on_commit(events: Iterable[CaseEvent]) -> None:
    """E-mail about these (saved) audit events once the transaction commits."""
    ids = [e.pk for e in events]
    if not ids:
        return
    from prequal.tasks import case_events_notify_task  # tasks import services; import late

    transaction.on_commit(lambda: case_events_notify_task.delay(ids), robust=True)


def _transition(obj, method_name: str) -> str:
    """Call the transition `method_name`; returns the state before. Refusals are user-readable."""
    before = obj.status
    try:
        getattr(obj, method_name)()
    except TransitionNotAllowed as exc:
        raise ApplicationError(
            _("This cannot be done while the %(what)s is %(status)s.")
            % {
                "what": _("case") if isinstance(obj, Case) else _("assessment"),
                "status": obj.get_status_display().lower(),
            }
        ) from exc
    return before


def case_points(*, case: Case, at: datetime | None = None) -> list[ConnectionPoint]:
    """The connection points a case involves: the SPU's, or those of the SPG's current members."""
    # Pages show each point's connecting SO: joined here, not fetched per point.
    points = ConnectionPoint.objects.select_related("connecting_so__organisation")
    if case.spu_id:
        return [points.get(pk=case.spu.connection_point_id)]
    at = at or timezone.now()
    member_spus = (
        SpgMembership.objects.filter(spg_id=case.spg_id)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=at))
        .values("spu__connection_point_id")
    )
    return list(points.filter(pk__in=member_spus).order_by("pk"))


@dataclass
class AssessmentPlan:
    """Who will assess a case and by when, if submitted (or re-opened) at `start`."""

    system_operator: SystemOperator
    reasons: list[str]
    area_version_ids: list[int]
    rule: DeadlineRule
    deadline: datetime


def _plan(*, case: Case, start: datetime) -> list[AssessmentPlan]:
    points = case_points(case=case, at=start)
    if not points:
        raise ValidationError({"spg": _("The SPG has no current members: add SPUs to it before applying.")})
    found = assessing_sos(points=points, procuring_so=case.product.procuring_so, at=start)
    operators = SystemOperator.objects.select_related("organisation").in_bulk(
        [f.system_operator_id for f in found]
    )
    plans = []
    rules: dict[str, DeadlineRule] = {}  # one look-up per country, not per operator
    for entry in found:
        so = operators[entry.system_operator_id]
        country = so.organisation.country
        if country not in rules:
            rules[country] = deadline_rule_in_force(system_operator=so, at=start)
        rule = rules[country]
        plans.append(
            AssessmentPlan(
                system_operator=so,
                reasons=sorted(str(r) for r in entry.reasons),
                area_version_ids=sorted(entry.area_version_ids),
                rule=rule,
                deadline=assessment_deadline(rule=rule, start=start, time_zone=so.time_zone),
            )
        )
    return plans


def _open_round(*, case: Case, start: datetime) -> list[Assessment]:
    """Create the assessments of the case's current round with their clocks running."""
    assessments = []
    for plan in _plan(case=case, start=start):
        assessment = Assessment(
            case=case,
            round=case.round,
            system_operator=plan.system_operator,
            reasons=plan.reasons,
            connects=Reason.CONNECTING in plan.reasons,
            area_version_ids=plan.area_version_ids,
            deadline_rule=plan.rule,
            deadline=plan.deadline,
            clock_started_at=start,
        )
        assessment.save()
        assessments.append(assessment)
    return assessments


# --- drafts (FSP) ---------------------------------------------------------------------------


def _check_resource(
    *, fsp: Fsp, spu: Spu | None, spg: Spg | None, product: Product | None, exclude_case: Case | None = None
) -> None:
    errors: dict[str, list[str]] = {}
    if (spu is None) == (spg is None):
        errors["spu"] = [_("Choose exactly one SPU or one SPG.")]
    resource = spu or spg
    if resource is not None:
        field = "spu" if spu is not None else "spg"
        if resource.fsp_id != fsp.pk:
            errors[field] = [_("%(resource)s belongs to another FSP.") % {"resource": resource}]
        elif not resource.is_active:
            errors[field] = [_("%(resource)s is deactivated.") % {"resource": resource}]
    if product is None:
        errors["product"] = [_("Choose a product.")]
    elif not product.is_active:
        errors["product"] = [_("The product %(product)s is no longer offered.") % {"product": product}]
    if not errors:
        duplicates = Case.objects.filter(product=product, spu=spu, spg=spg).exclude(
            status__in=[Case.Status.WITHDRAWN, Case.Status.EXPIRED]
        )
        if exclude_case is not None:
            duplicates = duplicates.exclude(pk=exclude_case.pk)
        existing = duplicates.first()
        if existing is not None:
            errors["product"] = [
                _(
                    "%(resource)s already has case #%(case)s for %(product)s (%(status)s); "
                    "apply again only after it is withdrawn or expired."
                )
                % {
                    "resource": resource,
                    "case": existing.pk,
                    "product": product,
                    "status": existing.get_status_display().lower(),
                }
            ]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def case_create_draft(
    *, user, product: Product, spu: Spu | None = None, spg: Spg | None = None, fsp: Fsp | None = None
) -> Case:
    """A draft application of one SPU or one SPG for one product. Nothing is sent yet."""
    from prequal.services.resources import fsp_for_user

    fsp = fsp_for_user(user=user, fsp=fsp or getattr(spu or spg, "fsp", None))
    _check_resource(fsp=fsp, spu=spu, spg=spg, product=product)
    case = Case(fsp=fsp, spu=spu, spg=spg, product=product, created_by=user)
    case.full_clean(exclude=["status"])
    case.save()
    return case


_UNSET = object()


@transaction.atomic
def case_update_draft(*, user, case: Case, product=_UNSET, spu=_UNSET, spg=_UNSET) -> Case:
    """Change a draft's resource or product. Only drafts can be edited."""
    _require_fsp_member(user=user, case=case)
    case = _lock_case(case=case)
    if case.status != Case.Status.DRAFT:
        raise ApplicationError(
            _("Only a draft can be edited; this case is %(status)s.")
            % {"status": case.get_status_display().lower()}
        )
    if spu is not _UNSET or spg is not _UNSET:
        case.spu = None if spu is _UNSET else spu
        case.spg = None if spg is _UNSET else spg
    if product is not _UNSET:
        case.product = product
    _check_resource(fsp=case.fsp, spu=case.spu, spg=case.spg, product=case.product, exclude_case=case)
    _save(case, "spu", "spg", "product")
    return case


@transaction.atomic
def case_delete_draft(*, user, case: Case) -> None:
    _require_fsp_member(user=user, case=case)
    case = _lock_case(case=case)
    if case.status != Case.Status.DRAFT:
        raise ApplicationError(_("Only a draft can be deleted; withdraw a submitted case instead."))
    case.delete()


def case_preview_assessing_sos(*, case: Case, at: datetime | None = None) -> list[AssessmentPlan]:
    """Who would assess the case and by when if it were submitted at `at` (now). Writes nothing."""
    return _plan(case=case, start=at or timezone.now())


# --- submission and withdrawal (FSP) -------------------------------------------------------


@transaction.atomic
def case_submit(*, user, case: Case) -> Case:
    """Submit a draft: one assessment per assessing SO (R1), each with its deadline (R4)."""
    _require_fsp_member(user=user, case=case)
    case = _lock_case(case=case)
    _check_resource(fsp=case.fsp, spu=case.spu, spg=case.spg, product=case.product, exclude_case=case)
    now = timezone.now()
    events = []
    before = _transition(case, "submit")
    case.submitted_at = now
    case.round = 1
    _save(case, "status", "submitted_at", "round")
    events.append(
        _record(action="submit", case=case, from_state=before, to_state=case.status, actor=user, at=now)
    )
    _open_round(case=case, start=now)
    before = _transition(case, "open_assessment")
    _save(case, "status")
    events.append(
        _record(
            action="open_assessment",
            case=case,
            from_state=before,
            to_state=case.status,
            via=Via.SYSTEM,
            at=now,
            reason=_("Assessments opened for %(sos)s.")
            % {"sos": ", ".join(str(a.system_operator) for a in case.assessments.filter(round=case.round))},
        )
    )
    notify_on_commit(events)
    return case


def _cancel_open_assessments(*, case: Case, reason: str, actor=None, via: str, now: datetime) -> list:
    events = []
    for assessment in case.assessments.filter(status__in=Assessment.OPEN).order_by("pk"):
        before = _transition(assessment, "cancel")
        assessment.deadline = None
        _save(assessment, "status", "deadline")
        events.append(
            _record(
                action="cancel",
                case=case,
                assessment=assessment,
                from_state=before,
                to_state=assessment.status,
                actor=actor,
                via=via,
                reason=reason,
                at=now,
            )
        )
    return events


def _withdraw(*, case: Case, reason: str, actor=None, via: str, now: datetime) -> list[CaseEvent]:
    before = _transition(case, "withdraw")
    case.supplement_due = None
    case.information_requested_at = None
    _save(case, "status", "supplement_due", "information_requested_at")
    events = [
        _record(
            action="withdraw",
            case=case,
            from_state=before,
            to_state=case.status,
            actor=actor,
            via=via,
            reason=reason,
            at=now,
        )
    ]
    events += _cancel_open_assessments(case=case, reason=reason, actor=actor, via=via, now=now)
    return events


@transaction.atomic
def case_withdraw(*, user, case: Case, reason: str = "") -> Case:
    """The FSP withdraws its case while it is undecided."""
    _require_fsp_member(user=user, case=case)
    case = _lock_case(case=case)
    events = _withdraw(
        case=case, reason=reason or _("Withdrawn by the FSP."), actor=user, via=Via.USER, now=timezone.now()
    )
    notify_on_commit(events)
    return case


# --- completeness (R3) ---------------------------------------------------------------------


@transaction.atomic
def assessment_declare_incomplete(*, user, assessment: Assessment, missing_information: str) -> Assessment:
    """An assessing SO declares the case incomplete (once), listing what is missing.

    Every running clock of the case stops; the FSP has the rule's supplement period to
    supply the information, or the sweep withdraws the case.
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
    case = _lock_case(case=assessment.case)
    now = timezone.now()
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
    event = _record(
        action="declare_incomplete",
        case=case,
        assessment=assessment,
        from_state=before,
        to_state=assessment.status,
        actor=user,
        reason=missing_information,
        at=now,
    )
    notify_on_commit([event])
    return assessment


@transaction.atomic
def case_supply_information(*, user, case: Case, information: str) -> Case:
    """The FSP supplies the missing information; every stopped clock restarts from now (R3, R4)."""
    _require_fsp_member(user=user, case=case)
    information = (information or "").strip()
    if not information:
        raise ValidationError({"information": _("Describe the information you supply.")})
    case = _lock_case(case=case)
    if case.status != Case.Status.UNDER_ASSESSMENT or case.supplement_due is None:
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
            reason=_("Information supplied: %(text)s") % {"text": information},
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
                _record(
                    action="resume",
                    case=case,
                    assessment=assessment,
                    from_state=before,
                    to_state=assessment.status,
                    actor=user,
                    at=now,
                    reason=_("Information supplied; the clock restarts."),
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


# --- decisions (R5, R6) --------------------------------------------------------------------


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


# --- material change (R2) ------------------------------------------------------------------


def _cases_for_resource(*, spu: Spu | None, spg: Spg | None):
    scope = Q(pk__in=[])
    if spu is not None:
        member_of = (
            SpgMembership.objects.filter(spu=spu)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=timezone.now()))
            .values("spg_id")
        )
        scope |= Q(spu=spu) | Q(spg_id__in=member_of)
    if spg is not None:
        scope |= Q(spg=spg)
    return (
        Case.objects.filter(scope)
        .filter(status__in=[*Case.DECIDED, Case.Status.UNDER_ASSESSMENT])
        .order_by("pk")
    )


def resource_material_change(
    *, user=None, spu: Spu | None = None, spg: Spg | None = None, reason: str
) -> list[Case]:
    """Send the resource's decided (and running) cases back to assessment (R2).

    Called by prequal.services.resources when a connection point, a capacity or a group
    membership changes, inside that service's transaction. Each case gets a new round of
    assessments (the assessing SOs may differ now); a decided case keeps its outcome in
    `previous_outcome` until the new one is reached.
    """
    now = timezone.now()
    changed, events = [], []
    for case_id in _cases_for_resource(spu=spu, spg=spg).values_list("pk", flat=True):
        case = Case.objects.select_for_update().get(pk=case_id)
        if case.status not in (*Case.DECIDED, Case.Status.UNDER_ASSESSMENT):
            continue
        via = Via.USER if user is not None else Via.SYSTEM
        if not case_points(case=case, at=now):
            # An SPG left without members has nothing to assess: a running case is withdrawn,
            # a decided one's outcome ends (the FSP may apply again once it has members).
            gone = _("%(reason)s The group has no members left.") % {"reason": reason}
            if case.is_decided:
                before = _transition(case, "expire")
                _save(case, "status")
                events.append(
                    _record(
                        action="expire",
                        case=case,
                        from_state=before,
                        to_state=case.status,
                        actor=user,
                        via=via,
                        at=now,
                        reason=gone,
                    )
                )
            else:
                events += _withdraw(case=case, reason=gone, actor=user, via=via, now=now)
            changed.append(case)
            continue
        events += _cancel_open_assessments(case=case, reason=reason, actor=user, via=via, now=now)
        fields = ["status", "round", "supplement_due", "information_requested_at"]
        if case.is_decided:
            case.previous_outcome = case.status
            case.previous_decided_at = case.decided_at
            case.decided_at = None
            case.valid_until = None
            fields += ["previous_outcome", "previous_decided_at", "decided_at", "valid_until"]
        before = _transition(case, "reassess")
        case.round += 1
        case.supplement_due = None
        case.information_requested_at = None
        _save(case, *fields)
        events.append(
            _record(
                action="reassess",
                case=case,
                from_state=before,
                to_state=case.status,
                actor=user,
                via=via,
                at=now,
                reason=_("Re-assessment: %(reason)s") % {"reason": reason},
            )
        )
        _open_round(case=case, start=now)
        changed.append(case)
    notify_on_commit(events)
    return changed


# --- read by the sweep ---------------------------------------------------------------------


def case_withdraw_after_supplement_period(*, case: Case, now: datetime) -> list[CaseEvent]:
    """R3: the FSP did not supply the information in time (case row already locked)."""
    return _withdraw(
        case=case,
        via=Via.DEADLINE,
        now=now,
        reason=_("The supplement period ended without the missing information."),
    )


def case_expire(*, case: Case, now: datetime) -> list[CaseEvent]:
    """The outcome's validity period ended (case row already locked)."""
    before = _transition(case, "expire")
    _save(case, "status")
    return [
        _record(
            action="expire",
            case=case,
            from_state=before,
            to_state=case.status,
            via=Via.DEADLINE,
            at=now,
            reason=_("The outcome's validity period ended; the FSP may apply again."),
        )
    ]
