"""Thin Celery wrappers over register services."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="register.tasks.register_partitions_task", ignore_result=True)
def register_partitions_task() -> list[str]:
    """Run by django-celery-beat daily (data migration register 0002)."""
    from register.services.partitions import partitions_ensure

    return partitions_ensure()


@shared_task(name="register.tasks.register_retention_task", ignore_result=True)
def register_retention_task() -> int:
    """Run by django-celery-beat daily (data migration register 0005): summarise and remove the
    records older than the retention. Returns how many records were summarised."""
    from register.services.retention import register_retention_run

    return register_retention_run().summarised
