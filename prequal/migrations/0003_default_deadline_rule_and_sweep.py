"""The default deadline rule (SO GL Art. 182(3)) and the every-minute beat entry for the sweep."""

import datetime
import json

from django.db import migrations

SWEEP_TASK = "prequal.tasks.deadlines_sweep_task"
SWEEP_NAME = "Deadline sweep (approval by silence, reminders, withdrawals, expiry)"


def create(apps, schema_editor):
    DeadlineRule = apps.get_model("prequal", "DeadlineRule")
    DeadlineRule.objects.get_or_create(
        jurisdiction="",
        valid_from=datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC),
        defaults={
            "name": "Grid prequalification: three months from a complete application",
            "legal_basis": "SO GL Art. 182(3)",
            "period_months": 3,
            "period_days": 0,
            "supplement_period_days": 28,
            "reminder_days": [7, 1],
            "outcome_validity_months": 60,
        },
    )
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=SWEEP_NAME,
        defaults={"task": SWEEP_TASK, "interval": every_minute, "kwargs": json.dumps({}),
                  "enabled": True},
    )


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=SWEEP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("prequal", "0002_workflow"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, remove)]
