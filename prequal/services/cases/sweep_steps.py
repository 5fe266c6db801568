"""Steps the deadline sweep (prequal.services.sweep) takes on a locked case."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext_noop

from prequal.models import Case, CaseEvent
from prequal.services.cases._common import Via, _record_transition, _save, _transition, _withdraw


def case_withdraw_after_supplement_period(*, case: Case, now: datetime) -> list[CaseEvent]:
    """R3: the FSP did not supply the information in time (case row already locked)."""
    return _withdraw(
        case=case,
        via=Via.DEADLINE,
        now=now,
        reason=gettext_noop("The supplement period ended without the missing information."),
    )


def case_expire(*, case: Case, now: datetime) -> list[CaseEvent]:
    """The outcome's validity period ended (case row already locked)."""
    before = _transition(case, "expire")
    _save(case, "status")
    return [
        _record_transition(
            case=case,
            action="expire",
            before=before,
            via=Via.DEADLINE,
            at=now,
            reason=gettext_noop("The outcome's validity period ended; the FSP may apply again."),
        )
    ]
