"""The register's figures per operator and month (SPEC R9, R11): what retention keeps of old
records (RegisterSummary) and what the annual report reads — one rule for both, so the annual
figures read the same before and after retention.

A record counts with its current, active revision, in the month (settings.TIME_ZONE) its period
starts; its figures are its kW (MW × 1000) and kW × minutes (energy: MWh = kW·min / 60,000),
exact integers in every database. Each read is one grouped query.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db.models import BigIntegerField, Count, F, Func, QuerySet, Sum
from django.db.models.functions import TruncMonth

from register.models import RecordKind, RecordRevision, RecordStatus, RegisterConflict, RegisterSummary

KW_MINUTES_PER_MWH = 60_000


def figures_time_zone() -> zoneinfo.ZoneInfo:
    """The zone of the figures' months and years: the annual report's (settings.TIME_ZONE)."""
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


class _Kw(Func):
    """A revision's MW as whole kW."""

    output_field = BigIntegerField()

    def __init__(self) -> None:
        super().__init__(F("quantity_mw"))

    def as_sql(self, compiler, connection, **extra):
        mw, params = compiler.compile(self.source_expressions[0])
        if connection.vendor == "postgresql":
            return f"ROUND({mw} * 1000)::bigint", params
        return f"CAST(ROUND({mw} * 1000) AS INTEGER)", params


class _KwMinutes(Func):
    """A revision's kW × the minutes of its period."""

    output_field = BigIntegerField()

    def __init__(self) -> None:
        super().__init__(F("quantity_mw"), F("period_start"), F("period_end"))

    def as_sql(self, compiler, connection, **extra):
        (mw, p1), (start, p2), (end, p3) = (compiler.compile(e) for e in self.source_expressions)
        if connection.vendor == "postgresql":
            sql = f"(ROUND({mw} * 1000)::bigint * ROUND(EXTRACT(EPOCH FROM ({end} - {start})) / 60)::bigint)"
        else:
            sql = (f"(CAST(ROUND({mw} * 1000) AS INTEGER)"
                   f" * CAST(ROUND((julianday({end}) - julianday({start})) * 1440) AS INTEGER))")
        return sql, (*p1, *p3, *p2)


@dataclass
class MonthFigures:
    """One summary row's key and figures."""

    system_operator_id: int
    product_id: int
    kind: str
    direction: str
    month: date
    records: int
    kw: int
    kw_minutes: int

    @property
    def key(self) -> tuple:
        return self.system_operator_id, self.product_id, self.kind, self.direction, self.month


def revisions_monthly_figures(revisions: QuerySet[RecordRevision]) -> list[MonthFigures]:
    """The figures of these revisions' current, active ones, per operator, product, kind,
    direction and month of the start. One grouped query."""
    zone = figures_time_zone()
    rows = (
        revisions.filter(is_current=True, status=RecordStatus.ACTIVE).order_by()
        .annotate(month=TruncMonth("period_start", tzinfo=zone))
        .values_list("record__system_operator_id", "product_id", "kind", "direction", "month")
        .annotate(n=Count("pk"), kw=Sum(_Kw()), kw_minutes=Sum(_KwMinutes()))
    )
    return [
        MonthFigures(so_id, product_id, kind, direction, month.astimezone(zone).date(), n, kw, kw_minutes)
        for so_id, product_id, kind, direction, month, n, kw, kw_minutes in rows
    ]


@dataclass
class OperatorYear:
    """An operator's register figures over a year: awards and activations (count, kW × minutes)
    and the double activations refused for it."""

    awards: int = 0
    award_kw_minutes: int = 0
    activations: int = 0
    activation_kw_minutes: int = 0
    conflicts: int = 0

    def add(self, kind: str, records: int, kw_minutes: int) -> None:
        if kind == RecordKind.ACTIVATION:
            self.activations += records
            self.activation_kw_minutes += kw_minutes
        else:
            self.awards += records
            self.award_kw_minutes += kw_minutes


def register_year_figures(*, operator_ids: list[int], year: int) -> dict[int, OperatorYear]:
    """Per operator id: the year's figures (settings.TIME_ZONE), from the records held in detail
    plus the summaries of those retention removed. Three queries."""
    zone = figures_time_zone()
    start, end = datetime(year, 1, 1, tzinfo=zone), datetime(year + 1, 1, 1, tzinfo=zone)
    figures: dict[int, OperatorYear] = defaultdict(OperatorYear)
    detailed = (
        RecordRevision.objects.filter(
            is_current=True, status=RecordStatus.ACTIVE, record__system_operator_id__in=operator_ids,
            period_start__gte=start, period_start__lt=end,
        ).order_by()
        .values_list("record__system_operator_id", "kind")
        .annotate(n=Count("pk"), kw_minutes=Sum(_KwMinutes()))
    )
    for so_id, kind, n, kw_minutes in detailed:
        figures[so_id].add(kind, n, kw_minutes or 0)
    summarised = (
        RegisterSummary.objects.filter(
            system_operator_id__in=operator_ids, month__gte=date(year, 1, 1), month__lt=date(year + 1, 1, 1)
        ).order_by()
        .values_list("system_operator_id", "kind")
        .annotate(n=Sum("records"), kw_minutes=Sum("kw_minutes"))
    )
    for so_id, kind, n, kw_minutes in summarised:
        figures[so_id].add(kind, n, kw_minutes)
    conflicts = (
        RegisterConflict.objects.filter(system_operator_id__in=operator_ids, at__gte=start, at__lt=end)
        .order_by().values_list("system_operator_id").annotate(n=Count("pk"))
    )
    for so_id, n in conflicts:
        figures[so_id].conflicts = n
    return dict(figures)
