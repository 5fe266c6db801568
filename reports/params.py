"""The report's parameters (year, operator, tier) as the page and the API take them: one home for
the defaults and the scope check, so both show the same report for the same question."""

from __future__ import annotations

from django.http import QueryDict
from django.utils import timezone

from reports.forms import ReportFilterForm
from reports.selectors import REPORT_TIME_ZONE, report_operators_for_user, report_years_for_user


def report_default_year(*, years: list[int]) -> int:
    """The newest year with decisions the user may read, else this year (the report's zone)."""
    return years[0] if years else timezone.localtime(timezone.now(), REPORT_TIME_ZONE).year


def report_operator_in_scope(*, user, raw_operator) -> None:
    """404 for an operator outside the user's scope (not a form error): nothing confirms that it
    exists. Anything that is not a number is left to the form or serializer to refuse."""
    if str(raw_operator or "").isdigit():
        report_operators_for_user(user=user, operator=int(raw_operator))


def report_params_from_query(*, user, query: QueryDict) -> tuple[ReportFilterForm, dict | None]:
    """The page's filter form and, when it is valid, the report's parameters (404 without access)."""
    operators = report_operators_for_user(user=user)  # 404 without report access
    report_operator_in_scope(user=user, raw_operator=query.get("operator", ""))
    years = report_years_for_user(user=user)
    data = query.copy()
    if not data.get("year"):
        data["year"] = str(report_default_year(years=years))
    asked = [int(data["year"])] if data["year"].isdigit() else []
    this_year = timezone.localtime(timezone.now(), REPORT_TIME_ZONE).year
    shown = sorted({*years, this_year, *asked}, reverse=True)
    form = ReportFilterForm(data, operators=operators, years=shown)
    if not form.is_valid():
        return form, None
    operator = form.cleaned_data["operator"]
    return form, {
        "year": form.cleaned_data["year"],
        "operator": operator.pk if operator else None,
        "tier": form.cleaned_data["tier"] or None,
    }
