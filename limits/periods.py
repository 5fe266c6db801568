"""A temporary limit's period and status (SPEC R7): the one home of the rules, as Q objects for
many rows and, through row_satisfies, for one row in memory; with the SQL of "applies during"
for the activation check's hand-written statement.
"""

from __future__ import annotations

import operator
from datetime import datetime

from django.db import models
from django.db.models.functions import Greatest
from django.utils.translation import gettext_lazy as _


class LimitStatus(models.TextChoices):
    UPCOMING = "upcoming", _("Upcoming")
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")
    LIFTED = "lifted", _("Lifted")


# A limit lifted before its end stops applying when lifted (not before its start).
CUT_SHORT = models.Q(lifted_at__isnull=False, lifted_at__lt=models.F("end"))


def limit_status_q(status: str, *, at: datetime) -> models.Q:
    """Limits in a derived status at `at`; "current" is active or upcoming.

    The one home of the status rule: TemporaryLimit.status_at evaluates the same conditions
    on one row in memory.
    """
    not_lifted = models.Q(lifted_at__isnull=True) | models.Q(lifted_at__gt=at)
    if status == LimitStatus.UPCOMING:
        return not_lifted & models.Q(start__gt=at)
    if status == LimitStatus.ACTIVE:
        return not_lifted & models.Q(start__lte=at, end__gt=at)
    if status == "current":
        return not_lifted & models.Q(end__gt=at)
    if status == LimitStatus.LIFTED:
        return models.Q(lifted_at__lte=at) & models.Q(lifted_at__lt=models.F("end"))
    if status == LimitStatus.ENDED:
        not_cut_short = models.Q(lifted_at__isnull=True) | models.Q(lifted_at__gte=models.F("end"))
        return models.Q(end__lte=at) & not_cut_short
    return models.Q()


def limit_applies_during_q(start: datetime, end: datetime) -> models.Q:
    """Limits that apply at some instant of [start, end): their effective period (from their
    start to their effective end, TemporaryLimit.effective_end) is not empty and overlaps it."""
    not_cut = models.Q(lifted_at__isnull=True)
    lifted_in_force = models.Q(lifted_at__gt=start) & models.Q(lifted_at__gt=models.F("start"))
    return models.Q(end__gt=start, start__lt=end) & (not_cut | lifted_in_force)


# limit_applies_during_q as SQL, for the activation check's hand-written statement
# (limits/activation/limit_lookup.py). Parameters: start, end, start. Tests prove they agree.
LIMIT_APPLIES_DURING_SQL = (
    '"end" > %s AND start < %s AND (lifted_at IS NULL OR (lifted_at > %s AND lifted_at > start))'
)


_COMPARE = {
    "exact": operator.eq, "lt": operator.lt, "lte": operator.le, "gt": operator.gt, "gte": operator.ge
}


def row_satisfies(q: models.Q, row: models.Model) -> bool:
    """Whether one row in memory satisfies `q`, as SQL would (a comparison with NULL is false).

    Knows only what limit_status_q and CUT_SHORT use: comparisons of fields with values or F().
    """
    results = []
    for child in q.children:
        if isinstance(child, models.Q):
            results.append(row_satisfies(child, row))
            continue
        lookup, value = child
        name, _sep, op = lookup.partition("__")
        left = getattr(row, name)
        if op == "isnull":
            results.append((left is None) == value)
            continue
        right = getattr(row, value.name) if isinstance(value, models.F) else value
        results.append(left is not None and right is not None and _COMPARE[op or "exact"](left, right))
    held = all(results) if q.connector == models.Q.AND else any(results)
    return held != q.negated


def effective_end_expression() -> models.Expression:
    """SQL of TemporaryLimit.effective_end: the end, or when lifted if that is earlier."""
    return models.Case(
        models.When(CUT_SHORT, then=Greatest(models.F("lifted_at"), models.F("start"))),
        default=models.F("end"),
    )
