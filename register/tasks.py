"""Thin Celery wrappers over register services."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="register.tasks.register_partitions_task", ignore_result=True)
def register_partitions_task() -> list[str]:
    """Run by django-celery-beat daily (data migration register 0002)."""
    from register.services.partitions import partitions_ensure

    return partitions_ensure()
