"""The one builder of the annual report's tables (SPEC R9). The CSV, XLSX, PDF and the page
render what it returns, so the figures are the same in every format.

Per-operator figures are aggregated in the database (one grouped query each); the median
and 95th percentile decision times use percentile_cont on PostgreSQL and, elsewhere, one
pass over the durations sorted per operator that keeps only the values at the needed ranks.
The list of conditional and refused decisions is a fresh chunked iterator for each renderer.
Memory stays flat whatever the number of assessments.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from django.db import connections
from django.db.models import (
    Aggregate,
    Count,
    FloatField,
    Q,
    QuerySet,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from limits.selectors import limit_figures_per_so
from observability.models import SystemOperator
from prequal.models import Assessment
from reports.decisions import decision_list_rows
from reports.forecasts import forecast_table
from reports.register_section import register_table
from reports.selectors import (
    REPORT_TIME_ZONE,
    report_decisions,
    report_limit_refusals,
    report_limits,
    report_read_session,
    with_decision_time,
)
from reports.tables import Table, Value

S = Assessment.Status
DAY = 86400.0
# Decision-time histogram: bins of two weeks; the last one is open-ended (three months is the
# default deadline, so approvals by silence land around 90 days).
HISTOGRAM_EDGES_DAYS = (0, 14, 28, 42, 56, 70, 84, 98)

@dataclass
class Report:
    year: int
    made_at: datetime
    scope_label: str
    tier_label: str
    tables: list[Table]
    # Small figures kept for the charts (read by reports.charts).
    outcome_rows: list[list[Value]]
    histogram_rows: list[list[Value]]
    month_rows: list[list[Value]]
    operator_count: int
    # The scoped year's decisions (a lazy queryset): the page and the API list a page of the
    # conditional and refused ones (reports.decisions.conditional_and_refused).
    decisions: QuerySet[Assessment] | None = None

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)

    @property
    def meta_rows(self) -> list[list[Value]]:
        return [
            [_("Year"), self.year],
            [_("Operators"), self.scope_label],
            [_("Tier"), self.tier_label],
            [_("Made"), timezone.localtime(self.made_at, REPORT_TIME_ZONE).strftime("%Y-%m-%d %H:%M")],
        ]


def cell_text(value: Value) -> str:
    """How a cell reads as text (CSV, PDF, page): floats with two decimals."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def days(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / DAY, 2)


class _PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate percentile_cont(fraction) over a float expression."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, *, fraction: float, **extra):
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


def percentile_from_ranks(values: dict[int, float], *, n: int, fraction: float) -> float:
    """percentile_cont's linear interpolation, given the values at the ranks it needs."""
    pos = fraction * (n - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    return values[lo] + (values[hi] - values[lo]) * (pos - lo)


def _ranks(n: int, fractions=(0.5, 0.95)) -> set[int]:
    out = set()
    for fraction in fractions:
        pos = fraction * (n - 1)
        out |= {math.floor(pos), math.ceil(pos)}
    return out


OUTCOME_KEYS = (S.APPROVED, S.APPROVED_BY_SILENCE, S.CONDITIONALLY_APPROVED, S.NOT_APPROVED)


def decision_stats(decisions: QuerySet[Assessment]) -> dict[int, dict]:
    """Per operator id: counts by outcome, `timed` (decisions with a clock start), the
    histogram bins b0… and `p50`/`p95` in seconds.

    PostgreSQL does it all in one scan (percentile_cont); elsewhere a second pass streams the
    decision times sorted per operator and keeps only the values at the ranks needed.
    """
    postgres = connections[decisions.db].vendor == "postgresql"
    edges = HISTOGRAM_EDGES_DAYS
    aggregates = {k: Count("pk", filter=Q(status=k)) for k in OUTCOME_KEYS}
    aggregates["timed"] = Count("seconds")  # NULL when the clock never started: not counted
    for i, lo in enumerate(edges):
        q = Q(seconds__gte=lo * DAY)
        if i + 1 < len(edges):
            q &= Q(seconds__lt=edges[i + 1] * DAY)
        aggregates[f"b{i}"] = Count("pk", filter=q)
    timed = with_decision_time(decisions).order_by()
    if postgres:
        return _stats_in_one_scan(timed)
    stats = {
        row["system_operator_id"]: row
        for row in timed.values("system_operator_id").annotate(**aggregates)
    }
    if not postgres:
        _percentiles_by_sorting(timed, stats)
    return stats


def decision_counts(decisions: QuerySet[Assessment]) -> dict[int, dict]:
    """Per operator id: decisions by outcome, as decision_stats() counts them, without the times
    (no decision time per row, no percentile): one grouped count. The NRA's dashboard reads the
    same counts from the decisions' rollup (reports.selectors.report_decision_counts); this is
    the direct route the tests and bench/nra_rollup_bench.py hold it equal to."""
    out: dict[int, dict] = {}
    grouped = decisions.order_by().values_list("system_operator_id", "status").annotate(n=Count("pk"))
    for so, status, n in grouped:
        out.setdefault(so, {})[status] = n
    return out


def _stats_in_one_scan(timed: QuerySet[Assessment]) -> dict[int, dict]:
    """decision_stats() on PostgreSQL: the scoped decisions (the selector's own SQL) as a
    subquery, so each row's decision time is computed once, not once per aggregate."""
    edges = HISTOGRAM_EDGES_DAYS
    inner, params = timed.values_list("system_operator_id", "status", "seconds").query.sql_with_params()
    columns = [
        "system_operator_id", *OUTCOME_KEYS, "timed", *(f"b{i}" for i in range(len(edges))), "p50", "p95"
    ]
    bins = []
    for i, lo in enumerate(edges):
        upper = f" AND t.seconds < {edges[i + 1] * DAY}" if i + 1 < len(edges) else ""
        bins.append(f"COUNT(*) FILTER (WHERE t.seconds >= {lo * DAY}{upper})")
    sql = (
        "SELECT t.so, "
        + ", ".join(f"COUNT(*) FILTER (WHERE t.status = '{k}')" for k in OUTCOME_KEYS)
        + ", COUNT(t.seconds), " + ", ".join(bins)
        + ", percentile_cont(0.5) WITHIN GROUP (ORDER BY t.seconds)"
        + ", percentile_cont(0.95) WITHIN GROUP (ORDER BY t.seconds)"
        # OFFSET 0 keeps the subquery a subquery: PostgreSQL would otherwise inline it and
        # compute the decision time again in every aggregate.
        + f" FROM ({inner} OFFSET 0) AS t(so, status, seconds) GROUP BY t.so"
    )
    with report_read_session(timed.db), connections[timed.db].cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0]: dict(zip(columns, row, strict=True)) for row in cursor.fetchall()}


