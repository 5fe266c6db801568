"""Deadline arithmetic and rule lookup (SPEC R3, R4, R10).

Periods are counted on the assessing SO's local calendar (a three-month period submitted at
10:00 in January ends at 10:00 local time in April, whatever daylight saving did in between),
then stored in UTC.
"""

from __future__ import annotations

import calendar
import zoneinfo
from datetime import UTC, datetime, timedelta

from django.db.models import Q
from django.utils.translation import gettext as _

from common.exceptions import ApplicationError
from observability.models import SystemOperator
from prequal.models import DeadlineRule


def add_local_period(*, start: datetime, months: int = 0, days: int = 0, time_zone: str) -> datetime:
    """`start` (aware) plus a calendar period counted in `time_zone`; the result is in UTC.

    Months clamp to the end of a shorter month (31 January + 1 month = 28/29 February).
    A wall-clock time that does not exist on the end date (the spring-forward hour) is
    read with the offset before the change, as zoneinfo does (fold=0).
    """
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    zone = zoneinfo.ZoneInfo(time_zone)
    local = start.astimezone(zone)
    month_index = local.month - 1 + months
    year, month = local.year + month_index // 12, month_index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    naive = local.replace(tzinfo=None).replace(year=year, month=month, day=day) + timedelta(days=days)
    return naive.replace(tzinfo=zone).astimezone(UTC)


def deadline_rule_in_force(
    *, system_operator: SystemOperator, at: datetime, product_kind: str = ""
) -> DeadlineRule:
    """The rule for the SO's country and the product's kind in force at `at`.

    A country's own rule wins over the catch-all jurisdiction; within it, a rule for the kind
    of product over one for every kind; then the newest version.
    """
    country = system_operator.organisation.country
    rule = (
        DeadlineRule.objects.filter(
            Q(jurisdiction=country) | Q(jurisdiction=""),
            Q(product_kind=product_kind) | Q(product_kind=""),
            valid_from__lte=at,
        )
        .order_by("-jurisdiction", "-product_kind", "-valid_from")
        .first()
    )
    if rule is None:
        raise ApplicationError(
            _("No deadline rule is in force for %(country)s: ask the platform admin to add one.")
            % {"country": country}
        )
    return rule


def assessment_deadline(*, rule: DeadlineRule, start: datetime, time_zone: str) -> datetime:
    """When an assessment whose clock started at `start` falls due under `rule`."""
    return add_local_period(
        start=start, months=rule.period_months, days=rule.period_days, time_zone=time_zone
    )


def supplement_deadline(*, rule: DeadlineRule, start: datetime, time_zone: str) -> datetime:
    """When the FSP must have supplied missing information (R3) after a request at `start`."""
    return add_local_period(start=start, days=rule.supplement_period_days, time_zone=time_zone)


def outcome_valid_until(*, rule: DeadlineRule, decided_at: datetime, time_zone: str) -> datetime:
    return add_local_period(start=decided_at, months=rule.outcome_validity_months, time_zone=time_zone)
