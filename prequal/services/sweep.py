"""The deadline sweep (SPEC R3, R4, R2 expiry): run every minute by Celery beat.

Deadlines live in the database; this sweep applies them. It is idempotent and safe to run
concurrently with engineers deciding and with another sweep:

* rows are taken in small batches, each batch in its own transaction, so a worker killed
  mid-sweep loses at most its open batch (rolled back, redone by the next run) and never
  applies anything twice;
* each batch locks its case rows with select_for_update(skip_locked=True) on PostgreSQL
  (a busy case is skipped until the next run); on SQLite the IMMEDIATE transaction mode
  serialises writers instead;
* inside the lock every row is re-read with its due condition, so a row an engineer
  decided a moment ago is simply not touched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from prequal.models import Assessment, AssessmentReminder, Case, CaseEvent, DeadlineRule
from prequal.services.cases import (
    assessments_apply_silence,
    case_expire,
    case_withdraw_after_supplement_period,
    cases_settle_outcomes,
    notify_on_commit,
)

DEFAULT_BATCH = 200


@dataclass
class SweepResult:
    silenced: int = 0
    reminded: int = 0
    withdrawn: int = 0
    expired: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def __str__(self) -> str:
        return (
            f"{self.silenced} approved by silence, {self.reminded} reminders, "
            f"{self.withdrawn} withdrawn, {self.expired} expired"
        )


def _keyset(qs, *, field: str, batch: int, limit_field: str = "pk"):
    """Yield batches of (pk, case_id, key) ordered by (field, pk), without locking.

    Keyset paging moves past rows that another sweep holds, so a busy row does not stall
    the rest; it is picked up by the next run. "(field, pk) after the last row" is written
    as `field >= last AND NOT (field = last AND pk <= last pk)`: an index range scan from the
    last key (an OR of the two cases makes SQLite scan every remaining row, every batch).
    """
    last = None
    while True:
        page = qs
        if last is not None:
            page = page.filter(**{f"{field}__gte": last[0]}).exclude(**{field: last[0], "pk__lte": last[1]})
        rows = list(page.order_by(field, "pk").values_list("pk", limit_field, field)[:batch])
        if not rows:
            return
        last = (rows[-1][2], rows[-1][0])
        yield rows


def _lock_cases(case_ids) -> dict[int, Case]:
    return {c.pk: c for c in Case.objects.select_for_update(skip_locked=True).filter(pk__in=case_ids)}


def sweep_silences(*, now: datetime, batch: int = DEFAULT_BATCH) -> int:
    """Pending assessments past their deadline become approved by silence (R4).

    Per batch, under the case locks, the rules of silence and outcome (R5) run once for the
    whole batch (prequal.services.cases.decisions: one UPDATE per table, guarded by the
    source status), and the audit rows go in with one INSERT.
    """
    applied = 0
    pending = Assessment.Status.PENDING
    rules = DeadlineRule.objects.in_bulk()
    valid_until: dict[tuple[int, str], datetime] = {}  # (rule, zone) → end of validity for `now`
    due = Assessment.objects.filter(status=pending, deadline__lte=now)
    for rows in _keyset(due, field="deadline", batch=batch, limit_field="case_id"):
        with transaction.atomic():
            cases = _lock_cases({case_id for _, case_id, _ in rows})
            fresh = list(
                Assessment.objects.filter(
                    pk__in=[pk for pk, case_id, _ in rows if case_id in cases],
                    status=pending,
                    deadline__lte=now,
                )
                .only("id", "case_id", "system_operator_id", "status", "deadline_rule_id")
                .order_by("pk")
            )
            if not fresh:
                continue
            events = assessments_apply_silence(assessments=fresh, now=now, rules=rules)
            touched = [cases[i] for i in sorted({a.case_id for a in fresh})]
            events += cases_settle_outcomes(cases=touched, now=now, rules=rules, valid_until=valid_until)
            CaseEvent.objects.bulk_create(events)
            notify_on_commit(events)
            applied += len(fresh)
    return applied


def _sweep_cases(*, now: datetime, batch: int, field: str, statuses, action: Callable) -> int:
    done = 0
    due = Case.objects.filter(status__in=statuses, **{f"{field}__lte": now})
    for rows in _keyset(due, field=field, batch=batch):
        with transaction.atomic():
            locked = _lock_cases([pk for pk, _, _ in rows])
            events = []
            for case in sorted(locked.values(), key=lambda c: c.pk):
                # Re-check under the lock: the FSP may have supplied information meanwhile.
                value = getattr(case, field)
                if case.status not in statuses or value is None or value > now:
                    continue
                events += action(case=case, now=now)
                done += 1
            notify_on_commit(events)
    return done


def sweep_supplement_periods(*, now: datetime, batch: int = DEFAULT_BATCH) -> int:
    """Cases whose supplement period ended without the information are withdrawn (R3)."""
    return _sweep_cases(
        now=now,
        batch=batch,
        field="supplement_due",
        statuses=[Case.Status.UNDER_ASSESSMENT],
        action=case_withdraw_after_supplement_period,
    )


def sweep_expiries(*, now: datetime, batch: int = DEFAULT_BATCH) -> int:
    """Decided cases past their validity period expire (R2)."""
    return _sweep_cases(
        now=now, batch=batch, field="valid_until", statuses=list(Case.DECIDED), action=case_expire
    )


def sweep_reminders(*, now: datetime, batch: int = DEFAULT_BATCH) -> int:
    """Remind the assessing SO's engineers before a deadline, once per reminder (R4).

    Each reminder day has a window up to the next one: with [7, 1] the 7-day reminder goes
    out when 1–7 days are left, the 1-day reminder in the last day. A sweep that was down
    for a week sends only the reminder that still makes sense. The unique key on
    AssessmentReminder makes a second sweep's insert fail, so nothing goes out twice.
    """
    from prequal.tasks import assessment_reminders_notify_task

    sent = 0
    for rule in DeadlineRule.objects.all():
        days = sorted({d for d in rule.reminder_days or [] if isinstance(d, int) and d > 0}, reverse=True)
        for index, days_before in enumerate(days):
            next_days = days[index + 1] if index + 1 < len(days) else 0
            already = AssessmentReminder.objects.filter(
                assessment=OuterRef("pk"), deadline=OuterRef("deadline"), days_before=days_before
            )
            due = Assessment.objects.filter(
                status=Assessment.Status.PENDING,
                deadline_rule=rule,
                deadline__gt=now + timedelta(days=next_days),
                deadline__lte=now + timedelta(days=days_before),
            ).exclude(Exists(already))
            for rows in _keyset(due, field="deadline", batch=batch):
                with transaction.atomic():
                    created = []
                    for pk, _, deadline in rows:
                        try:
                            with transaction.atomic():
                                created.append(
                                    AssessmentReminder.objects.create(
                                        assessment_id=pk,
                                        deadline=deadline,
                                        days_before=days_before,
                                        sent_at=now,
                                    ).pk
                                )
                        except IntegrityError:  # another sweep sent it
                            continue
                    if created:
                        transaction.on_commit(
                            lambda ids=created: assessment_reminders_notify_task.delay(ids), robust=True
                        )
                    sent += len(created)
    return sent


def deadlines_sweep(*, now: datetime | None = None, batch: int = DEFAULT_BATCH) -> SweepResult:
    """Apply every deadline due at `now` (default: the current time). Idempotent."""
    now = now or timezone.now()
    return SweepResult(
        silenced=sweep_silences(now=now, batch=batch),
        withdrawn=sweep_supplement_periods(now=now, batch=batch),
        expired=sweep_expiries(now=now, batch=batch),
        reminded=sweep_reminders(now=now, batch=batch),
    )