def _percentiles_by_sorting(timed: QuerySet[Assessment], stats: dict[int, dict]) -> None:
    current, index, wanted, kept = None, 0, set(), {}

    def close() -> None:
        if current is not None:
            n = stats[current]["timed"]
            stats[current]["p50"] = percentile_from_ranks(kept, n=n, fraction=0.5)
            stats[current]["p95"] = percentile_from_ranks(kept, n=n, fraction=0.95)

    stream = (
        timed.filter(clock_started_at__isnull=False)
        .order_by("system_operator_id", "seconds")
        .values_list("system_operator_id", "seconds")
        .iterator(chunk_size=10_000)
    )
    for so, seconds in stream:
        if so != current:
            close()
            current, index, wanted, kept = so, 0, _ranks(stats[so]["timed"]), {}
        if index in wanted:
            kept[index] = seconds
        index += 1
    close()


def _histogram(stats: dict[int, dict]) -> list[list[Value]]:
    edges = HISTOGRAM_EDGES_DAYS
    rows = []
    for i, lo in enumerate(edges):
        label = (
            _("%(lo)s–%(hi)s days") % {"lo": lo, "hi": edges[i + 1]}
            if i + 1 < len(edges)
            else _("%(lo)s days or more") % {"lo": lo}
        )
        rows.append([label, sum(row[f"b{i}"] for row in stats.values())])
    return rows


