"""Writes to the grid registry."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import shapely
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation
from observability.area_geometry import AreaGeometry
from observability.areas import area_file_read
from observability.geo import WGS84, to_wgs84
from observability.models import (
    ConnectionPoint,
    ConnectionPointLocationConfirmation,
    ObservabilityArea,
    SystemOperator,
)
from observability.points import LOCATION, PointChecks
from observability.readers import connection_point_readers_refresh


def system_operator_get_by_eic(*, eic_code: str) -> SystemOperator:
    try:
        return SystemOperator.objects.select_related("organisation").get(
            organisation__eic_code=eic_code
        )
    except SystemOperator.DoesNotExist as exc:
        raise ValidationError({"connecting_so": _("No system operator has the EIC code %(eic)s.")
                               % {"eic": eic_code}}) from exc


@transaction.atomic
def system_operator_create(
    *, name: str, eic_code: str, tier: str, upstream: SystemOperator | None = None,
    country: str = "SE", time_zone: str = "Europe/Stockholm", bidding_zones: str = "",
) -> SystemOperator:
    organisation = Organisation(
        name=name, kind=Organisation.Kind.SYSTEM_OPERATOR, eic_code=eic_code, country=country
    )
    organisation.full_clean()
    organisation.save()
    so = SystemOperator(
        organisation=organisation, tier=tier, upstream=upstream, time_zone=time_zone,
        bidding_zones=bidding_zones,
    )
    so.full_clean()
    so.save()
    return so


def connection_point_build(
    *, gsrn: str, connecting_so: SystemOperator, x: float, y: float, epsg: int = WGS84,
    voltage_level: str, bidding_zone: str,
) -> ConnectionPoint:
    """A validated, unsaved connection point; the location is converted to WGS84."""
    lon, lat = to_wgs84(x=x, y=y, epsg=epsg)
    point = ConnectionPoint(
        gsrn=gsrn, connecting_so=connecting_so, latitude=lat, longitude=lon,
        voltage_level=voltage_level, bidding_zone=bidding_zone,
    )
    point.full_clean()
    return point


def _outside_area_confirmed(*, confirm: bool, reason: str) -> bool:
    """A confirmation counts with its reason; a reason too long or missing is bad input."""
    if len(reason) > ConnectionPointLocationConfirmation.REASON_MAX_LENGTH:
        raise ValidationError({"outside_area_reason": _(
            "Keep the reason within %(max)s characters."
        ) % {"max": ConnectionPointLocationConfirmation.REASON_MAX_LENGTH}})
    if confirm and not reason:
        raise ValidationError({"outside_area_reason": _(
            "Say why the connection point lies outside its operator's observability area."
        )})
    return confirm


def connection_point_get_or_create(
    *, gsrn: str, connecting_so: SystemOperator, x: float | None = None, y: float | None = None,
    epsg: int = WGS84, voltage_level: str | None = None, bidding_zone: str | None = None,
    confirm_outside_area: bool = False, outside_area_reason: str = "", user=None,
) -> ConnectionPoint:
    """The registered point with this GSRN, or a new one from the details given.

    A point already registered must match the connecting SO given: an FSP cannot move a
    metering point to another grid by registering a unit at it. A new point must be plausible
    (observability.points): in a zone of its operator, and inside the operator's current
    observability area unless `user` confirms the place with `outside_area_reason` (kept).
    """
    existing = ConnectionPoint.objects.select_related("connecting_so").filter(gsrn=gsrn).first()
    if existing is not None:
        if existing.connecting_so_id != connecting_so.pk:
            raise ValidationError({"connecting_so": _(
                "Connection point %(gsrn)s is registered with %(so)s, not %(given)s."
            ) % {"gsrn": gsrn, "so": existing.connecting_so, "given": connecting_so}})
        return existing
    missing = [
        name for name, value in
        (("x", x), ("y", y), ("voltage_level", voltage_level), ("bidding_zone", bidding_zone))
        if value in (None, "")
    ]
    if missing:
        raise ValidationError({
            name: _("Needed to register the new connection point %(gsrn)s.") % {"gsrn": gsrn}
            for name in missing
        })
    reason = (outside_area_reason or "").strip()
    confirmed = _outside_area_confirmed(confirm=confirm_outside_area, reason=reason)
    point = connection_point_build(
        gsrn=gsrn, connecting_so=connecting_so, x=x, y=y, epsg=epsg,
        voltage_level=voltage_level, bidding_zone=bidding_zone,
    )
    problems = PointChecks().problems(
        so_id=connecting_so.pk, lon=point.longitude, lat=point.latitude, bidding_zone=point.bidding_zone
    )
    outside = LOCATION in problems
    if confirmed:
        problems.pop(LOCATION, None)
    if problems:
        raise ValidationError(problems)
    point.save()
    connection_point_readers_refresh(points=ConnectionPoint.objects.filter(pk=point.pk))  # SPEC §4
    if outside:
        ConnectionPointLocationConfirmation.objects.create(
            connection_point=point, reason=reason, confirmed_by=user
        )
    return point


# --- Observability areas (SPEC §2, R1) -----------------------------------------------------------

@dataclass
class AreaPreview:
    """What an engineer sees before confirming an upload. Nothing is stored."""

    system_operator: SystemOperator
    area: AreaGeometry
    points_inside: int
    points_total: int
    messages: list[str] = field(default_factory=list)

    @property
    def points_outside(self) -> int:
        return self.points_total - self.points_inside


def _require_area_uploader(*, user, system_operator: SystemOperator) -> None:
    from observability.selectors import area_can_upload

    if not area_can_upload(user=user, system_operator=system_operator):
        raise PermissionDenied(
            _("Only engineers of %(so)s may upload its observability area.") % {"so": system_operator}
        )


def area_points_inside(*, system_operator: SystemOperator, geometry) -> tuple[int, int]:
    """(inside, total) of the operator's own connection points; edges and vertices count as inside."""
    rows = ConnectionPoint.objects.filter(connecting_so=system_operator).values_list("longitude", "latitude")
    # Straight into one array, a chunk of rows at a time: a million points as tuples would take ~150 MB.
    coords = np.fromiter(itertools.chain.from_iterable(rows.iterator(chunk_size=50_000)), dtype=float)
    coords = coords.reshape(-1, 2)
    if coords.size == 0:
        return 0, 0
    shapely.prepare(geometry)
    inside = shapely.intersects_xy(geometry, coords[:, 0], coords[:, 1])
    return int(inside.sum()), len(coords)


