"""Area uploads between the upload and the engineer's confirmation (browser and API).

The request only checks the cheap things (who, name, kind, size) and keeps the file in an
AreaUpload row; observability.tasks.area_upload_process_task reads it in a worker, recording its
progress and then the preview (or the message on the file field). The bytes are dropped when
processing ends; nothing of an upload is written to the web machine's disk.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import shapely
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from observability.area_geometry import AreaGeometry, area_error
from observability.area_impact import area_change_impact
from observability.areas import area_file_precheck, area_file_read
from observability.models import AreaUpload, SystemOperator
from observability.selectors import area_can_upload
from observability.services import area_describe, area_version_store

logger = logging.getLogger(__name__)
STAGING_MAX_AGE = timedelta(hours=24)
S = AreaUpload.Status


def area_upload_start(
    *, user, system_operator: SystemOperator, file, filename: str, repair: bool = False,
    store_from: datetime | None = None,
) -> AreaUpload:
    """Keep an uploaded file for processing; the caller queues area_upload_process_task.

    `store_from`: store the area as a version from then as soon as it is checked (API without
    preview). Uploads older than a day that were never confirmed are swept here.
    """
    if not area_can_upload(user=user, system_operator=system_operator):
        raise PermissionDenied(
            _("Only engineers of %(so)s may upload its observability area.") % {"so": system_operator}
        )
    filename = area_file_precheck(file=file, filename=filename)
    if store_from is not None and timezone.is_naive(store_from):
        raise ValidationError({"valid_from": _("Give the time with its time zone.")})
    if hasattr(file, "seek"):
        file.seek(0)
    content = b"".join(file.chunks()) if hasattr(file, "chunks") else file.read()
    AreaUpload.objects.filter(created_at__lt=timezone.now() - STAGING_MAX_AGE).delete()
    return AreaUpload.objects.create(
        system_operator=system_operator, uploaded_by=user, filename=filename[:255],
        content=content, repair=repair, store_from=store_from,
    )


def _set_progress(upload_id, percent: int) -> None:
    AreaUpload.objects.filter(pk=upload_id, status=S.PROCESSING).update(
        progress=percent, updated_at=timezone.now()
    )


def _preview_json(*, upload: AreaUpload, area: AreaGeometry) -> dict:
    described = area_describe(system_operator=upload.system_operator, area=area)
    return {
        "source_filename": area.source_filename, "source_epsg": area.source_epsg,
        "feature_count": area.feature_count, "polygon_count": area.polygon_count,
        "vertex_count": area.vertex_count, "area_km2": area.area_km2, "bbox": list(area.bbox),
        "repaired": area.repaired, "points_inside": described.points_inside,
        "points_total": described.points_total, "messages": described.messages,
        "impact": area_change_impact(system_operator=upload.system_operator, geometry=area.geometry),
    }


def _fail(upload_id, errors: dict) -> None:
    AreaUpload.objects.filter(pk=upload_id).update(
        status=S.FAILED, errors=errors, content=None, progress=100, updated_at=timezone.now()
    )


def area_upload_process(*, upload_id) -> str:
    """Read and check the staged file, then record the preview (or store it, for `store_from`).

    Runs once per upload: a redelivered task finds the row no longer queued and does nothing.
    Any problem ends as a message on the file field; the bytes are dropped either way.
    """
    claimed = AreaUpload.objects.filter(pk=upload_id, status=S.QUEUED).update(
        status=S.PROCESSING, progress=1, updated_at=timezone.now()
    )
    if not claimed:
        return "skipped"
    upload = (
        AreaUpload.objects.select_related("system_operator__organisation", "uploaded_by")
        .defer("content")
        .get(pk=upload_id)
    )
    try:
        area = area_file_read(
            file=_StagedFile(upload_id, upload.filename), filename=upload.filename,
            repair=upload.repair, progress=lambda percent: _set_progress(upload_id, percent),
        )
        _set_progress(upload_id, 70)
        preview = _preview_json(upload=upload, area=area)
        if upload.store_from is not None:
            return _store(upload=upload, area=area, valid_from=upload.store_from, preview=preview)
    except ValidationError as exc:
        _fail(upload_id, exc.message_dict)
        return S.FAILED
    except Exception:  # a library failing on a hostile file must not leave the upload hanging
        logger.exception("area upload %s could not be processed", upload_id)
        _fail(upload_id, {"file": [_("%(file)s could not be read as geographic data.")
                                   % {"file": upload.filename}]})
        return S.FAILED
    AreaUpload.objects.filter(pk=upload_id).update(
        status=S.READY, progress=100, preview=preview, content=None,
        geometry_wkb=shapely.to_wkb(area.geometry), updated_at=timezone.now(),
    )
    return S.READY


class _StagedFile:
    """The staged bytes as the reader expects an uploaded file (name, chunks), read from the
    database when the reader asks and let go of once written out: the worker holds one copy of
    the file at most, and none while it builds the geometry (SPEC §7: ≤ 500 MB peak)."""

    size = None  # checked in the request already (area_file_precheck)

    def __init__(self, upload_id, name: str) -> None:
        self.upload_id, self.name = upload_id, name

    def chunks(self, chunk_size: int = 1 << 20):
        content = AreaUpload.objects.filter(pk=self.upload_id).values_list("content", flat=True).first()
        view = memoryview(content or b"")
        del content
        for start in range(0, len(view), chunk_size):
            yield view[start:start + chunk_size]


def area_upload_get_for_user(*, user, pk) -> AreaUpload:
    """The upload, for the engineer who made it only (anyone else: 404)."""
    return get_object_or_404(
        AreaUpload.objects.select_related("system_operator__organisation", "version").defer("content"),
        pk=pk, uploaded_by_id=getattr(user, "pk", None),
    )


def _area_from_upload(upload: AreaUpload) -> AreaGeometry:
    preview = upload.preview
    return AreaGeometry(
        geometry=shapely.from_wkb(bytes(upload.geometry_wkb)), source_epsg=preview["source_epsg"],
        source_filename=preview["source_filename"], feature_count=preview["feature_count"],
        area_km2=preview["area_km2"], messages=preview["messages"], repaired=preview["repaired"],
    )


@transaction.atomic
def _store(*, upload: AreaUpload, area: AreaGeometry, valid_from: datetime, preview: dict) -> str:
    version = area_version_store(
        system_operator=upload.system_operator, area=area, valid_from=valid_from,
        uploaded_by=upload.uploaded_by,
    )
    won = AreaUpload.objects.filter(pk=upload.pk, status__in=(S.PROCESSING, S.READY)).update(
        status=S.STORED, version=version, progress=100, preview=preview, content=None,
        geometry_wkb=None, updated_at=timezone.now(),
    )
    if won != 1:
        raise area_error(_("That upload is no longer waiting for confirmation; upload the file again."))
    return S.STORED


def area_upload_confirm(*, user, upload: AreaUpload, valid_from: datetime):
    """Store a previewed upload as a new version from `valid_from`; once only."""
    if not area_can_upload(user=user, system_operator=upload.system_operator):
        raise PermissionDenied
    if upload.status != S.READY or upload.geometry_wkb is None:
        raise area_error(_("That upload is no longer waiting for confirmation; upload the file again."))
    if timezone.is_naive(valid_from):
        raise ValidationError({"valid_from": _("Give the time with its time zone.")})
    _store(upload=upload, area=_area_from_upload(upload), valid_from=valid_from, preview=upload.preview)
    upload.refresh_from_db(fields=["status", "version"])
    return upload.version
