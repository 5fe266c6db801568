"""The decisions' rollup (prequal.services.decision_rollup) is the report's own count, kept at
write time: after any sequence of the services that decide, silence, re-assess or withdraw —
across a month and a year boundary in Stockholm time — it reads exactly what
reports.builder.decision_counts counts over reports.selectors.report_decisions, and the SQL
rebuild makes the same rows. The NRA dashboard reads it and still shows the report's figures."""

from __future__ import annotations

import io
import random
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction

from dashboards.selectors_nra import nra_dashboard
from observability.models import SystemOperator
from prequal.models import Assessment, Case, DecisionRollup
from prequal.services.cases import (
    DeadlinePassed,
    assessment_apply_silence,
    assessment_declare_incomplete,
    case_withdraw,
    resource_material_change,
)
from prequal.services.decision_rollup import decision_month, decision_rollup_rebuild
from prequal.services.sweep import deadlines_sweep
from reports.builder import OUTCOME_KEYS, decision_counts
from reports.selectors import report_decision_counts, report_decisions
from tests.dashboards.helpers import local_cases
from tests.workflow_helpers import approve, approve_conditionally, refuse

pytestmark = pytest.mark.django_db

S = Assessment.Status
YEARS = (2026, 2027)
# Either side of midnight in Stockholm (UTC+1 in winter): a year's and a month's last minutes
# and the next one's first.
MOMENTS = (
    datetime(2026, 12, 31, 22, 40, tzinfo=UTC),  # 31 Dec 2026, 23:40 in Stockholm
    datetime(2026, 12, 31, 23, 20, tzinfo=UTC),  # 1 Jan 2027, 00:20 (still 2026 in UTC)
    datetime(2027, 1, 31, 22, 50, tzinfo=UTC),  # 31 Jan, 23:50
    datetime(2027, 1, 31, 23, 10, tzinfo=UTC),  # 1 Feb, 00:10 (January in UTC)
)
SUBMITTED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def rollup_rows() -> set[tuple]:
    return set(
        DecisionRollup.objects.exclude(decisions=0).values_list(
            "system_operator_id", "month", "status", "decisions"
        )
    )


def assert_rollup_is_the_report() -> None:
    """The rollup read per year equals the report's direct count; the rebuild keeps every row."""
    operators = SystemOperator.objects.all()
    read = report_decision_counts(operators=operators, years=YEARS)
    for year in YEARS:
        assert read[year] == decision_counts(report_decisions(operators=operators, year=year)), year
    kept = rollup_rows()
    decision_rollup_rebuild()
    assert rollup_rows() == kept


class Sequence:
    """Random service calls on the local DSO's and the TSO's assessments of a few cases."""

    def __init__(self, wf, rng: random.Random) -> None:
        self.wf, self.rng = wf, rng
        self.engineers = {wf.cast.local.pk: wf.cast.local_engineer, wf.cast.tso.pk: wf.cast.tso_engineer}

    def pending(self) -> Assessment | None:
        rows = list(Assessment.objects.filter(status=S.PENDING).order_by("pk"))
        return self.rng.choice(rows) if rows else None

    def submit(self, at: datetime) -> None:
        local_cases(self.wf, 1, at=at)

    def decide(self, at: datetime) -> None:
        assessment = self.pending()
        if assessment is not None:
            decide = self.rng.choice((approve, approve_conditionally, refuse))
            with time_machine.travel(at, tick=False):
                decide(self.engineers[assessment.system_operator_id], assessment)

    def sweep(self, at: datetime) -> None:
        """One or two assessments due a minute ago, then the deadline sweep (one batch UPDATE)."""
        for _ in range(self.rng.randint(1, 2)):
            assessment = self.pending()
            if assessment is not None:
                Assessment.objects.filter(pk=assessment.pk).update(deadline=at - timedelta(minutes=1))
        with time_machine.travel(at, tick=False):
            deadlines_sweep(now=at)

    def too_late(self, at: datetime) -> None:
        """An engineer decides past the deadline: approved by silence there and then (R4)."""
        assessment = self.pending()
        if assessment is None:
            return
        Assessment.objects.filter(pk=assessment.pk).update(deadline=at - timedelta(seconds=1))
        assessment.refresh_from_db()
        with time_machine.travel(at, tick=False), pytest.raises(DeadlinePassed):
            approve(self.engineers[assessment.system_operator_id], assessment)
        assessment_apply_silence(assessment=assessment, now=at)  # idempotent: already applied

    def incomplete(self, at: datetime) -> None:
        assessment = self.pending()
        if assessment is not None:
            with time_machine.travel(at, tick=False):
                assessment_declare_incomplete(
                    user=self.engineers[assessment.system_operator_id], assessment=assessment,
                    missing_information="The single-line diagram.",
                )

    def reassess(self, at: datetime) -> None:
        """A material change of a case's SPU (R2): open ones cancelled, a new round opened."""
        cases = list(Case.objects.filter(status__in=[*Case.DECIDED, Case.Status.UNDER_ASSESSMENT]))
        if cases:
            case = self.rng.choice(cases)
            with time_machine.travel(at, tick=False), transaction.atomic():
                resource_material_change(spu=case.spu, reason="Capacity raised.")

    def withdraw(self, at: datetime) -> None:
        cases = list(Case.objects.filter(status=Case.Status.UNDER_ASSESSMENT).order_by("pk"))
        if cases:
            with time_machine.travel(at, tick=False):
                case_withdraw(user=self.wf.cast.fsp_a_user, case=self.rng.choice(cases))

    def run(self, steps: int) -> None:
        actions = (
            self.submit, self.decide, self.decide, self.decide, self.sweep, self.too_late,
            self.incomplete, self.reassess, self.withdraw,
        )
        for at in sorted(self.rng.choice(MOMENTS) for _ in range(steps)):
            self.rng.choice(actions)(at + timedelta(seconds=self.rng.randint(0, 59)))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_after_random_service_calls_the_rollup_is_the_reports_count(wf, seed):
    local_cases(wf, 6, at=SUBMITTED)
    sequence = Sequence(wf, random.Random(seed))
    for _ in range(3):
        sequence.run(steps=12)
        assert_rollup_is_the_report()
    decided = Assessment.objects.filter(status__in=Assessment.DECIDED)
    assert decided.exists()
    assert {decision_month(a.decided_at).year for a in decided} <= set(YEARS)


