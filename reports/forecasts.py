"""The annual report's section on congestion forecasts (R9, R12): per operator, the forecasts it
published in the year, and how many of its day-ahead forecasts were on time, late or missing
(forecasts.discipline: days of the year whose deadline has passed by the time of the report).

One table: reports.builder makes it a Table like the others (this module stays below the builder),
so the page, CSV, XLSX and PDF show it alike.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import Count
from django.utils.translation import gettext as _

from forecasts.discipline import day_ahead_discipline, discipline_summary
from forecasts.models import Publication
from observability.models import SystemOperator
from reports.selectors import report_year_bounds


def _published(*, operators: list[SystemOperator], year: int) -> dict[int, int]:
    start, end = report_year_bounds(year=year)
    in_year = Publication.objects.filter(published_at__gte=start, published_at__lt=end)
    rows = (
        in_year.filter(system_operator_id__in=[so.pk for so in operators])
        .order_by()
        .values("system_operator_id")
        .annotate(n=Count("pk"))
        .values_list("system_operator_id", "n")
    )
    return dict(rows)


def forecast_rows(*, operators: list[SystemOperator], year: int, now: datetime) -> list[list]:
    """Per operator (then all): publications, day-ahead days on time, late, missing, share on time.

    `operators` as the builder read them (with their organisations): not read again here."""
    ops = operators
    published = _published(operators=operators, year=year)
    statuses = day_ahead_discipline(
        system_operators=ops, first_day=date(year, 1, 1), last_day=date(year, 12, 31), now=now
    )
    rows, totals = [], [0, 0, 0, 0]
    for so in ops:
        figures = discipline_summary(statuses.get(so.pk, []))
        counts = [published.get(so.pk, 0), figures.on_time, figures.late, figures.missing]
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
        rows.append([so.organisation.name, *counts, figures.share_on_time])
    judged = sum(totals[1:])
    rows.append([_("All operators"), *totals, round(100.0 * totals[1] / judged, 2) if judged else None])
    return rows


def forecast_table(*, operators: list[SystemOperator], year: int, now: datetime) -> tuple:
    """(key, title, columns, rows, widths) of reports.builder.Table."""
    rows = forecast_rows(operators=operators, year=year, now=now)
    columns = [
        _("Operator"), _("Forecasts published"), _("Day-ahead on time (days)"), _("Day-ahead late (days)"),
        _("Day-ahead missing (days)"), _("Share on time (%)"),
    ]
    return "forecasts", _("Congestion forecasts"), columns, lambda: iter(rows), [3, 1.2, 1.4, 1.4, 1.4, 1.2]