def _share(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


def report_build(
    *, operators: QuerySet[SystemOperator], year: int, scope_label: str, tier_label: str,
    now: datetime | None = None,
) -> Report:
    """Every table of the report for `operators` (already scoped to the user) and `year`."""
    # Read once: the sections below take these rows (the forecasts section its objects).
    operator_list = list(operators.select_related("organisation"))
    ops = [(so.pk, so.organisation.name, so.organisation.eic_code, so.tier) for so in operator_list]
    decisions = report_decisions(operators=operators, year=year)
    per_so = decision_stats(decisions)
    limits = report_limits(operators=operators, year=year)
    refusals = report_limit_refusals(operators=operators, year=year)
    limit_rows = _limit_rows(ops=ops, limits=limits, refusals=refusals)
    outcome_rows, outcome_total, time_rows = _decision_rows(ops=ops, per_so=per_so)
    month_rows = _months(limits=limits, refusals=refusals, year=year)
    histogram_rows = _histogram(per_so)
    tables = [
        *_decision_tables(
            outcome_rows=[*outcome_rows, outcome_total], time_rows=time_rows, histogram_rows=histogram_rows
        ),
        *_limit_tables(limit_rows=limit_rows, month_rows=month_rows),
        register_table(ops=ops, year=year),
        Table(*forecast_table(operators=operator_list, year=year, now=now or timezone.now())),
        Table(
            "conditional_and_refused", _("Conditional and refused decisions"),
            [_("Operator"), _("Case"), _("Round"), _("FSP"), _("Resource"), _("Product"), _("Outcome"),
             _("Decided"), _("Reason"), _("Justification"), _("Why temporary limits cannot resolve it"),
             _("Conditions")],
            lambda: decision_list_rows(decisions),
            [2, 0.8, 0.9, 1.6, 1.4, 1.4, 1.4, 1.3, 2.2, 2.2, 2.2, 2.6],
        ),
    ]
    return Report(
        year=year, made_at=now or timezone.now(), scope_label=scope_label, tier_label=tier_label,
        tables=tables, outcome_rows=outcome_rows, histogram_rows=histogram_rows,
        month_rows=month_rows, operator_count=len(ops), decisions=decisions,
    )


def _decision_rows(*, ops: list[tuple], per_so: dict[int, dict]) -> tuple[list, list[Value], list]:
    """Per operator: assessments by outcome, their total row, and decision times."""
    tier_names = dict(SystemOperator.Tier.choices)
    outcome_rows, time_rows = [], []
    totals = [0] * 5
    for pk, name, eic, tier in ops:
        counts = per_so.get(pk, {})
        figures = [counts.get(k, 0) for k in OUTCOME_KEYS]
        figures.append(sum(figures))
        totals = [a + b for a, b in zip(totals, figures, strict=True)]
        outcome_rows.append([name, eic, str(tier_names.get(tier, tier)), *figures])
        time_rows.append([
            name, counts.get("timed", 0), days(counts.get("p50")), days(counts.get("p95")),
            counts.get(S.APPROVED_BY_SILENCE, 0),
        ])
    return outcome_rows, [_("All operators"), "", "", *totals], time_rows


def _limit_rows(*, ops: list[tuple], limits, refusals) -> list[list[Value]]:
    """Per operator: limits set, their total effective duration, late refusals (then the total row)."""
    figures = limit_figures_per_so(limits=limits, refusals=refusals)
    rows = []
    limit_totals = [0, 0.0, 0]
    for pk, name, _eic, _tier in ops:
        row = figures.get(pk, {"count": 0, "hours": 0.0, "refused_late": 0})
        n_limits, hours, refused = row["count"], round(row["hours"], 2), row["refused_late"]
        limit_totals = [limit_totals[0] + n_limits, limit_totals[1] + hours, limit_totals[2] + refused]
        rows.append([name, n_limits, hours, refused, _share(refused, n_limits + refused)])
    rows.append([
        _("All operators"), limit_totals[0], round(limit_totals[1], 2), limit_totals[2],
        _share(limit_totals[2], limit_totals[0] + limit_totals[2]),
    ])
    return rows


def _decision_tables(*, outcome_rows, time_rows, histogram_rows) -> list[Table]:
    return [
        Table(
            "outcomes", _("Assessments by outcome"),
            [_("Operator"), _("EIC"), _("Tier"), _("Approved"), _("Approved by silence"),
             _("Conditionally approved"), _("Not approved"), _("Total")],
            lambda: iter(outcome_rows),
            [3, 2.2, 1.4, 1, 1, 1.2, 1, 1],
        ),
        Table(
            "decision_times", _("Decision times and missed deadlines"),
            [_("Operator"), _("Decisions"), _("Median (days)"), _("95th percentile (days)"),
             _("Deadlines missed (approved by silence)")],
            lambda: iter(time_rows),
            [3, 1, 1.2, 1.4, 2],
        ),
        Table(
            "decision_time_distribution", _("Decision time distribution"),
            [_("Decision time"), _("Decisions")],
            lambda: iter(histogram_rows),
            [2, 1],
        ),
    ]


def _limit_tables(*, limit_rows, month_rows) -> list[Table]:
    return [
        Table(
            "limits", _("Temporary limits"),
            [_("Operator"), _("Limits set"), _("Total duration (hours)"), _("Refused as late"),
             _("Share refused as late (%)")],
            lambda: iter(limit_rows),
            [3, 1, 1.4, 1.2, 1.5],
        ),
        Table(
            "limits_per_month", _("Temporary limits per month"),
            [_("Month"), _("Limits set"), _("Refused as late")],
            lambda: iter(month_rows),
            [1, 1, 1],
        ),
    ]


def _months(*, limits, refusals, year: int) -> list[list[Value]]:
    def by_month(qs, field: str) -> dict[str, int]:
        rows = (
            qs.order_by()
            .annotate(month=TruncMonth(field, tzinfo=REPORT_TIME_ZONE))
            .values("month")
            .annotate(n=Count("pk"))
            .values_list("month", "n")
        )
        return {f"{m:%Y-%m}": n for m, n in rows}

    set_, refused = by_month(limits, "created_at"), by_month(refusals, "at")
    months = [f"{year}-{m:02d}" for m in range(1, 13)]
    return [[m, set_.get(m, 0), refused.get(m, 0)] for m in months]
