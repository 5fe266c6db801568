"""Seed the day-ahead publication deadline for Sweden (R12): D-1 at 10:00 Swedish time, two hours
before the day-ahead market's gate closure (SDAC, 12:00 CET), so that FSPs can position their
resources in it. Data: the platform admin changes it, or adds other countries, in the admin."""

from datetime import UTC, datetime, time

from django.db import migrations

SWEDEN = {
    "jurisdiction": "SE",
    "valid_from": datetime(2024, 1, 1, tzinfo=UTC),
}


def seed(apps, schema_editor):
    PublicationDeadline = apps.get_model("forecasts", "PublicationDeadline")
    PublicationDeadline.objects.get_or_create(
        **SWEDEN,
        defaults={
            "name": "Day-ahead congestion forecast (Sweden)",
            "legal_basis": "NC DR Title VII: before the day-ahead market gate closure (SDAC 12:00 CET)",
            "days_before": 1,
            "local_time": time(10, 0),
        },
    )


def unseed(apps, schema_editor):
    apps.get_model("forecasts", "PublicationDeadline").objects.filter(**SWEDEN).delete()


class Migration(migrations.Migration):
    dependencies = [("forecasts", "0004_publication_deadline")]

    operations = [migrations.RunPython(seed, unseed)]
