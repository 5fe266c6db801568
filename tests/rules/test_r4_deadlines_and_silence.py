"""Deadlines (R4, R10): local-calendar arithmetic across DST, rules as data, the sweep."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from common.exceptions import ApplicationError
from prequal.models import Assessment, AssessmentReminder, Case, CaseEvent, Condition, DeadlineRule
from prequal.services.cases import assessment_decide, case_submit
from prequal.services.deadlines import add_local_period, deadline_rule_in_force
from prequal.services.sweep import deadlines_sweep
from tests import workflow_helpers
from tests.factories import SpuFactory

wf = workflow_helpers.wf  # the fixture

A = Assessment.Status
STOCKHOLM = "Europe/Stockholm"


# --- arithmetic -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "days", "expected"),
    [
        # Across the March change (2027-03-28): 10:00 CET in January → 10:00 CEST in April.
        (datetime(2027, 1, 10, 9, 0, tzinfo=UTC), 3, 0, datetime(2027, 4, 10, 8, 0, tzinfo=UTC)),
        # Across the October change (2027-10-31): 10:00 CEST in August → 10:00 CET in November.
        (datetime(2027, 8, 15, 8, 0, tzinfo=UTC), 3, 0, datetime(2027, 11, 15, 9, 0, tzinfo=UTC)),
        # Days across the March change: 28 days keep the local clock time, not 28 × 24 h.
        (datetime(2027, 3, 20, 9, 0, tzinfo=UTC), 0, 28, datetime(2027, 4, 17, 8, 0, tzinfo=UTC)),
        # Month end clamps: 30 November + 3 months = 29 February in a leap year.
        (datetime(2027, 11, 30, 12, 0, tzinfo=UTC), 3, 0, datetime(2028, 2, 29, 12, 0, tzinfo=UTC)),
        # Landing in the skipped hour (02:30 on 2027-03-28 does not exist in Stockholm).
        (datetime(2026, 12, 28, 1, 30, tzinfo=UTC), 3, 0, datetime(2027, 3, 28, 1, 30, tzinfo=UTC)),
        # Landing in the repeated hour (02:30 twice on 2027-10-31): the first one (CEST).
        (datetime(2027, 7, 31, 0, 30, tzinfo=UTC), 3, 0, datetime(2027, 10, 31, 0, 30, tzinfo=UTC)),
    ],
)
def test_periods_are_counted_on_the_local_calendar(start, months, days, expected):
    assert add_local_period(start=start, months=months, days=days, time_zone=STOCKHOLM) == expected


def test_naive_start_is_refused():
    with pytest.raises(ValueError):
        add_local_period(start=datetime(2027, 1, 1), months=1, time_zone=STOCKHOLM)


@pytest.mark.parametrize(
    ("submitted", "deadline"),
    [
        (datetime(2027, 1, 15, 13, 30, tzinfo=UTC), datetime(2027, 4, 15, 12, 30, tzinfo=UTC)),
        (datetime(2027, 9, 1, 6, 0, tzinfo=UTC), datetime(2027, 12, 1, 7, 0, tzinfo=UTC)),
    ],
    ids=["march-change", "october-change"],
)
def test_submission_stores_the_deadline_in_utc(wf, submitted, deadline):
    with time_machine.travel(submitted, tick=False):
        case = wf.submitted()
    assert set(case.assessments.values_list("deadline", flat=True)) == {deadline}


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


# --- conditions in local time ----------------------------------------------------------------


def _winter_morning() -> Condition:
    return Condition(
        max_up_mw=0,
        months=[12, 1, 2, 3, 10, 11],
        weekdays=[0, 1, 2, 3, 4],
        start_time=time(7, 0),
        end_time=time(9, 0),
        time_zone=STOCKHOLM,
    )


@pytest.mark.parametrize(
    ("at", "applies"),
    [
        # Friday 2027-03-26, CET (UTC+1): 07:30 local = 06:30 UTC.
        (datetime(2027, 3, 26, 6, 30, tzinfo=UTC), True),
        (datetime(2027, 3, 26, 8, 0, tzinfo=UTC), False),  # 09:00 local: window ended
        # Monday 2027-03-29, CEST (UTC+2) after the change: 07:30 local = 05:30 UTC.
        (datetime(2027, 3, 29, 5, 30, tzinfo=UTC), True),
        (datetime(2027, 3, 29, 7, 0, tzinfo=UTC), False),  # 09:00 local; 08:00 in CET terms
        (datetime(2027, 3, 29, 4, 59, tzinfo=UTC), False),  # 06:59 local
        # Friday 2027-10-29 CEST, Monday 2027-11-01 CET.
        (datetime(2027, 10, 29, 6, 59, tzinfo=UTC), True),  # 08:59 local
        (datetime(2027, 10, 29, 7, 0, tzinfo=UTC), False),
        (datetime(2027, 11, 1, 6, 0, tzinfo=UTC), True),  # 07:00 local
        (datetime(2027, 11, 1, 8, 0, tzinfo=UTC), False),  # 09:00 local
        # Saturday, and a summer month.
        (datetime(2027, 3, 27, 6, 30, tzinfo=UTC), False),
        (datetime(2027, 6, 7, 5, 30, tzinfo=UTC), False),
    ],
)
def test_time_window_conditions_follow_local_time_across_dst(at, applies):
    assert _winter_morning().applies_at(at) is applies


def test_window_crossing_midnight_belongs_to_the_day_it_starts():
    night = Condition(
        max_down_mw=1, weekdays=[4], start_time=time(22, 0), end_time=time(6, 0), time_zone=STOCKHOLM
    )
    assert night.applies_at(datetime(2027, 1, 15, 22, 30, tzinfo=UTC))  # Fri 23:30
    assert night.applies_at(datetime(2027, 1, 16, 4, 0, tzinfo=UTC))  # Sat 05:00, Friday's night
    assert not night.applies_at(datetime(2027, 1, 16, 22, 30, tzinfo=UTC))  # Sat 23:30


def test_validity_bounds_a_condition():
    condition = Condition(
        max_up_mw=1,
        time_zone=STOCKHOLM,
        valid_from=datetime(2027, 1, 1, tzinfo=UTC),
        valid_to=datetime(2027, 2, 1, tzinfo=UTC),
    )
    assert not condition.applies_at(datetime(2026, 12, 31, tzinfo=UTC))
    assert condition.applies_at(datetime(2027, 1, 15, tzinfo=UTC))
    assert not condition.applies_at(datetime(2027, 2, 1, tzinfo=UTC))


# --- the sweep ------------------------------------------------------------------------------


T0 = datetime(2027, 1, 11, 9, 0, tzinfo=UTC)
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
    assert "SO GL Art. 182(3)" in event.reason
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
