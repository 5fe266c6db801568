"""The NRA analyst's year at a glance: the annual report's headline figures (SPEC R9) for this
year and the one before, and each operator's with a link to its cases.

The figures are the report's own: its decisions counted by operator and outcome
(reports.selectors.report_decision_counts: report_decisions as reports.builder.decision_counts
counts them, read from the rollup the decision services keep, so both years are one query over a
few rows per operator and month; tests/dashboards/test_nra_rollup.py holds the two routes equal), and
limits.selectors.limit_figures_per_so over its limits, never counted a second way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import user_roles
from dashboards.figures import Figure, list_url
from limits.selectors import limit_figures_per_so
from prequal.models import Assessment
from reports.builder import OUTCOME_KEYS
from reports.selectors import (
    REPORT_TIME_ZONE,
    report_decision_counts,
    report_limit_refusals,
    report_limits,
    report_operators_for_user,
)

S = Assessment.Status
# Operators listed for the drill-down, most decisions first; the report lists them all.
OPERATOR_ROWS = 20


@dataclass(frozen=True)
class OperatorRow:
    pk: int
    name: str
    decisions: int
    refused: int
    url: str


@dataclass(frozen=True)
class NraDashboard:
    year: int
    headline: list[Figure]
    operators: list[OperatorRow]
    more_operators: int
    report_url: str


def _year_figures(*, operators, year: int, per_so: dict[int, dict]) -> tuple[dict[int, dict], dict]:
    """`per_so`: the year's decision counts per operator id; with the year's totals (limits
    included)."""
    limits = limit_figures_per_so(
        limits=report_limits(operators=operators, year=year),
        refusals=report_limit_refusals(operators=operators, year=year),
    )
    totals = {k: sum(row.get(k, 0) for row in per_so.values()) for k in OUTCOME_KEYS}
    totals["decisions"] = sum(totals[k] for k in OUTCOME_KEYS)
    totals["limits"] = sum(row["count"] for row in limits.values())
    return per_so, totals


def nra_dashboard(*, user, now: datetime | None = None) -> NraDashboard | None:
    """This year's figures (local calendar year) against last year's; None for non-analysts."""
    if not user_roles(user=user).is_nra:
        return None
    year = timezone.localtime(now or timezone.now(), REPORT_TIME_ZONE).year
    operators = report_operators_for_user(user=user)
    decided = report_decision_counts(operators=operators, years=(year - 1, year))
    per_so, this = _year_figures(operators=operators, year=year, per_so=decided[year])
    _per_so_before, before = _year_figures(operators=operators, year=year - 1, per_so=decided[year - 1])
    report = list_url("reports:report", year=year)
    labels = (
        ("decisions", _("Assessments decided")),
        (S.NOT_APPROVED, _("Refused")),
        (S.CONDITIONALLY_APPROVED, _("Approved with conditions")),
        (S.APPROVED_BY_SILENCE, _("Approved by silence (tacit)")),
        ("limits", _("Temporary limits set")),
    )
    headline = [
        Figure(str(key), label, this[key], report, change=this[key] - before[key]) for key, label in labels
    ]
    names = dict(operators.filter(pk__in=list(per_so)).values_list("pk", "organisation__name"))
    rows = sorted(
        (
            OperatorRow(
                pk=pk, name=names.get(pk, ""), decisions=sum(row.get(k, 0) for k in OUTCOME_KEYS),
                refused=row.get(S.NOT_APPROVED, 0), url=list_url("prequal:case-list", operator=pk),
            )
            for pk, row in per_so.items()
        ),
        key=lambda r: (-r.decisions, r.name),
    )
    return NraDashboard(
        year=year, headline=headline, operators=rows[:OPERATOR_ROWS],
        more_operators=max(0, len(rows) - OPERATOR_ROWS), report_url=report,
    )
