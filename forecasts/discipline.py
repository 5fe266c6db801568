"""Publication discipline (R12): was each operator's day-ahead forecast for day D published by its
deadline? Read by the SO's forecasts page (per day) and the annual report (per year).

The rules:
- the deadline for D is PublicationDeadline's (the operator's country, else the rule for every
  country; the version valid at the deadline): `days_before` D at `local_time`, in the operator's
  time zone (so D-1 10:00 stays 10:00 across daylight-saving changes);
- an operator is expected to publish for D once it has a grid zone by D's deadline (it cannot
  publish without one); days without a rule are not judged;
- D's forecast is the operator's day-ahead publications with a row in D (local day): on time
  if the first of them was published by the deadline, late if only after it, missing if none
  once the deadline has passed, due while it has not. Whether a publication covers every zone
  and hour of D is the engineer's word, not judged here.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Min
from django.utils import timezone

from forecasts.models import GridZone, Horizon, Publication, PublicationDeadline

ON_TIME, LATE, MISSING, DUE = "on_time", "late", "missing", "due"


@dataclass(frozen=True)
class DayStatus:
    day: date
    deadline: datetime
    first_published_at: datetime | None
    status: str


@dataclass(frozen=True)
class Discipline:
    """One operator's figures over some days: counted days are those whose deadline has passed."""

    on_time: int
    late: int
    missing: int

    @property
    def judged(self) -> int:
        return self.on_time + self.late + self.missing

    @property
    def share_on_time(self) -> float | None:
        return round(100.0 * self.on_time / self.judged, 2) if self.judged else None


def _rule_for(rules: list[PublicationDeadline], *, country: str, at: datetime) -> PublicationDeadline | None:
    """The version in force at `at` for the country, else for every country (rules newest first)."""
    for jurisdiction in (country, ""):
        for rule in rules:
            if rule.jurisdiction == jurisdiction and rule.valid_from <= at:
                return rule
    return None


def _deadline(rule: PublicationDeadline, day: date, tz: zoneinfo.ZoneInfo) -> datetime:
    local = datetime.combine(day - timedelta(days=rule.days_before), rule.local_time, tzinfo=tz)
    return local.astimezone(UTC)


def _first_publications(so_ids, *, since: datetime, until: datetime, tzs: dict) -> dict[tuple, datetime]:
    """(operator id, local day) → the first day-ahead publication with a row in that day."""
    first: dict[tuple, datetime] = {}
    rows = Publication.objects.filter(
        system_operator_id__in=so_ids, horizon=Horizon.DAY_AHEAD, first_start__lt=until, last_end__gt=since
    ).values_list("system_operator_id", "published_at", "first_start", "last_end")
    for so_id, published_at, first_start, last_end in rows.iterator(chunk_size=5000):
        tz = tzs[so_id]
        day = first_start.astimezone(tz).date()
        last_day = (last_end - timedelta(microseconds=1)).astimezone(tz).date()
        while day <= last_day:
            key = (so_id, day)
            if key not in first or published_at < first[key]:
                first[key] = published_at
            day += timedelta(days=1)
    return first


def day_ahead_discipline(
    *, system_operators, first_day: date, last_day: date, now: datetime
) -> dict[int, list[DayStatus]]:
    """Per operator (SystemOperator with its organisation), the status of each day it is judged
    on from `first_day` to `last_day` (local days), in day order."""
    operators = list(system_operators)
    if not operators:
        return {}
    tzs = {so.pk: zoneinfo.ZoneInfo(so.time_zone) for so in operators}
    rules = list(PublicationDeadline.objects.order_by("-valid_from"))
    zoned = dict(
        GridZone.objects.filter(system_operator__in=operators)
        .values("system_operator_id")
        .annotate(first=Min("versions__valid_from"))
        .values_list("system_operator_id", "first")
    )
    since = datetime.combine(first_day - timedelta(days=1), time(), tzinfo=UTC)
    until = datetime.combine(last_day + timedelta(days=2), time(), tzinfo=UTC)
    first = _first_publications(list(tzs), since=since, until=until, tzs=tzs)
    result: dict[int, list[DayStatus]] = defaultdict(list)
    for so in operators:
        tz, country, zone_from = tzs[so.pk], so.organisation.country or "", zoned.get(so.pk)
        day = first_day
        while day <= last_day and zone_from is not None:
            noon = datetime.combine(day, time(12), tzinfo=tz)
            rule = _rule_for(rules, country=country, at=noon - timedelta(days=1))
            deadline = _deadline(rule, day, tz) if rule else None
            if deadline is not None and zone_from <= deadline:
                published = first.get((so.pk, day))
                status = (
                    (ON_TIME if published <= deadline else LATE) if published
                    else (MISSING if now >= deadline else DUE)
                )
                result[so.pk].append(DayStatus(day, deadline, published, status))
            day += timedelta(days=1)
    return dict(result)


def discipline_summary(statuses: list[DayStatus]) -> Discipline:
    counts = defaultdict(int)
    for status in statuses:
        counts[status.status] += 1
    return Discipline(on_time=counts[ON_TIME], late=counts[LATE], missing=counts[MISSING])


PAGE_DAYS_BACK = 14


@dataclass(frozen=True)
class PageRow:
    operator: object
    status: DayStatus


def discipline_for_page(*, system_operators, now: datetime | None = None) -> list[PageRow]:
    """The SO page's table: each of the user's operators, from 14 days back to tomorrow, newest
    day first (times shown in the operator's time zone by the template)."""
    now = now or timezone.now()
    operators = list(system_operators)
    if not operators:
        return []
    today = now.astimezone(zoneinfo.ZoneInfo(operators[0].time_zone)).date()
    statuses = day_ahead_discipline(
        system_operators=operators, first_day=today - timedelta(days=PAGE_DAYS_BACK),
        last_day=today + timedelta(days=1), now=now,
    )
    by_pk = {so.pk: so for so in operators}
    rows = [PageRow(by_pk[pk], status) for pk, days in statuses.items() for status in days]
    return sorted(rows, key=lambda row: (-row.status.day.toordinal(), str(row.operator)))
