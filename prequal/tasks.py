"""Thin Celery wrappers over prequal services. No deadline lives only in a task (SPEC R4)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="prequal.tasks.deadlines_sweep_task", ignore_result=True)
def deadlines_sweep_task() -> dict[str, int]:
    """Run by django-celery-beat every minute (data migration prequal 0003)."""
    from prequal.services.sweep import deadlines_sweep

    return deadlines_sweep().as_dict()


@shared_task(name="prequal.tasks.case_events_notify_task", ignore_result=True)
def case_events_notify_task(event_ids: list[int]) -> int:
    from prequal.notifications import case_events_notify

    return case_events_notify(event_ids=event_ids)


@shared_task(name="prequal.tasks.assessment_reminders_notify_task", ignore_result=True)
def assessment_reminders_notify_task(reminder_ids: list[int]) -> int:
    from prequal.notifications import assessment_reminders_notify

    return assessment_reminders_notify(reminder_ids=reminder_ids)
