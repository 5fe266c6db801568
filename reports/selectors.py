"""Scoped reads for the annual report to the regulator (SPEC R9, §4).

NRA analysts and admins read every operator's figures; SO engineers and viewers their own
operator's only; anyone else gets 404. Every query here is a lazy queryset: the builder in
reports.builder aggregates them in the database or iterates them in chunks.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager
from datetime import datetime

from django.db import NotSupportedError, connections, transaction
from django.db.models import F, FloatField, Func, QuerySet
from django.http import Http404

from accounts.selectors import user_roles
from limits.models import LimitRefusal, TemporaryLimit
from observability.models import SystemOperator
from prequal.models import DECISION_TIME_ZONE, Assessment
from prequal.selectors.decisions import decision_rollup_counts

# The year a decision belongs to is counted in this zone (the regulator's, Sweden by default):
# the decisions' rollup's months are counted in it (prequal.models.rollup).
REPORT_TIME_ZONE = DECISION_TIME_ZONE


def report_may_read(*, user) -> bool:
    """Whether the user may open the report at all (NRA, admins, SO members)."""
    roles = user_roles(user=user)
    return roles.sees_everything or roles.is_so


def report_operators_for_user(
    *, user, operator: int | None = None, tier: str | None = None
) -> QuerySet[SystemOperator]:
    """The operators whose figures the user may read, narrowed by operator and tier.

    404 for users without report access, and for an operator outside the user's scope (an SO
    member asking for another operator's figures learns nothing about it).
    """
    roles = user_roles(user=user)
    if not report_may_read(user=user):
        raise Http404
    qs = SystemOperator.objects.select_related("organisation").order_by("organisation__name", "pk")
    if not roles.sees_everything:
        qs = qs.filter(organisation_id__in=roles.so_org_ids)
    if operator is not None:
        qs = qs.filter(pk=operator)
        if not qs.exists():
            raise Http404
    if tier:
        qs = qs.filter(tier=tier)
    return qs


def report_year_bounds(*, year: int) -> tuple[datetime, datetime]:
    """[start, end) of the calendar year in the report's time zone, as aware datetimes."""
    return (
        datetime(year, 1, 1, tzinfo=REPORT_TIME_ZONE),
        datetime(year + 1, 1, 1, tzinfo=REPORT_TIME_ZONE),
    )


def report_decisions(*, operators: QuerySet[SystemOperator], year: int) -> QuerySet[Assessment]:
    """Assessments of `operators` decided in `year` (any round, every outcome)."""
    start, end = report_year_bounds(year=year)
    return Assessment.objects.filter(
        system_operator__in=operators,
        status__in=Assessment.DECIDED,
        decided_at__gte=start,
        decided_at__lt=end,
    )


def report_decision_counts(
    *, operators: QuerySet[SystemOperator], years: Sequence[int]
) -> dict[int, dict[int, dict[str, int]]]:
    """Per year, per operator id: report_decisions(operators, year) counted by outcome, as
    reports.builder.decision_counts counts them, read from the decisions' rollup kept at write
    time (prequal.services.decision_rollup): one query for all `years`, a few rows per operator
    and month."""
    return decision_rollup_counts(operators=operators, years=years)


class _DecisionSeconds(Func):
    """Seconds from the start of the clock to the decision, computed natively by the database
    (SQLite's Python fallback for datetime subtraction would be called once per row)."""

    output_field = FloatField()

    def as_sql(self, compiler, connection, **extra_context):
        if connection.vendor == "postgresql":
            template = "EXTRACT(EPOCH FROM (%(expressions)s))"
            return super().as_sql(
                compiler, connection, template=template, arg_joiner=" - ", **extra_context
            )
        if connection.vendor == "sqlite":
            template = "((julianday(%(expressions)s)) * 86400.0)"
            return super().as_sql(
                compiler, connection, template=template, arg_joiner=") - julianday(", **extra_context
            )
        raise NotSupportedError("The report supports PostgreSQL and SQLite.")


def with_decision_time(qs: QuerySet[Assessment]) -> QuerySet[Assessment]:
    """Annotate `seconds`: from the start of the clock (submission, or completion after R3)
    to the decision. Approvals by silence count with their decision time, the deadline.
    NULL without a clock start (none in practice): aggregates leave it out."""
    return qs.annotate(
        seconds=_DecisionSeconds(F("decided_at"), F("clock_started_at"))
    )


def report_limits(*, operators: QuerySet[SystemOperator], year: int):
    """Temporary limits `operators` published in `year`."""
    start, end = report_year_bounds(year=year)
    return TemporaryLimit.objects.filter(
        system_operator__in=operators, created_at__gte=start, created_at__lt=end
    ).with_effective_period()


def report_limit_refusals(*, operators: QuerySet[SystemOperator], year: int):
    """New limits of `operators` refused as published too late (R7) in `year`.

    A refused change of a published limit is not a limit attempt of its own: left out, as in
    limits.selectors.limit_statistics, so the share refused is refused / (published + refused).
    """
    start, end = report_year_bounds(year=year)
    return LimitRefusal.objects.filter(
        system_operator__in=operators, at__gte=start, at__lt=end, limit__isnull=True
    )


def report_years_for_user(*, user) -> list[int]:
    """Years with decisions the user may read, newest first (for the year picker)."""
    operators = report_operators_for_user(user=user)
    years = (
        Assessment.objects.filter(
            system_operator__in=operators, status__in=Assessment.DECIDED, decided_at__isnull=False
        )
        .datetimes("decided_at", "year", tzinfo=REPORT_TIME_ZONE)
    )
    return sorted({d.year for d in years}, reverse=True)


# Memory PostgreSQL may use per sort of the report's queries (theirs, not this process's):
# the year's decisions sort in memory instead of spilling to disk.
REPORT_WORK_MEM = "64MB"


@contextmanager
def report_read_session(alias: str):
    """On PostgreSQL, run the report's reads in one read transaction with settings of its own
    (SET LOCAL: gone at its end): sorts in memory (work_mem); server-side cursors that stream
    (outside a transaction they are WITH HOLD, materialised first) and are planned for the
    whole result rather than the first tenth (cursor_tuple_fraction), which halves the time.
    Elsewhere nothing: a long SQLite read transaction would hold writers back."""
    if connections[alias].vendor != "postgresql":
        yield
        return
    with transaction.atomic(using=alias):
        with connections[alias].cursor() as cursor:
            cursor.execute("SET LOCAL cursor_tuple_fraction = 1.0")
            cursor.execute("SELECT set_config('work_mem', %s, true)", [REPORT_WORK_MEM])
        yield
