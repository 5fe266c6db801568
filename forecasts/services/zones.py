"""Grid zones: an operator's whole observability area, or named parts of it, versioned like the
area (SPEC §2). Files are read and checked by observability's area reader (any EPSG, valid
polygons, repaired only on request); a zone must lie inside or overlap the operator's current
observability area.
"""

from __future__ import annotations

import re
from datetime import datetime

import shapely
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from forecasts.models import GridZone, GridZoneVersion
from forecasts.zone_index import zone_index_forget
from observability.area_geometry import AreaGeometry, area_error
from observability.areas import area_file_read
from observability.models import ObservabilityArea, SystemOperator
from observability.selectors import area_can_upload

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def grid_zone_can_manage(*, user, system_operator: SystemOperator) -> bool:
    """The operator's engineers upload its zones and publish its forecasts (as its area)."""
    return area_can_upload(user=user, system_operator=system_operator)


def _identity_check(*, code: str, name: str) -> None:
    errors = {}
    if not CODE.match(code or ""):
        errors["code"] = [
            _("Give a code of 1–64 letters, digits, dots, dashes or underscores, e.g. T12-NORTH.")
        ]
    if not (name or "").strip():
        errors["name"] = [_("Give the zone a name, e.g. the substation's.")]
    elif len(name) > 200:
        errors["name"] = [_("Keep the name within 200 characters.")]
    if errors:
        raise ValidationError(errors)


def _current_area(*, system_operator: SystemOperator, at: datetime) -> ObservabilityArea:
    area = ObservabilityArea.objects.filter(system_operator=system_operator).current(at=at).first()
    if area is None:
        raise area_error(
            _("%(so)s has no observability area yet: upload the area before its grid zones.")
            % {"so": system_operator}
        )
    return area


def _within_area(
    *, zone: AreaGeometry, area: ObservabilityArea, system_operator: SystemOperator
) -> None:
    if not shapely.intersects(zone.geometry, area.geometry):
        raise area_error(
            _(
                "%(file)s lies outside %(so)s's observability area: a grid zone must lie inside it or "
                "overlap it."
            )
            % {"file": zone.source_filename, "so": system_operator}
        )


@transaction.atomic
def grid_zone_upload(
    *,
    user,
    system_operator: SystemOperator,
    code: str,
    name: str,
    file=None,
    filename: str = "",
    whole_area: bool = False,
    valid_from: datetime | None = None,
    repair: bool = False,
) -> GridZoneVersion:
    """A new version of the zone `code` (made on its first upload), from a file or, with
    `whole_area`, the operator's current observability area. Earlier versions stay."""
    if not grid_zone_can_manage(user=user, system_operator=system_operator):
        raise PermissionDenied(
            _("Only engineers of %(so)s may upload its grid zones.") % {"so": system_operator}
        )
    _identity_check(code=code, name=name)
    valid_from = valid_from or timezone.now()
    if timezone.is_naive(valid_from):
        raise ValidationError({"valid_from": _("Give the time with its time zone.")})
    area = _current_area(system_operator=system_operator, at=valid_from)
    if whole_area:
        geometry = AreaGeometry(
            geometry=area.geometry,
            source_epsg=area.source_epsg,
            feature_count=area.polygon_count,
            source_filename=area.source_filename,
            area_km2=area.area_km2,
        )
    elif file is None:
        raise ValidationError(
            {"file": _("Choose the file with the zone, or take the whole observability area.")}
        )
    else:
        geometry = area_file_read(file=file, filename=filename, repair=repair)
    _within_area(zone=geometry, area=area, system_operator=system_operator)
    return grid_zone_version_store(
        system_operator=system_operator,
        code=code,
        name=name.strip(),
        area=geometry,
        valid_from=valid_from,
        uploaded_by=user,
    )


def grid_zone_version_store(
    *,
    system_operator: SystemOperator,
    code: str,
    name: str,
    area: AreaGeometry,
    valid_from: datetime,
    uploaded_by=None,
) -> GridZoneVersion:
    """Store a checked geometry as a version of the zone (demo data and tests call it directly)."""
    zone, _created = GridZone.objects.get_or_create(system_operator=system_operator, code=code)
    min_lon, min_lat, max_lon, max_lat = area.bbox
    version = GridZoneVersion(
        zone=zone,
        name=name,
        valid_from=valid_from,
        geometry_wkb=shapely.to_wkb(area.geometry),
        min_lon=min_lon,
        min_lat=min_lat,
        max_lon=max_lon,
        max_lat=max_lat,
        area_km2=area.area_km2,
        source_filename=area.source_filename[:255],
        source_epsg=area.source_epsg,
        uploaded_by=uploaded_by,
    )
    try:
        with transaction.atomic():
            version.save()
    except IntegrityError as exc:  # the same instant twice (or a concurrent upload)
        raise ValidationError(
            {
                "valid_from": _(
                    "Grid zone %(code)s already has a version valid from this time: choose another time."
                )
                % {"code": code}
            }
        ) from exc
    # The activation check's zone lookup (forecasts.zone_index): now here, after commit for the
    # index a concurrent lookup may build meanwhile.
    zone_index_forget()
    transaction.on_commit(zone_index_forget)
    return version
