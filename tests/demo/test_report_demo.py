"""The demo's year of decisions (demo/cases.py): plausible, audited, loaded once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from demo.cases import demo_decisions_load
from demo.load import demo_data_load
from limits.models import LimitEvent, LimitRefusal, TemporaryLimit
from prequal.models import Assessment, Case, CaseEvent, Condition
from reports.annual import report_for_user

S = Assessment.Status
NOW = datetime(2026, 11, 22, 9, tzinfo=UTC)


@pytest.fixture
def demo(db):
    with time_machine.travel(NOW, tick=False):
        demo_data_load()


def test_last_year_has_every_outcome_conditions_justifications_and_limits(demo):
    analyst = User.objects.get(username="analyst-ei")
    report = report_for_user(user=analyst, year=2025)
    total = report.table("outcomes").rows
    *_, all_ops = list(total())
    approved, silence, conditional, refused, decisions = all_ops[3:]
    assert decisions >= 150
    assert min(approved, silence, conditional, refused) > 0
    assert approved > conditional > refused
    listed = list(report.table("conditional_and_refused").rows())
    assert len(listed) == conditional + refused
    for row in listed:
        if row[6] == "Not approved":
            assert row[9] and row[10]  # justification and why limits cannot help (R6)
        else:
            assert row[8] and row[11]  # reason and conditions
    months = list(report.table("limits_per_month").rows())
    assert all(set_ > 0 for _m, set_, _r in months)
    assert sum(r for *_x, r in months) > 0


def test_every_decision_is_attributed_and_audited(demo):
    decided = Assessment.objects.filter(status__in=Assessment.DECIDED)
    assert not decided.filter(decided_at__gt=NOW).exists()
    assert not decided.exclude(status=S.APPROVED_BY_SILENCE).filter(decided_by__isnull=True).exists()
    events = dict(
        CaseEvent.objects.filter(assessment__isnull=False).values_list("assessment_id").annotate(n=Count("pk"))
    )
    assert all(events.get(pk) == 1 for pk in decided.values_list("pk", flat=True))
    assert not Assessment.objects.filter(status=S.PENDING, deadline__lte=NOW).exists()
    # Cases follow R5 from their assessments.
    for case in Case.objects.filter(status__in=Case.DECIDED).prefetch_related("assessments"):
        statuses = {a.status for a in case.assessments.all()}
        expected = (
            Case.Status.NOT_APPROVED if S.NOT_APPROVED in statuses
            else Case.Status.CONDITIONALLY_APPROVED if S.CONDITIONALLY_APPROVED in statuses
            else Case.Status.APPROVED
        )
        assert case.status == expected
    assert Condition.objects.exists()
    assert LimitEvent.objects.filter(action="create").count() == TemporaryLimit.objects.count()
    assert LimitRefusal.objects.filter(at__gt=NOW).count() == 0


def test_a_second_load_creates_nothing(demo):
    def counts():
        return [m.objects.count() for m in (Case, Assessment, CaseEvent, TemporaryLimit, LimitRefusal, User)]

    before = counts()
    with time_machine.travel(NOW, tick=False):
        assert not demo_decisions_load()
        demo_data_load()
    assert counts() == before


def test_the_list_reads_the_decisions_once_per_query(demo):
    """No subquery for the planner to rescan: with statistics taken while the tables were empty
    (as earlier tests in a worker leave them), `conditions WHERE assessment_id IN (SELECT
    decisions)` became a nested loop that read the decisions once per condition, two million
    buffers for the demo's year, and ran past CI's statement timeout. Each of the two merged
    queries reads the decisions in one scan, joined."""
    analyst = User.objects.get(username="analyst-ei")
    report = report_for_user(user=analyst, year=2025)
    with CaptureQueriesContext(connection) as captured:
        listed = list(report.table("conditional_and_refused").rows())
    assert listed
    # On PostgreSQL streamed through server-side cursors: DECLARE "…" NO SCROLL CURSOR FOR SELECT …
    statements = [q["sql"].split(" CURSOR FOR ", 1)[-1] for q in captured.captured_queries]
    selects = [sql for sql in statements if sql.startswith("SELECT") and '"prequal_assessment"' in sql]
    assert len(selects) == 2  # the decisions, and the decisions joined to their conditions
    for sql in selects:
        assert sql.count('FROM "prequal_assessment"') + sql.count('JOIN "prequal_assessment"') == 1, sql
