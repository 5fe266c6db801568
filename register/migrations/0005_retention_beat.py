"""The daily beat entry that summarises and removes the register's records older than the
retention (GRIDPREQUAL_REGISTER_RETENTION_DAYS)."""

import json

from django.db import migrations

TASK = "register.tasks.register_retention_task"
NAME = "Activation register: retention (summarise, then remove old records)"


def create(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    daily, _ = IntervalSchedule.objects.get_or_create(every=1, period="days")
    PeriodicTask.objects.get_or_create(
        name=NAME, defaults={"task": TASK, "interval": daily, "kwargs": json.dumps({}), "enabled": True}
    )


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("register", "0004_summaries"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, remove)]
