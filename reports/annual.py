"""The annual report to the regulator (SPEC R9): one builder, three downloads and a page.

    report = report_for_user(user=..., year=2026)          # scoped: 404 outside the scope
    report_csv_lines(report) / report_xlsx_write(...) / report_pdf_write(...)
"""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from observability.models import SystemOperator
from reports.builder import Report, Table, cell_text, report_build
from reports.selectors import REPORT_TIME_ZONE, report_operators_for_user

__all__ = ["Report", "Table", "cell_text", "report_filename", "report_for_user"]


def report_for_user(
    *, user, year: int, operator: int | None = None, tier: str | None = None, now: datetime | None = None
) -> Report:
    """The report for `year` over the operators the user may read (404 for anything else)."""
    operators = report_operators_for_user(user=user, operator=operator, tier=tier)
    if operator is not None:
        scope_label = operators.first().name if operators.exists() else _("none of this tier")
    else:
        scope_label = _("all operators you may read")
    tier_label = str(SystemOperator.Tier(tier).label) if tier else _("all tiers")
    return report_build(
        operators=operators, year=year, scope_label=scope_label, tier_label=tier_label, now=now
    )


def report_filename(*, year: int, extension: str, made: date | None = None) -> str:
    """e.g. gridprequal-annual-report-2026-made-2026-11-22.xlsx (the date in the report's zone)."""
    made = made or timezone.localtime(timezone.now(), REPORT_TIME_ZONE).date()
    return f"gridprequal-annual-report-{year}-made-{made:%Y-%m-%d}.{extension}"
