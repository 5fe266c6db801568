"""What the workflow modules share: the "changed meanwhile" error, permission checks,
row locking, saving, audit rows, notifications, transitions, assessment planning,
the resource check of drafts and submissions, and the withdrawal steps.
"""

from __future__ import annotations

from collections.abc import Iterable
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
from prequal.models import Assessment, Case, CaseEvent, DeadlineRule, Fsp, Product, Spg, SpgMembership, Spu
from prequal.models.assessments import before_deadline
from prequal.models.texts import Text, reason_fields
from prequal.services.deadlines import assessment_deadline, deadline_rule_in_force
from prequal.services.readers import resource_readers_refresh

Via = CaseEvent.Via
CHANGED_MEANWHILE = gettext_lazy(
    "This case changed meanwhile (someone else acted on it): reload and try again."
)


class CaseChangedMeanwhile(ApplicationError):
    """Another request or the deadline sweep changed the row since the caller loaded it."""

    def __init__(self) -> None:
        super().__init__(str(CHANGED_MEANWHILE))


class DeadlinePassed(ApplicationError):
    """R4: the assessment's deadline has passed, so it is approved by silence; a decision (or a
    declaration of incompleteness) arriving now is refused, whether or not the sweep has run."""

    def __init__(self, deadline: datetime) -> None:
        super().__init__(
            _(
                "The deadline of this assessment passed on %(deadline)s: it is approved by silence "
                "(R4), and a decision can no longer be recorded."
            ) % {"deadline": timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M")}
        )


def deadline_passed_under_lock(*, assessment: Assessment, now: datetime) -> datetime | None:
    """The assessment's deadline if, read again under the case lock the caller holds, it is
    still pending and that deadline has passed (the sweep has not reached it yet); else None."""
    fresh = Assessment.objects.only("status", "deadline").get(pk=assessment.pk)
    if fresh.status == Assessment.Status.PENDING and not before_deadline(fresh, at=now):
        return fresh.deadline
    return None


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


def _bulk_write(model, pks: list[int], *, source: str, **values) -> None:
    """One UPDATE for rows already transitioned in memory; all must still be in `source`.

    The callers hold the case locks, so a miss cannot happen; if it does, the batch rolls back.
    """
    written = model.objects.filter(pk__in=pks, status=source).update(**values, updated_at=timezone.now())
    if written != len(pks):
        raise RuntimeError(f"{model.__name__}: {len(pks) - written} rows changed under the case lock")


def _record(
    *,
    case: Case,
    action: str,
    to_state: str,
    from_state: str = "",
    assessment: Assessment | None = None,
    actor=None,
    via: str = Via.USER,
    reason: str | Text = "",
    at: datetime | None = None,
) -> CaseEvent:
    if actor is None and via == Via.USER:
        via = Via.SYSTEM
    reason, reason_params = reason_fields(reason)
    return CaseEvent.objects.create(
        case=case,
        assessment=assessment,
        actor=actor if via == Via.USER else None,
        via=via,
        action=action,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        reason_params=reason_params,
        at=at or timezone.now(),
    )



def _record_transition(
    *, case: Case, action: str, before: str, assessment: Assessment | None = None, **details
) -> CaseEvent:
    """The audit event of the transition `action` just made on the case (or on its `assessment`)
    from the state `before`; `details`: actor, via, reason, at as for _record."""
    moved = assessment if assessment is not None else case
    return _record(
        case=case, action=action, assessment=assessment, from_state=before, to_state=moved.status, **details
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
            rules[country] = deadline_rule_in_force(
                system_operator=so, at=start, product_kind=case.product.kind
            )
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
    # Its assessing SOs read the resource from now on (SPEC §4): a group's members too.
    if case.spg_id:
        member_ids = SpgMembership.objects.filter(spg_id=case.spg_id).values_list("spu_id", flat=True)
        resource_readers_refresh(spg_ids=[case.spg_id], spu_ids=member_ids)
    else:
        resource_readers_refresh(spu_ids=[case.spu_id])
    return assessments


# --- shared by drafts and submission -------------------------------------------------------


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
            # Names nothing of the other FSP's resource (SPEC §4).
            errors[field] = [_("Choose one of your own SPUs or SPGs.")]
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


# --- shared by withdrawal, material change and the sweep -----------------------------------


def _cancel_open_assessments(*, case: Case, reason: str, actor=None, via: str, now: datetime) -> list:
    events = []
    for assessment in case.assessments.filter(status__in=Assessment.OPEN).order_by("pk"):
        before = _transition(assessment, "cancel")
        assessment.deadline = None
        _save(assessment, "status", "deadline")
        events.append(
            _record_transition(
                case=case, action="cancel", before=before, assessment=assessment,
                actor=actor, via=via, reason=reason, at=now,
            )
        )
    return events


def _withdraw(*, case: Case, reason: str, actor=None, via: str, now: datetime) -> list[CaseEvent]:
    before = _transition(case, "withdraw")
    case.supplement_due = None
    case.information_requested_at = None
    _save(case, "status", "supplement_due", "information_requested_at")
    events = [
        _record_transition(
            case=case, action="withdraw", before=before, actor=actor, via=via, reason=reason, at=now
        )
    ]
    events += _cancel_open_assessments(case=case, reason=reason, actor=actor, via=via, now=now)
    return events
