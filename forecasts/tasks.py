"""Thin Celery wrappers over forecasts services."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from forecasts.notifications import forecast_congestion_notify
from forecasts.partitions import forecast_partitions_keep_ahead


@shared_task(name="forecasts.tasks.forecast_partitions_task", ignore_result=True)
def forecast_partitions_task(ahead: int = 3) -> int:
    """Daily (django-celery-beat, migration 0002): the value table's partitions for the months ahead."""
    return len(forecast_partitions_keep_ahead(now=timezone.now(), ahead=ahead))


@shared_task(name="forecasts.tasks.forecast_congestion_notify_task", ignore_result=True)
def forecast_congestion_notify_task(publication_id: int) -> int:
    """After a publication commits: tell FSPs of congestion turning likely or certain (R12)."""
    return forecast_congestion_notify(publication_id=publication_id)
