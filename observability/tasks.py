"""Thin Celery wrappers over observability services."""

from __future__ import annotations

import logging

from celery import shared_task
from kombu.exceptions import OperationalError

from observability.area_staging import area_upload_process
from observability.models import AreaUpload

logger = logging.getLogger(__name__)


@shared_task(name="observability.tasks.area_upload_process_task", ignore_result=True)
def area_upload_process_task(upload_id: str) -> str:
    """Check a staged area upload and record its preview (queued by area_upload_queue)."""
    return area_upload_process(upload_id=upload_id)


def area_upload_queue(upload: AreaUpload) -> None:
    """Queue the processing of a committed upload (views run in autocommit: the row is visible).

    Without a reachable broker the upload is processed here, in the request, rather than lost.
    """
    try:
        area_upload_process_task.delay(str(upload.pk))
    except OperationalError:
        logger.warning("broker unreachable: area upload %s processed in the request", upload.pk)
        area_upload_process(upload_id=upload.pk)
