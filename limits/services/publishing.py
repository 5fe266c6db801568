"""Temporary limits: publishing a new one (R7), to the FSPs it concerns.

A late limit is refused (and the refusal is recorded for the annual report).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import shapely
from django.db import transaction
from django.utils import timezone

from limits.models import LimitConcern, LimitEvent, TargetKind, TemporaryLimit
from limits.services.checks import _prepare
from limits.services.citations import NO_CITATION, ForecastCitation, limit_forecast_citation
from limits.services.refusals import limit_refuse_late
from limits.services.rules import Publication
from limits.services.targets import Target, affected_fsp_ids
from limits.services.trail import limit_event_record
from observability.models import ConnectionPoint, SystemOperator
from prequal.models import Fsp, Spg, Spu


def _area_fields(target: Target) -> dict:
    """The stored polygon and its bounding box (read by the headroom's area look-up)."""
    if target.kind != TargetKind.AREA:
        return {}
    minx, miny, maxx, maxy = target.geometry.bounds
    return {
        "area_geojson": shapely.to_geojson(target.geometry),
        "min_lon": minx,
        "min_lat": miny,
        "max_lon": maxx,
        "max_lat": maxy,
    }


def limit_create(
    *,
    user,
    system_operator: SystemOperator,
    target_kind: str,
    spu: Spu | None = None,
    spg: Spg | None = None,
    connection_point: ConnectionPoint | None = None,
    area=None,
    direction: str,
    quantity_mw,
    start: datetime | None,
    end: datetime | None,
    reason: str,
    now: datetime | None = None,
    forecast_publication: int | None = None,
    forecast_zone: str = "",
) -> TemporaryLimit:
    """Publish a temporary limit (R7). All or nothing; a late one is refused and recorded.

    `forecast_publication` (an id) and `forecast_zone` (a code in it): the congestion forecast
    that motivated the limit, if cited (limits.services.citations)."""
    now = now or timezone.now()
    citation = limit_forecast_citation(
        system_operator=system_operator, publication_id=forecast_publication, zone_code=forecast_zone
    )
    values = {
        "direction": direction, "quantity_mw": quantity_mw, "start": start, "end": end, "reason": reason
    }
    target, publication = _prepare(
        user=user,
        system_operator=system_operator,
        target_kind=target_kind,
        spu=spu,
        spg=spg,
        connection_point=connection_point,
        area=area,
        values=values,
        now=now,
    )
    if now > publication.latest_allowed_at:
        limit_refuse_late(
            user=user, system_operator=system_operator, target=target, start=start, publication=publication
        )
    return _create_save(
        user=user,
        system_operator=system_operator,
        target=target,
        publication=publication,
        values={"direction": direction, "quantity_mw": Decimal(quantity_mw), "start": start, "end": end},
        reason=reason,
        now=now,
        citation=citation,
    )


@transaction.atomic
def _create_save(
    *, user, system_operator: SystemOperator, target: Target, publication: Publication, values: dict,
    reason: str, now: datetime, citation: ForecastCitation = NO_CITATION,
) -> TemporaryLimit:
    """Store the limit, its audit event and the FSPs it concerns; notify them on commit."""
    limit = TemporaryLimit.objects.create(
        system_operator=system_operator,
        target_kind=target.kind,
        spu=target.spu,
        spg=target.spg,
        connection_point=target.connection_point,
        **values,
        reason=reason.strip(),
        created_by=user,
        created_at=now,
        updated_at=now,
        latest_allowed_at=publication.latest_allowed_at,
        forecast_publication=citation.publication,
        forecast_zone=citation.zone,
        **_area_fields(target),
    )
    limit_event_record(
        limit=limit,
        action=LimitEvent.Action.CREATE,
        user=user,
        now=now,
        latest_allowed_at=publication.latest_allowed_at,
    )
    LimitConcern.objects.bulk_create(
        [
            LimitConcern(limit=limit, fsp_id=fsp_id)
            for fsp_id in affected_fsp_ids(target=target, start=limit.start, end=limit.end)
        ]
    )
    return limit


def fsp_ids_concerned(*, limit: TemporaryLimit) -> list[int]:
    return list(Fsp.objects.filter(pk__in=limit.concerns.values("fsp_id")).values_list("pk", flat=True))
