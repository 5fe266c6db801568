"""Submission and withdrawal (FSP)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from prequal.models import Case
from prequal.models.texts import Text
from prequal.services.cases._common import (
    Via,
    _check_resource,
    _lock_case,
    _open_round,
    _record_transition,
    _require_fsp_member,
    _save,
    _transition,
    _withdraw,
    notify_on_commit,
)


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
        _record_transition(case=case, action="submit", before=before, actor=user, at=now)
    )
    _open_round(case=case, start=now)
    before = _transition(case, "open_assessment")
    _save(case, "status")
    events.append(
        _record_transition(
            case=case,
            action="open_assessment",
            before=before,
            via=Via.SYSTEM,
            at=now,
            reason=Text(
                gettext_noop("Assessments opened for %(sos)s."),
                sos=", ".join(str(a.system_operator) for a in case.assessments.filter(round=case.round)),
            ),
        )
    )
    notify_on_commit(events)
    return case


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
