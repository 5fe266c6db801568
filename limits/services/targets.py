"""Temporary limits: their targets, and the SO's grid.

The target must lie in the SO's grid: a connection point it connects or whose location lies
in its current observability area; an SPU at such a point; an SPG with a current member at
such a point; a polygon intersecting its current observability area (stored clipped to it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import shapely
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from limits.models import TargetKind, TemporaryLimit
from limits.selectors import connection_point_by_gsrn, spg_by_id, spu_by_id
from observability.models import ConnectionPoint, ObservabilityArea, SystemOperator
from observability.resolver import area_hits_for_coordinates
from prequal.models import Spg, SpgMembership, Spu


@dataclass
class Target:
    kind: str
    spu: Spu | None = None
    spg: Spg | None = None
    connection_point: ConnectionPoint | None = None
    geometry: object | None = None  # shapely (Multi)Polygon, WGS84

    @property
    def description(self) -> str:
        if self.kind == TargetKind.SPU:
            return f"SPU {self.spu.code}"
        if self.kind == TargetKind.SPG:
            return f"SPG {self.spg.code}"
        if self.kind == TargetKind.CONNECTION_POINT:
            return f"CP {self.connection_point.gsrn}"
        minx, miny, maxx, maxy = self.geometry.bounds
        return f"area {minx:.4f},{miny:.4f},{maxx:.4f},{maxy:.4f}"

    @property
    def target_id(self) -> int | None:
        obj = {
            TargetKind.SPU: self.spu,
            TargetKind.SPG: self.spg,
            TargetKind.CONNECTION_POINT: self.connection_point,
        }.get(self.kind)
        return obj.pk if obj is not None else None


# The input field that names each kind of target (HTML form and API alike): errors on the
# target are reported on it.
TARGET_INPUT_FIELDS = {
    TargetKind.SPU: "spu",
    TargetKind.SPG: "spg",
    TargetKind.CONNECTION_POINT: "connection_point_gsrn",
    TargetKind.AREA: "area",
}


def limit_target(limit: TemporaryLimit) -> Target:
    """The stored limit's target."""
    geometry = shapely.from_geojson(limit.area_geojson) if limit.target_kind == TargetKind.AREA else None
    return Target(
        kind=limit.target_kind,
        spu=limit.spu,
        spg=limit.spg,
        connection_point=limit.connection_point,
        geometry=geometry,
    )


def limit_target_find(
    *, kind: str, spu_id: int | None = None, spg_id: int | None = None, gsrn: str | None = None, area=None
) -> dict:
    """The target of a new limit from what the form or the API gave, as limit_create's keyword
    arguments (spu, spg, connection_point, area; those of other kinds None).

    An unknown target raises ValidationError on its input field. Whether it lies in the SO's
    grid is target_check's rule, applied by limit_create.
    """
    found = {"spu": None, "spg": None, "connection_point": None, "area": None}
    if kind == TargetKind.SPU:
        found["spu"] = spu_by_id(pk=spu_id) if spu_id else None
        if found["spu"] is None:
            raise ValidationError({"spu": _("Give the id of an existing SPU.")})
    elif kind == TargetKind.SPG:
        found["spg"] = spg_by_id(pk=spg_id) if spg_id else None
        if found["spg"] is None:
            raise ValidationError({"spg": _("Give the id of an existing SPG.")})
    elif kind == TargetKind.CONNECTION_POINT:
        found["connection_point"] = connection_point_by_gsrn(gsrn=gsrn) if gsrn else None
        if found["connection_point"] is None:
            raise ValidationError(
                {"connection_point_gsrn": _("Give the GSRN of a registered connection point.")}
            )
    else:
        if area is None:
            raise ValidationError({"area": _("Give the area as a GeoJSON Polygon or MultiPolygon.")})
        found["area"] = area
    return found


def area_geometry_parse(value) -> object:
    """A WGS84 (Multi)Polygon from GeoJSON text or a dict (geometry, Feature or FeatureCollection).

    Raises ValidationError on the field "area" with what is wrong.
    """
    if isinstance(value, str | bytes):
        try:
            value = json.loads(value)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValidationError(
                {"area": _("The area is not valid GeoJSON (%(error)s).") % {"error": exc}}
            ) from exc
    if not isinstance(value, dict):
        raise ValidationError({"area": _("Give the area as a GeoJSON Polygon or MultiPolygon.")})
    kind = value.get("type")
    if kind == "FeatureCollection":
        geometries = [f.get("geometry") for f in value.get("features") or [] if isinstance(f, dict)]
    elif kind == "Feature":
        geometries = [value.get("geometry")]
    else:
        geometries = [value]
    shapes = []
    for geometry in geometries:
        if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
            raise ValidationError(
                {"area": _("The area must be a Polygon or MultiPolygon (WGS84 longitude, latitude).")}
            )
        try:
            shapes.append(shapely.from_geojson(json.dumps(geometry)))
        except shapely.errors.GEOSException as exc:
            raise ValidationError(
                {"area": _("The area's geometry cannot be read (%(error)s).") % {"error": exc}}
            ) from exc
    if not shapes:
        raise ValidationError({"area": _("The area is empty: draw or upload a polygon.")})
    shape = shapely.union_all(shapes)
    if shape.is_empty or not shape.is_valid:
        raise ValidationError(
            {
                "area": _("The area is not a valid polygon (%(reason)s).")
                % {"reason": shapely.is_valid_reason(shape)}
            }
        )
    minx, miny, maxx, maxy = shape.bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise ValidationError(
            {"area": _("The area's coordinates are not WGS84 longitude/latitude (EPSG:4326).")}
        )
    return shape


