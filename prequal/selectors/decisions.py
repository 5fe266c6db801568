"""The decisions counted ahead (DecisionRollup, kept by prequal.services.decision_rollup)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.db.models import QuerySet, Sum
from django.db.models.functions import ExtractYear

from observability.models import SystemOperator
from prequal.models import DecisionRollup


def decision_rollup_counts(
    *, operators: QuerySet[SystemOperator], years: Sequence[int]
) -> dict[int, dict[int, dict[str, int]]]:
    """Per year (of the months, DECISION_TIME_ZONE), per operator id, decisions by outcome, as
    reports.selectors.report_decisions counts them for that year. One grouped query over the
    rollup (a few rows per operator and month, summed per year in SQL), whatever the number of
    decisions."""
    out: dict[int, dict[int, dict[str, int]]] = {year: {} for year in years}
    if not years:
        return out
    rows = (
        DecisionRollup.objects.filter(
            system_operator__in=operators,
            month__gte=date(min(years), 1, 1),
            month__lt=date(max(years) + 1, 1, 1),
        )
        .order_by()
        .values_list(ExtractYear("month"), "system_operator_id", "status")
        .annotate(n=Sum("decisions"))
    )
    for year, so_id, status, n in rows:
        if year in out and n:
            out[year].setdefault(so_id, {})[status] = n
    return out