def test_a_decision_counts_in_its_stockholm_month_and_year(wf):
    """23:20 UTC on New Year's Eve is 2027 in Stockholm; 23:10 UTC on 31 January is February."""
    cases = local_cases(wf, 3, at=SUBMITTED)
    for case, at in zip(cases, (MOMENTS[0], MOMENTS[1], MOMENTS[3]), strict=True):
        with time_machine.travel(at, tick=False):
            approve(wf.cast.local_engineer, wf.assessment(case, wf.cast.local))
    assert rollup_rows() == {
        (wf.cast.local.pk, date(2026, 12, 1), S.APPROVED, 1),
        (wf.cast.local.pk, date(2027, 1, 1), S.APPROVED, 1),
        (wf.cast.local.pk, date(2027, 2, 1), S.APPROVED, 1),
    }
    assert_rollup_is_the_report()


def test_a_reassessment_keeps_the_old_decision_counted(wf):
    """report_decisions counts every round: the decided assessment of round 1 stays decided."""
    case = local_cases(wf, 1, at=SUBMITTED)[0]
    with time_machine.travel(MOMENTS[0], tick=False):
        refuse(wf.cast.local_engineer, wf.assessment(case, wf.cast.local))
        with transaction.atomic():
            resource_material_change(spu=case.spu, reason="Capacity raised.")
    assert Case.objects.get(pk=case.pk).round == 2
    assert rollup_rows() == {(wf.cast.local.pk, date(2026, 12, 1), S.NOT_APPROVED, 1)}
    assert_rollup_is_the_report()


def test_the_rebuild_command_makes_the_same_rows_after_a_bulk_load(wf):
    local_cases(wf, 4, at=SUBMITTED)
    Sequence(wf, random.Random(7)).run(steps=15)
    kept = rollup_rows()
    DecisionRollup.objects.all().delete()  # as a load past the services leaves it
    out = io.StringIO()
    call_command("decision_rollup_rebuild", stdout=out)
    assert out.getvalue().startswith(f"{len(kept)} ")
    assert rollup_rows() == kept


def test_the_nra_dashboard_is_the_reports_count_per_operator(wf):
    local_cases(wf, 6, at=SUBMITTED)
    Sequence(wf, random.Random(11)).run(steps=30)
    with time_machine.travel(datetime(2027, 3, 1, 9, 0, tzinfo=UTC), tick=False):
        dashboard = nra_dashboard(user=wf.cast.nra_analyst)
    direct = decision_counts(report_decisions(operators=SystemOperator.objects.all(), year=2027))
    assert {row.pk: (row.decisions, row.refused) for row in dashboard.operators} == {
        so: (sum(row.get(k, 0) for k in OUTCOME_KEYS), row.get(S.NOT_APPROVED, 0))
        for so, row in direct.items()
    }
    headline = {f.key: f.count for f in dashboard.headline}
    assert headline["decisions"] == sum(sum(row.values()) for row in direct.values())


def test_the_demo_data_fill_the_rollup(db):
    """demo/load.py writes its history past the services and rebuilds the rollup; the demo's
    dashboard cases are decided through them: the rollup is the report's count either way."""
    from demo.dashboards import demo_dashboard_load
    from demo.load import demo_data_load

    with time_machine.travel(datetime(2026, 11, 22, 9, tzinfo=UTC), tick=False):
        demo_data_load()
        demo_dashboard_load()
    operators = SystemOperator.objects.all()
    read = report_decision_counts(operators=operators, years=(2025, 2026))
    for year in (2025, 2026):
        assert read[year] == decision_counts(report_decisions(operators=operators, year=year)), year
        assert read[year]
