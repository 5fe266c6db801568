"""R4 Deadlines and silence: rules as data, the sweep, silence, reminders (the local-calendar
arithmetic is R10 Time: tests/rules/test_r10_time.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from common.exceptions import ApplicationError
from prequal.models import Assessment, AssessmentReminder, Case, CaseEvent, Condition, DeadlineRule, Product
from prequal.services.cases import (
    CaseChangedMeanwhile,
    DeadlinePassed,
    assessment_decide,
    assessment_declare_incomplete,
    case_submit,
)
from prequal.services.deadlines import deadline_rule_in_force
from prequal.services.sweep import deadlines_sweep
from tests.factories import ProductFactory, SpuFactory
from tests.workflow_helpers import T0, approve, approve_conditionally, case_page, refuse

C = Case.Status
A = Assessment.Status
STOCKHOLM = "Europe/Stockholm"
# A case submitted at T0 (2027-01-11 10:00 in Stockholm): three months, 10:00 CEST.
DEADLINE = datetime(2027, 4, 11, 8, 0, tzinfo=UTC)


# --- rules as data --------------------------------------------------------------------------


def test_the_rule_in_force_at_submission_applies_and_is_stored(wf):
    default = DeadlineRule.objects.get(jurisdiction="")
    swedish = DeadlineRule.objects.create(
        jurisdiction="SE",
        name="Swedish rule",
        legal_basis="Ellag 2027:1",
        period_months=2,
        valid_from=datetime(2027, 6, 1, tzinfo=UTC),
    )
    with time_machine.travel(datetime(2027, 5, 31, 10, 0, tzinfo=UTC), tick=False):
        before = wf.submitted()
    with time_machine.travel(datetime(2027, 6, 1, 10, 0, tzinfo=UTC), tick=False):
        after = wf.submitted(
            spu=SpuFactory(fsp=wf.cast.fsp_a, connection_point=wf.spu.connection_point, code="BAT-2")
        )
    assert {a.deadline_rule for a in before.assessments.all()} == {default}
    assert {a.deadline_rule for a in after.assessments.all()} == {swedish}
    assert {a.deadline for a in after.assessments.all()} == {datetime(2027, 8, 1, 10, 0, tzinfo=UTC)}
    # A newer rule later does not move deadlines already running.
    DeadlineRule.objects.create(
        jurisdiction="SE",
        name="Newer",
        legal_basis="x",
        period_months=1,
        valid_from=datetime(2027, 7, 1, tzinfo=UTC),
    )
    assert {a.deadline for a in after.assessments.all()} == {datetime(2027, 8, 1, 10, 0, tzinfo=UTC)}


def test_another_countrys_rule_does_not_apply(wf):
    DeadlineRule.objects.create(
        jurisdiction="NO",
        name="Norway",
        legal_basis="x",
        period_months=1,
        valid_from=datetime(2020, 1, 1, tzinfo=UTC),
    )
    rule = deadline_rule_in_force(system_operator=wf.cast.local, at=datetime(2027, 1, 1, tzinfo=UTC))
    assert rule.jurisdiction == ""


def test_reserves_and_local_products_cite_their_own_rules(wf, api_as, client):
    """Reserves keep SO GL Art. 182(3); a local congestion product cites its jurisdiction's rule,
    and the deadline shows that legal basis on the page and in the API."""
    local_rule = DeadlineRule.objects.create(
        jurisdiction="SE", product_kind=Product.Kind.LOCAL, name="Local congestion products (SE)",
        legal_basis="Swedish local rule", period_months=2, valid_from=datetime(2020, 1, 1, tzinfo=UTC),
    )
    # Another country's local rule and a catch-all local rule lose to Sweden's own.
    DeadlineRule.objects.create(jurisdiction="NO", product_kind=Product.Kind.LOCAL, name="NO",
                                legal_basis="no",
                                valid_from=datetime(2020, 1, 1, tzinfo=UTC))
    DeadlineRule.objects.create(product_kind=Product.Kind.LOCAL, name="any", legal_basis="any",
                                valid_from=datetime(2021, 1, 1, tzinfo=UTC))
    local_product = ProductFactory(code="local-flex", kind=Product.Kind.LOCAL, procuring_so=wf.cast.local)
    with time_machine.travel(T0, tick=False):
        reserve = wf.submitted()
        local = wf.submitted(product=local_product)
    assert {a.deadline_rule.legal_basis for a in reserve.assessments.all()} == {"SO GL Art. 182(3)"}
    assessment = local.assessments.get()
    assert assessment.deadline_rule == local_rule
    assert assessment.deadline == datetime(2027, 3, 11, 9, 0, tzinfo=UTC)  # two months, 10:00 CET

    body = api_as(wf.cast.fsp_a_user).get(reverse("api:case-detail", args=[local.pk])).json()
    assert body["assessments"][0]["legal_basis"] == "Swedish local rule"
    client.force_login(wf.cast.fsp_a_user)
    assert '<span class="basis">Swedish local rule</span>' in client.get(case_page(local)).content.decode()


def test_a_rule_for_every_kind_of_the_own_country_beats_a_foreign_or_catch_all_kind_rule(wf):
    swedish = DeadlineRule.objects.create(jurisdiction="SE", name="SE", legal_basis="se",
                                          valid_from=datetime(2020, 1, 1, tzinfo=UTC))
    DeadlineRule.objects.create(product_kind=Product.Kind.LOCAL, name="any", legal_basis="any",
                                valid_from=datetime(2021, 1, 1, tzinfo=UTC))
    at = datetime(2027, 1, 1, tzinfo=UTC)
    for kind in (Product.Kind.LOCAL, Product.Kind.BALANCING):
        assert deadline_rule_in_force(system_operator=wf.cast.local, at=at, product_kind=kind) == swedish


def test_without_any_rule_submission_is_refused_with_a_clear_message(wf):
    DeadlineRule.objects.all().delete()
    case = wf.draft()
    with pytest.raises(ApplicationError, match="No deadline rule is in force for SE"):
        case_submit(user=wf.cast.fsp_a_user, case=case)
    assert Case.objects.get(pk=case.pk).status == Case.Status.DRAFT
    assert not Assessment.objects.exists()


def test_rule_validation_messages(db):
    from django.core.exceptions import ValidationError

    rule = DeadlineRule(
        name="x",
        legal_basis="y",
        period_months=0,
        period_days=0,
        reminder_days=[7, "1"],
        supplement_period_days=0,
        valid_from=datetime(2027, 1, 1, tzinfo=UTC),
    )
    with pytest.raises(ValidationError) as exc:
        rule.full_clean()
    assert set(exc.value.message_dict) == {"period_months", "reminder_days", "supplement_period_days"}


# --- the sweep ------------------------------------------------------------------------------


DUE = datetime(2027, 4, 11, 8, 0, tzinfo=UTC)


def test_silence_is_applied_at_the_deadline_not_before(wf):
    with time_machine.travel(T0, tick=False):
        case = wf.submitted()
    assert deadlines_sweep(now=DUE - timedelta(seconds=1)).silenced == 0
    assert deadlines_sweep(now=DUE).silenced == 2
    assessment = wf.assessment(case, wf.cast.local)
    assert (assessment.status, assessment.decided_by, assessment.deadline) == (
        A.APPROVED_BY_SILENCE,
        None,
        DUE,
    )
    event = assessment.events.get()
    assert (event.actor, event.via, event.from_state) == (None, CaseEvent.Via.DEADLINE, A.PENDING)
    assert "SO GL Art. 182(3)" in event.reason_text()
    assert wf.fresh(case).status == Case.Status.APPROVED


def test_sweep_is_idempotent(wf):
    with time_machine.travel(T0, tick=False):
        cases = [wf.submitted(), wf.spg_case()]
    first = deadlines_sweep(now=DUE)
    events = list(CaseEvent.objects.order_by("pk").values_list("pk", "action"))
    second = deadlines_sweep(now=DUE + timedelta(minutes=1))
    assert (first.silenced, second.silenced) == (5, 0)
    assert list(CaseEvent.objects.order_by("pk").values_list("pk", "action")) == events
    for case in cases:
        assert case.events.filter(action="apply_silence").count() == case.assessments.count()
        assert case.events.filter(action="approve").count() == 1


def test_small_batches_process_everything_once(wf):
    with time_machine.travel(T0, tick=False):
        wf.spg_case()
        wf.submitted()
    assert deadlines_sweep(now=DUE, batch=1).silenced == 5
    assert Assessment.objects.filter(status=A.APPROVED_BY_SILENCE).count() == 5
    assert CaseEvent.objects.filter(action="apply_silence").count() == 5


def test_reminders_go_out_seven_days_and_one_day_before_once_each(wf, django_capture_on_commit_callbacks):
    with time_machine.travel(T0, tick=False):
        case = wf.submitted()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert deadlines_sweep(now=DUE - timedelta(days=8)).reminded == 0
        assert deadlines_sweep(now=DUE - timedelta(days=7)).reminded == 2
        assert deadlines_sweep(now=DUE - timedelta(days=6)).reminded == 0
        assert deadlines_sweep(now=DUE - timedelta(days=1)).reminded == 2
        assert deadlines_sweep(now=DUE - timedelta(hours=1)).reminded == 0
    assert sorted(
        (r.assessment.system_operator.name, r.days_before)
        for r in AssessmentReminder.objects.select_related("assessment__system_operator")
    ) == [("Local DSO", 1), ("Local DSO", 7), ("Svenska kraftnät", 1), ("Svenska kraftnät", 7)]
    local_mails = [m for m in mail.outbox if m.to == ["local_engineer@example.org"]]
    assert [m.subject for m in local_mails] == [
        f"[gridprequal] Deadline in 7 days: case #{case.pk}",
        f"[gridprequal] Deadline in 1 day: case #{case.pk}",
    ]
    assert "SO GL Art. 182(3)" in local_mails[0].body


def test_a_late_sweep_sends_only_the_reminder_that_still_makes_sense(wf):
    with time_machine.travel(T0, tick=False):
        wf.submitted()
    assert deadlines_sweep(now=DUE - timedelta(hours=12)).reminded == 2
    assert set(AssessmentReminder.objects.values_list("days_before", flat=True)) == {1}


def test_decided_assessments_get_no_reminder(wf):
    with time_machine.travel(T0, tick=False):
        case = wf.submitted()
        assessment_decide(
            user=wf.cast.local_engineer, assessment=wf.assessment(case, wf.cast.local), outcome="approved"
        )
    assert deadlines_sweep(now=DUE - timedelta(days=7)).reminded == 1


def test_the_command_sweeps_and_its_dry_run_changes_nothing(wf):
    with time_machine.travel(T0, tick=False):
        wf.submitted()
    out = StringIO()
    call_command("sweep_deadlines", "--dry-run", "--now", "2027-04-12T00:00Z", stdout=out)
    assert "would have 2 approved by silence" in out.getvalue()
    assert not Assessment.objects.filter(status=A.APPROVED_BY_SILENCE).exists()
    assert not CaseEvent.objects.filter(action="apply_silence").exists()
    out = StringIO()
    call_command("sweep_deadlines", "--now", "2027-04-12T00:00Z", stdout=out)
    assert "2 approved by silence" in out.getvalue()
    assert Assessment.objects.filter(status=A.APPROVED_BY_SILENCE).count() == 2


def test_the_command_explains_a_bad_time():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="not an ISO date-time"):
        call_command("sweep_deadlines", "--now", "tomorrow")


def test_the_beat_schedule_runs_the_sweep_every_minute(db):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="prequal.tasks.deadlines_sweep_task")
    assert task.enabled and (task.interval.every, task.interval.period) == (1, "minutes")


def test_the_celery_task_runs_the_sweep(wf):
    from prequal.tasks import deadlines_sweep_task

    with time_machine.travel(T0, tick=False):
        wf.submitted()
    with time_machine.travel(DUE, tick=False):
        result = deadlines_sweep_task.delay().get()
    assert result["silenced"] == 2


def test_silence_counts_as_approval(wf, at_t0):
    case = wf.submitted()
    approve(wf.cast.local_engineer, wf.assessment(case, wf.cast.local))
    at_t0.move_to(datetime(2027, 4, 11, 8, 0, tzinfo=UTC))
    result = deadlines_sweep()
    assert result.silenced == 1
    assert wf.assessment(case, wf.cast.tso).status == A.APPROVED_BY_SILENCE
    assert wf.fresh(case).status == C.APPROVED


def test_engineer_deciding_a_copy_the_sweep_has_silenced_is_told(wf, at_t0):
    case = wf.submitted()
    stale = wf.assessment(case, wf.cast.local)
    at_t0.move_to(datetime(2027, 4, 11, 8, 0, 1, tzinfo=UTC))
    assert deadlines_sweep().silenced == 2
    with pytest.raises(CaseChangedMeanwhile):
        approve_conditionally(wf.cast.local_engineer, stale)
    assert wf.fresh(stale).status == A.APPROVED_BY_SILENCE
    assert not Condition.objects.exists()


def test_sweep_leaves_an_assessment_decided_a_moment_before_alone(wf, at_t0):
    case = wf.submitted()
    at_t0.move_to(DEADLINE - timedelta(seconds=1))
    refuse(wf.cast.local_engineer, wf.assessment(case, wf.cast.local))  # decided just in time
    at_t0.move_to(DEADLINE + timedelta(seconds=1))
    assert deadlines_sweep().silenced == 1  # only the TSO's
    assert wf.assessment(case, wf.cast.local).status == A.NOT_APPROVED
    assert wf.fresh(case).status == C.NOT_APPROVED


# --- a decision after the deadline, before the sweep -----------------------------------------


@pytest.mark.parametrize(
    "decide", [approve, approve_conditionally, refuse], ids=["approve", "conditions", "refuse"]
)
def test_a_decision_at_or_after_the_deadline_is_refused_before_the_sweep_has_run(wf, at_t0, decide):
    case = wf.submitted()
    local = wf.assessment(case, wf.cast.local)
    assert local.deadline == DEADLINE
    at_t0.move_to(DEADLINE)  # from its deadline on, silence holds
    with pytest.raises(DeadlinePassed) as refused:
        decide(wf.cast.local_engineer, local)
    assert "2027-04-11 10:00" in refused.value.message  # the deadline, in Stockholm time
    # Approved by silence there and then, with its audit row; nothing of the decision stored.
    fresh = wf.fresh(local)
    assert (fresh.status, fresh.decided_by, fresh.decided_at) == (A.APPROVED_BY_SILENCE, None, DEADLINE)
    assert not Condition.objects.exists()
    assert CaseEvent.objects.filter(assessment=local, action="apply_silence").count() == 1
    assert deadlines_sweep().silenced == 1  # the TSO's only: the local DSO's is done


def test_a_declaration_of_incompleteness_after_the_deadline_is_refused(wf, at_t0):
    case = wf.submitted()
    local = wf.assessment(case, wf.cast.local)
    at_t0.move_to(DEADLINE + timedelta(minutes=5))
    with pytest.raises(DeadlinePassed):
        assessment_declare_incomplete(user=wf.cast.local_engineer, assessment=local, missing_information="x")
    fresh = wf.fresh(local)
    assert (fresh.status, fresh.incomplete_declared_at) == (A.APPROVED_BY_SILENCE, None)
    assert fresh.missing_information == ""
    assert wf.fresh(case).supplement_due is None


def test_after_the_deadline_no_engineer_may_decide(wf, at_t0):
    """The rights the pages read (Assessment.may_decide) follow the same rule."""
    case = wf.submitted()
    local = wf.assessment(case, wf.cast.local)
    org_ids = {wf.cast.local.organisation_id}
    at_t0.move_to(DEADLINE - timedelta(seconds=1))
    assert local.may_decide(engineer_org_ids=org_ids)
    at_t0.move_to(DEADLINE)
    assert not local.may_decide(engineer_org_ids=org_ids)