def area_upload_preview(
    *, user, file, filename: str, system_operator: SystemOperator | None = None, repair: bool = False
) -> AreaPreview:
    """Read and check an uploaded area file for `system_operator` and describe it; store nothing.

    With no operator given, the user's single engineer membership decides which one.
    """
    from observability.selectors import area_upload_operators_for_user

    if system_operator is None:
        operators = list(area_upload_operators_for_user(user=user)[:2])
        if len(operators) != 1:
            if not operators:
                raise PermissionDenied(_("Only SO engineers upload observability areas."))
            raise ValidationError({"system_operator": _("Choose the operator the area belongs to.")})
        system_operator = operators[0]
    _require_area_uploader(user=user, system_operator=system_operator)
    return area_describe(
        system_operator=system_operator, area=area_file_read(file=file, filename=filename, repair=repair)
    )


def area_describe(*, system_operator: SystemOperator, area: AreaGeometry) -> AreaPreview:
    """The checked area with the operator's own points inside it and what to tell the engineer."""
    inside, total = area_points_inside(system_operator=system_operator, geometry=area.geometry)
    messages = list(area.messages)
    if total and inside < total:
        messages.append(
            _("%(out)s of %(so)s's %(total)s connection points lie outside this area.")
            % {"out": total - inside, "so": system_operator, "total": total}
        )
    return AreaPreview(
        system_operator=system_operator, area=area, points_inside=inside, points_total=total,
        messages=messages,
    )


def area_version_store(
    *, system_operator: SystemOperator, area: AreaGeometry, valid_from: datetime, uploaded_by=None
) -> ObservabilityArea:
    if timezone.is_naive(valid_from):
        raise ValidationError({"valid_from": _("Give the time with its time zone.")})
    if ObservabilityArea.objects.filter(system_operator=system_operator, valid_from=valid_from).exists():
        raise ValidationError({"valid_from": _(
            "%(so)s already has an area version valid from %(when)s: choose another time."
        ) % {"so": system_operator, "when": timezone.localtime(valid_from).strftime("%Y-%m-%d %H:%M")}})
    min_lon, min_lat, max_lon, max_lat = area.bbox
    version = ObservabilityArea(
        system_operator=system_operator,
        valid_from=valid_from,
        geometry_wkb=shapely.to_wkb(area.geometry),
        min_lon=min_lon, min_lat=min_lat, max_lon=max_lon, max_lat=max_lat,
        area_km2=area.area_km2,
        vertex_count=area.vertex_count,
        polygon_count=area.polygon_count,
        source_filename=area.source_filename[:255],
        source_epsg=area.source_epsg,
        repaired=area.repaired,
        uploaded_by=uploaded_by,
    )
    try:
        with transaction.atomic():
            version.save()
    except IntegrityError as exc:  # a concurrent upload took the same instant
        raise ValidationError({"valid_from": _(
            "%(so)s already has an area version valid from this time: choose another time."
        ) % {"so": system_operator}}) from exc
    return version


@transaction.atomic
def area_version_create(
    *, user, system_operator: SystemOperator, valid_from: datetime | None = None,
    file=None, filename: str = "", area: AreaGeometry | None = None, repair: bool = False,
) -> ObservabilityArea:
    """Store a new version of the operator's observability area, uploaded by `user`.

    Either `file` (read and checked as in the preview) or an already checked `area`.
    Only the operator's engineers may upload; earlier versions stay as they are.
    """
    _require_area_uploader(user=user, system_operator=system_operator)
    if area is None:
        if file is None:
            raise ValidationError({"file": _("Choose the file with the area.")})
        area = area_file_read(file=file, filename=filename, repair=repair)
    return area_version_store(
        system_operator=system_operator, area=area, valid_from=valid_from or timezone.now(),
        uploaded_by=user,
    )


@transaction.atomic
def area_version_import(
    *, system_operator: SystemOperator, area: AreaGeometry, valid_from: datetime
) -> ObservabilityArea:
    """Store a version without a person behind it: demo data and operator commands only."""
    return area_version_store(system_operator=system_operator, area=area, valid_from=valid_from)
