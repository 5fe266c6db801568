"""Real concurrency: threads with their own database connections deciding and sweeping at once.

On PostgreSQL the case row lock (select_for_update; skip_locked in the sweep) and
ConcurrentTransitionMixin's status-filtered UPDATE decide who wins; on SQLite the IMMEDIATE
transaction mode serialises the writers. Either way exactly one change lands, with one
audit entry, and the loser is told or skips.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection

from prequal.models import Assessment, CaseEvent
from prequal.services.cases import CaseChangedMeanwhile, assessment_decide
from prequal.services.sweep import deadlines_sweep
from tests.factories import MembershipFactory, UserFactory
from tests.workflow_helpers import T0

# Threads need their own connections to one database: SQLite's in-memory test database cannot
# give them that, so these run in the PostgreSQL pass (`make test` runs both passes).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

DUE = datetime(2027, 4, 11, 8, 0, tzinfo=UTC)


def run_together(*jobs):
    """Run the callables in threads released at the same moment; returns their results/errors."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def runner(index, job):
        try:
            prepared = job[0]()  # load the copy before the race starts
            barrier.wait(timeout=10)
            results[index] = ("ok", job[1](prepared))
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            results[index] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def case(wf):
    with time_machine.travel(T0, tick=False):
        return wf.submitted()


def test_two_engineers_at_the_same_moment_exactly_one_wins(wf, case):
    colleague = UserFactory(username="colleague")
    MembershipFactory(user=colleague, organisation=wf.cast.local.organisation, role="so_engineer")
    pk = wf.assessment(case, wf.cast.local).pk

    def load():
        return Assessment.objects.get(pk=pk)

    results = run_together(
        (load, lambda a: assessment_decide(user=wf.cast.local_engineer, assessment=a, outcome="approved")),
        (
            load,
            lambda a: assessment_decide(
                user=colleague,
                assessment=a,
                outcome="not_approved",
                justification="Full",
                limits_explanation="Structural",
            ),
        ),
    )
    outcomes = sorted(kind for kind, _ in results)
    assert outcomes == ["error", "ok"], results
    error = next(value for kind, value in results if kind == "error")
    assert isinstance(error, CaseChangedMeanwhile), error
    assert CaseEvent.objects.filter(assessment_id=pk).count() == 1
    assert Assessment.objects.get(pk=pk).status in ("approved", "not_approved")


def test_engineer_and_sweep_at_the_same_moment_exactly_one_wins(wf, case):
    pk = wf.assessment(case, wf.cast.local).pk

    def load():
        return Assessment.objects.get(pk=pk)

    results = run_together(
        (load, lambda a: assessment_decide(user=wf.cast.local_engineer, assessment=a, outcome="approved")),
        (lambda: None, lambda _: deadlines_sweep(now=DUE)),
    )
    decided, swept = results
    assert swept[0] == "ok", swept
    status = Assessment.objects.get(pk=pk).status
    if decided[0] == "ok":
        assert status == "approved"
    else:
        assert isinstance(decided[1], CaseChangedMeanwhile), decided
        assert status == "approved_by_silence"
    assert CaseEvent.objects.filter(assessment_id=pk).count() == 1


def test_two_sweeps_at_the_same_moment_apply_each_deadline_once(wf, case):
    with time_machine.travel(T0, tick=False):
        others = [wf.spg_case() for _ in range(3)]
    due = Assessment.objects.filter(status="pending").count()
    results = run_together(
        (lambda: None, lambda _: deadlines_sweep(now=DUE, batch=2)),
        (lambda: None, lambda _: deadlines_sweep(now=DUE, batch=2)),
    )
    assert [kind for kind, _ in results] == ["ok", "ok"], results
    # What one sweep skipped (locked by the other) the next run picks up.
    leftover = deadlines_sweep(now=DUE).silenced
    assert sum(r.silenced for _, r in results) + leftover == due
    assert CaseEvent.objects.filter(action="apply_silence").count() == due
    assert not Assessment.objects.filter(status="pending").exists()
    for c in [case, *others]:
        assert CaseEvent.objects.filter(case=c, assessment__isnull=True, action="approve").count() == 1
