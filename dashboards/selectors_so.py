"""The SO engineer's and viewer's dashboard: the queue's figures, decisions this month, limits.

Each figure counts with the selector and filter its link uses (prequal.selectors.cases,
limits.selectors), by conditional aggregation: one query for the open assessments, one for the
month's decisions, one for the limits, whatever the data size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import user_roles
from dashboards.figures import Figure, list_url
from limits.periods import LimitStatus
from limits.selectors import changed_q, limit_list_for_user, status_q
from observability.selectors import user_operator_ids
from prequal.models import Assessment
from prequal.selectors.cases import (
    ATTENTION_REASSESSMENT,
    ATTENTION_SUPPLIED,
    assessment_decided_q,
    assessment_queue_for_user,
    queue_filter_q,
)
from prequal.selectors.periods import DECIDED_THIS_MONTH, DUE_WITHIN_7_DAYS, month_bounds

S = Assessment.Status
# The outcomes "decided this month" splits into, in the order shown.
OUTCOMES = (S.APPROVED, S.CONDITIONALLY_APPROVED, S.NOT_APPROVED, S.APPROVED_BY_SILENCE)


@dataclass(frozen=True)
class SoDashboard:
    queue: list[Figure]
    needs_you: list[Figure]
    decided: list[Figure]
    limits: list[Figure]
    month_start: datetime


def _queue_figures(*, user, now: datetime) -> tuple[list[Figure], list[Figure]]:
    """Due within 7 days, overdue; and what came back to the engineer (one query)."""
    queue = assessment_queue_for_user(user=user).order_by()
    counts = queue.aggregate(
        open=Count("pk"),
        due=Count("pk", filter=queue_filter_q(due=DUE_WITHIN_7_DAYS, now=now)),
        overdue=Count("pk", filter=queue_filter_q(overdue=True, now=now)),
        waiting=Count("pk", filter=Q(status=S.INCOMPLETE)),
        supplied=Count("pk", filter=queue_filter_q(attention=ATTENTION_SUPPLIED, now=now)),
        returned=Count("pk", filter=queue_filter_q(attention=ATTENTION_REASSESSMENT, now=now)),
    )
    name = "prequal:queue"
    return [
        Figure("open", _("Open assessments"), counts["open"], list_url(name)),
        Figure("due", _("Due within 7 days"), counts["due"], list_url(name, due=DUE_WITHIN_7_DAYS)),
        Figure("overdue", _("Overdue"), counts["overdue"], list_url(name, overdue=1)),
    ], [
        Figure("supplied", _("Information supplied by the FSP, awaiting your review"), counts["supplied"],
               list_url(name, attention=ATTENTION_SUPPLIED)),
        Figure("returned", _("Returned for re-assessment"), counts["returned"],
               list_url(name, attention=ATTENTION_REASSESSMENT)),
        Figure("waiting", _("Waiting for the FSP's information"), counts["waiting"],
               list_url(name, status=S.INCOMPLETE)),
    ]


def _decided_figures(*, operator_ids: list[int], now: datetime) -> list[Figure]:
    """The operators' decisions this month (local calendar) by outcome, as distinct cases: what
    the case list shows for ?decided=this-month&outcome=… (one query)."""
    bounds = month_bounds(now=now)
    counts = Assessment.objects.filter(
        assessment_decided_q(bounds=bounds, outcome=None), system_operator_id__in=operator_ids
    ).aggregate(**{k: Count("case_id", distinct=True, filter=Q(status=k)) for k in OUTCOMES})
    return [
        Figure(str(k), str(k.label), counts[k],
               list_url("prequal:case-list", decided=DECIDED_THIS_MONTH, outcome=k))
        for k in OUTCOMES
    ]


def limit_counts(*, user, now: datetime, changed_since: datetime | None = None) -> dict[str, int]:
    """Active and upcoming temporary limits the user reads and, with `changed_since`, those changed
    since (the FSP's dashboard): one query."""
    counts = {
        "active": Count("pk", filter=status_q(LimitStatus.ACTIVE, at=now)),
        "upcoming": Count("pk", filter=status_q(LimitStatus.UPCOMING, at=now)),
    }
    if changed_since is not None:
        counts["changed"] = Count("pk", filter=changed_q(changed_since))
    return limit_list_for_user(user=user).order_by().aggregate(**counts)


def limit_figures(*, user, now: datetime, counts: dict[str, int] | None = None) -> list[Figure]:
    """The active and upcoming limits' figures, from `counts` (limit_counts) or counted here."""
    counts = counts if counts is not None else limit_counts(user=user, now=now)
    return [
        Figure("limits_active", _("Active temporary limits"), counts["active"],
               list_url("limits:limit-list", status=LimitStatus.ACTIVE)),
        Figure("limits_upcoming", _("Upcoming temporary limits"), counts["upcoming"],
               list_url("limits:limit-list", status=LimitStatus.UPCOMING)),
    ]


def so_dashboard(*, user, now: datetime | None = None) -> SoDashboard | None:
    """The figures of the user's operators; None for users of no operator."""
    roles = user_roles(user=user)
    if not roles.is_so:
        return None
    now = now or timezone.now()
    operator_ids = sorted(user_operator_ids(user=user))
    queue, needs_you = _queue_figures(user=user, now=now)
    return SoDashboard(
        queue=queue,
        needs_you=needs_you,
        decided=_decided_figures(operator_ids=operator_ids, now=now),
        limits=limit_figures(user=user, now=now),
        month_start=month_bounds(now=now)[0],
    )