def current_area_geometry(*, system_operator: SystemOperator, at: datetime | None = None):
    area = ObservabilityArea.objects.current(at=at).filter(system_operator=system_operator).first()
    return area.geometry if area is not None else None


def point_in_grid(
    *, system_operator: SystemOperator, point: ConnectionPoint, at: datetime | None = None
) -> bool:
    """The SO connects the point, or the point lies in its current observability area."""
    if point.connecting_so_id == system_operator.pk:
        return True
    hits = area_hits_for_coordinates(lon=[point.longitude], lat=[point.latitude], at=at)
    return int(system_operator.pk) in {int(s) for s in hits.system_operator_id}


def _not_in_grid(kind: str) -> ValidationError:
    return ValidationError(
        {
            "target": _(
                "This %(kind)s is not on your grid: you may set limits only on connection points your "
                "operator connects or that lie in its observability area, and on units and groups there."
            )
            % {"kind": TargetKind(kind).label.lower()}
        }
    )


def target_check(*, system_operator: SystemOperator, target: Target, at: datetime) -> Target:
    """Refuse a target outside the SO's grid; clip an area to the SO's observability area."""
    if target.kind == TargetKind.CONNECTION_POINT:
        if not point_in_grid(system_operator=system_operator, point=target.connection_point, at=at):
            raise _not_in_grid(target.kind)
    elif target.kind == TargetKind.SPU:
        if not point_in_grid(system_operator=system_operator, point=target.spu.connection_point, at=at):
            raise _not_in_grid(target.kind)
    elif target.kind == TargetKind.SPG:
        points = [m.spu.connection_point for m in _current_members(spg=target.spg, at=at)]
        if not any(point_in_grid(system_operator=system_operator, point=p, at=at) for p in points):
            raise _not_in_grid(target.kind)
    elif target.kind == TargetKind.AREA:
        area = current_area_geometry(system_operator=system_operator, at=at)
        if area is None:
            raise ValidationError(
                {"area": _("Your operator has no observability area yet: upload one first.")}
            )
        clipped = shapely.intersection(area, target.geometry)
        if clipped.is_empty or clipped.area == 0:
            raise ValidationError(
                {
                    "area": _(
                        "The area lies outside your operator's observability area: limits on another "
                        "operator's grid are not allowed."
                    )
                }
            )
        target.geometry = clipped
    return target


def _current_members(*, spg: Spg, at: datetime):
    return (
        SpgMembership.objects.filter(spg=spg, valid_from__lte=at)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=at))
        .select_related("spu__connection_point")
    )


def area_points(*, geometry) -> list[int]:
    """Ids of the connection points inside (or on the edge of) the polygon."""
    minx, miny, maxx, maxy = geometry.bounds
    rows = list(
        ConnectionPoint.objects.filter(
            longitude__gte=minx, longitude__lte=maxx, latitude__gte=miny, latitude__lte=maxy
        ).values_list("pk", "longitude", "latitude")
    )
    if not rows:
        return []
    ids, lon, lat = zip(*rows, strict=True)
    shapely.prepare(geometry)
    inside = shapely.intersects_xy(geometry, list(lon), list(lat))
    return [pk for pk, ok in zip(ids, inside, strict=True) if ok]


def _affected_resources(*, target: Target, start: datetime, end: datetime) -> tuple[list[int], list[int]]:
    """(SPU ids, SPG ids) a limit on the target affects over [start, end)."""
    spu_ids: list[int] = []
    spg_ids: list[int] = []
    if target.kind == TargetKind.SPG:
        return [], [target.spg.pk]
    if target.kind == TargetKind.SPU:
        spu_ids = [target.spu.pk]
    elif target.kind == TargetKind.CONNECTION_POINT:
        spu_ids = list(
            Spu.objects.filter(connection_point=target.connection_point).values_list("pk", flat=True)
        )
    else:
        point_ids = area_points(geometry=target.geometry)
        spu_ids = list(Spu.objects.filter(connection_point_id__in=point_ids).values_list("pk", flat=True))
    if spu_ids:
        spg_ids = list(
            SpgMembership.objects.filter(spu_id__in=spu_ids, valid_from__lt=end)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=start))
            .values_list("spg_id", flat=True)
            .distinct()
        )
    return spu_ids, spg_ids


def affected_fsp_ids(*, target: Target, start: datetime, end: datetime) -> list[int]:
    if target.kind == TargetKind.SPU:
        return [target.spu.fsp_id]
    if target.kind == TargetKind.SPG:
        return [target.spg.fsp_id]
    spu_ids, _spg_ids = _affected_resources(target=target, start=start, end=end)
    return sorted(set(Spu.objects.filter(pk__in=spu_ids).values_list("fsp_id", flat=True)))
