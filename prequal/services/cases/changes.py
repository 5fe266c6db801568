"""Material change (R2): a changed resource sends its cases back to assessment."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from prequal.models import Case, CaseEvent, Spg, SpgMembership, Spu
from prequal.models.texts import Text
from prequal.services.cases._common import (
    Via,
    _cancel_open_assessments,
    _open_round,
    _record_transition,
    _save,
    _transition,
    _withdraw,
    case_points,
    notify_on_commit,
)


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
    *, user=None, spu: Spu | None = None, spg: Spg | None = None, reason: str | Text
) -> list[Case]:
    """Send the resource's decided (and running) cases back to assessment (R2).

    Called by prequal.services.resources when a connection point, a capacity or a group
    membership changes, inside that service's transaction. Each case gets a new round of
    assessments (the assessing SOs may differ now); a decided case keeps its outcome in
    `previous_outcome` until the new one is reached.
    """
    now = timezone.now()
    via = Via.USER if user is not None else Via.SYSTEM
    changed, events = [], []
    for case_id in _cases_for_resource(spu=spu, spg=spg).values_list("pk", flat=True):
        case = Case.objects.select_for_update().get(pk=case_id)
        if case.status not in (*Case.DECIDED, Case.Status.UNDER_ASSESSMENT):
            continue
        if case_points(case=case, at=now):
            events += _reassess(case=case, reason=reason, actor=user, via=via, now=now)
        else:
            events += _end_without_members(case=case, reason=reason, actor=user, via=via, now=now)
        changed.append(case)
    notify_on_commit(events)
    return changed


def _end_without_members(*, case: Case, reason: str | Text, actor, via: str, now) -> list[CaseEvent]:
    """An SPG left without members has nothing to assess: a running case is withdrawn, a decided
    one's outcome ends (the FSP may apply again once it has members)."""
    gone = Text(gettext_noop("%(reason)s The group has no members left."), reason=reason)
    if not case.is_decided:
        return _withdraw(case=case, reason=gone, actor=actor, via=via, now=now)
    before = _transition(case, "expire")
    _save(case, "status")
    return [
        _record_transition(
            case=case, action="expire", before=before, actor=actor, via=via, at=now, reason=gone
        )
    ]


def _reassess(*, case: Case, reason: str | Text, actor, via: str, now) -> list[CaseEvent]:
    """Cancel the open assessments and open a new round; a decided outcome is kept as previous."""
    events = _cancel_open_assessments(case=case, reason=reason, actor=actor, via=via, now=now)
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
        _record_transition(
            case=case, action="reassess", before=before, actor=actor, via=via, at=now,
            reason=Text(gettext_noop("Re-assessment: %(reason)s"), reason=reason),
        )
    )
    _open_round(case=case, start=now)
    return events
