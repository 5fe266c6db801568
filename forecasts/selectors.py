"""Scoped reads of grid zones and congestion forecasts "as of" a moment (SPEC R12, §4).

As of a moment T, the forecast of a zone for a market time unit and direction is the row of the
latest publication published at or before T that has one: a correction published after T does
not change what was seen at T. Zone geometry is read as of T too (its version valid at T).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from common.db import fetch_all
from forecasts.access import EVERY_ZONE, ForecastReader, forecast_reader, zones_readable
from forecasts.models import GridZoneVersion, Publication
from forecasts.resource_reads import (  # noqa: F401 (LONGEST_MTU: read from here by forecasts.congestion*)
    LONGEST_MTU,
    VALUE_SELECT,
    resource_read,
    spu_with_values,
    value_columns,
    values_decoded,
    values_params,
    values_sql,
)
from forecasts.zone_index import IndexedZone, zones_at_points
from observability.models import ConnectionPoint
from observability.selectors import connection_point_get_for_user
from prequal.models import Spg, SpgMembership, Spu
from prequal.selectors.resources import spg_get_for_user, spu_get_for_user

RESOURCE_HOURS = 48


@dataclass
class ResourceForecast:
    """A resource (SPU, SPG) and its zones' forecasts over [start, end), as seen at `as_of`."""

    resource: object
    as_of: datetime
    start: datetime
    end: datetime
    zones: list
    # The (lon, lat) rows of the resource's connection points (read by the map).
    points: np.ndarray = field(default_factory=lambda: np.empty((0, 2)))


@dataclass
class ZoneForecast:
    """One zone's version as of the moment, and its forecast rows over the period, by start."""

    version: GridZoneVersion
    values: list[dict] = field(default_factory=list)


def grid_zone_versions_current(
    *, at: datetime | None = None, system_operator_id: int | None = None
) -> list[GridZoneVersion]:
    """Each zone's version valid at `at` (default now); zone lists are public to logged-in users."""
    qs = GridZoneVersion.objects.current(at=at or timezone.now()).select_related(
        "zone__system_operator__organisation", "uploaded_by"
    )
    if system_operator_id:
        qs = qs.filter(zone__system_operator_id=system_operator_id)
    return list(qs.order_by("zone__system_operator__organisation__name", "zone__code"))


def grid_zone_list_for_user(
    *, user, at: datetime, system_operator_id: int | None = None
) -> list[GridZoneVersion]:
    if not getattr(user, "is_authenticated", False):
        return []
    return grid_zone_versions_current(at=at, system_operator_id=system_operator_id)


def zones_around(*, points: np.ndarray, at: datetime) -> list[IndexedZone]:
    """The zones whose version valid at `at` contains any of `points` ((lon, lat) rows; edges
    count), by operator name and zone code: from the process's zone index (forecasts.zone_index),
    no query."""
    return sorted(zones_at_points(points=points, at=at), key=lambda zone: (zone.operator_name, zone.code))


def grid_zones_containing(*, points: np.ndarray, at: datetime) -> list[GridZoneVersion]:
    """The zone versions valid at `at` that contain any of `points`, by operator name and zone
    code, with their zones and operators (from the zone index) and their geometry (one query)."""
    versions = [zone.version() for zone in zones_around(points=points, at=at)]
    if versions:
        wanted = GridZoneVersion.objects.filter(pk__in=[v.pk for v in versions])
        wkb = dict(wanted.values_list("pk", "geometry_wkb"))
        for version in versions:
            version.geometry_wkb = wkb[version.pk]
    return versions


def grid_zone_geometries(versions: list[GridZoneVersion]) -> dict[int, bytes]:
    """The WKB of each version, by version id, in one query for those read without it (the
    versions of IndexedZone.version()); none when all carry it."""
    wanted = [v.pk for v in versions if "geometry_wkb" in v.get_deferred_fields()]
    rows = GridZoneVersion.objects.filter(pk__in=wanted).values_list("pk", "geometry_wkb") if wanted else ()
    loaded = dict(rows)
    return {v.pk: bytes(loaded[v.pk] if v.pk in loaded else v.geometry_wkb) for v in versions}


def forecast_values_as_of(
    *, zone_ids, start: datetime, end: datetime, as_of: datetime
) -> list[dict]:
    """The rows seen at `as_of` for the zones over [start, end): per zone, start and direction, the
    one from the latest publication published by then, with its publication's moment and horizon.
    Ordered by zone, start, direction. One prepared statement (forecasts.resource_reads)."""
    zone_ids = sorted(zone_ids)
    if not zone_ids:
        return []
    zones = f"IN ({', '.join(['%s'] * len(zone_ids))})"
    sql = f"WITH {values_sql(zones)} {VALUE_SELECT} ORDER BY 1, 2, 3"
    params = [*zone_ids, *values_params(start, end, as_of)]
    rows = fetch_all(sql, params, columns=value_columns(), binary=True)
    return values_decoded(rows, start)


def _grouped(versions: list[GridZoneVersion], rows: list[dict]) -> list[ZoneForecast]:
    """The rows by zone, for these versions' zones only (a row of another zone is left out)."""
    by_zone = {version.zone_id: ZoneForecast(version=version) for version in versions}
    for row in rows:
        zone = by_zone.get(row["zone_id"])
        if zone is not None:
            zone.values.append(row)
    return list(by_zone.values())


def _forecasts(versions: list[GridZoneVersion], *, start, end, as_of) -> list[ZoneForecast]:
    zone_ids = [version.zone_id for version in versions]
    return _grouped(versions, forecast_values_as_of(zone_ids=zone_ids, start=start, end=end, as_of=as_of))


def _reader(user) -> ForecastReader:
    reader = forecast_reader(user=user)
    if reader is None:
        raise Http404
    return reader


def forecast_for_zone(
    *, user, zone_id: int, start: datetime, end: datetime, as_of: datetime
) -> ZoneForecast:
    """One zone's forecast over the period as seen at `as_of`; 404 if the user may not read it."""
    reader = _reader(user)
    version = (
        GridZoneVersion.objects.current(at=as_of)
        .select_related("zone__system_operator__organisation")
        .filter(zone_id=zone_id)
        .first()
    )
    if version is None or not zones_readable(reader=reader, versions=[version], at=as_of):
        raise Http404
    return _forecasts([version], start=start, end=end, as_of=as_of)[0]


def forecast_for_points(
    *, reader: ForecastReader, points: np.ndarray, start: datetime, end: datetime, as_of: datetime
) -> list[ZoneForecast]:
    """The forecasts of the zones containing the points (that the reader reads), zone by zone.

    The zones, their versions, operators and geometries come from the zone index (no query);
    the geometry is read for zones_readable's overlaps, never loaded from the database here."""
    versions = _zone_versions(reader=reader, points=points, as_of=as_of)
    return _forecasts(versions, start=start, end=end, as_of=as_of)


def _zone_versions(*, reader: ForecastReader, points: np.ndarray, as_of: datetime) -> list[GridZoneVersion]:
    found = zones_around(points=points, at=as_of)
    return zones_readable(
        reader=reader,
        versions=[zone.version() for zone in found],
        at=as_of,
        geometries=[zone.geometry for zone in found],
    )


def resource_period(*, as_of: datetime) -> tuple[datetime, datetime]:
    """The next 48 hours from `as_of`'s quarter-hour."""
    start = as_of.replace(minute=as_of.minute - as_of.minute % 15, second=0, microsecond=0)
    return start, start + timedelta(hours=RESOURCE_HOURS)


def _points(qs) -> np.ndarray:
    return np.array(list(qs.values_list("longitude", "latitude")), dtype=float).reshape(-1, 2)


def _fsp_only(reader: ForecastReader) -> bool:
    return bool(reader.fsp_org_ids) and not reader.area_so_ids and not reader.everything


def _resource(user, reader: ForecastReader, model, pk: int):
    """The SPU or SPG: any for a market platform (it names resources from its own bids); for a
    user who acts only for FSPs, its organisations' own (prequal's rule for FSPs) in one query;
    else as prequal scopes it for the user (an SO those on its grid or in its cases)."""
    if reader.is_platform:
        return resource_read(model, pk, None)
    if _fsp_only(reader):
        return resource_read(model, pk, sorted(reader.fsp_org_ids))
    return (spu_get_for_user if model is Spu else spg_get_for_user)(user=user, pk=pk)


def _resource_forecast(resource, *, reader, points, as_of: datetime, rows=None) -> ResourceForecast:
    """`rows`: the rows already read with the resource (around its points, as of the moment),
    or None to read them."""
    if resource.fsp.organisation_id in reader.fsp_org_ids:
        # The FSP's own resource: every zone around its points is the FSP's to read (SPEC §4),
        # with no need to load all its units' points to say so.
        reader = EVERY_ZONE
    start, end = resource_period(as_of=as_of)
    if rows is None:
        zones = forecast_for_points(reader=reader, points=points, start=start, end=end, as_of=as_of)
    else:
        zones = _grouped(_zone_versions(reader=reader, points=points, as_of=as_of), rows)
    return ResourceForecast(
        resource=resource, as_of=as_of, start=start, end=end, zones=zones, points=points
    )


def forecast_for_spu(*, user, pk: int, as_of: datetime | None = None) -> ResourceForecast:
    """The SPU's zones' forecasts for the 48 hours from `as_of` (default now), as seen then."""
    reader = _reader(user)
    as_of = as_of or timezone.now()
    rows = None
    if reader.is_platform or _fsp_only(reader):
        # The SPU and its zones' rows in one statement (SPEC §7: 48 hours in 20 ms).
        start, end = resource_period(as_of=as_of)
        org_ids = None if reader.is_platform else sorted(reader.fsp_org_ids)
        spu, rows = spu_with_values(pk, org_ids, start=start, end=end, as_of=as_of)
    else:
        spu = _resource(user, reader, Spu, pk)
    point = spu.connection_point
    points = np.array([[point.longitude, point.latitude]], dtype=float)
    return _resource_forecast(spu, reader=reader, points=points, as_of=as_of, rows=rows)


def forecast_for_spg(*, user, pk: int, as_of: datetime | None = None) -> ResourceForecast:
    """The forecasts around the points of the group's members at `as_of` (default now)."""
    as_of = as_of or timezone.now()
    reader = _reader(user)
    spg = _resource(user, reader, Spg, pk)
    members = SpgMembership.objects.filter(spg=spg, valid_from__lte=as_of).exclude(
        valid_to__lte=as_of
    )
    points = _points(ConnectionPoint.objects.filter(spus__spg_memberships__in=members).distinct())
    return _resource_forecast(spg, reader=reader, points=points, as_of=as_of)


def forecast_for_point(
    *, user, pk: int, start: datetime, end: datetime, as_of: datetime
) -> tuple[ConnectionPoint, list[ZoneForecast]]:
    reader = _reader(user)
    if reader.is_platform:
        point = get_object_or_404(ConnectionPoint, pk=pk)
    else:
        point = connection_point_get_for_user(user=user, pk=pk)
    points = np.array([[point.longitude, point.latitude]], dtype=float)
    return point, forecast_for_points(
        reader=reader, points=points, start=start, end=end, as_of=as_of
    )


def publication_list_for_user(*, user, system_operator_id: int | None = None):
    """Publications (who published what, when): an SO its own operator's, a platform its operators',
    the NRA every one; an FSP none (it reads the forecasts themselves)."""
    reader = forecast_reader(user=user)
    qs = Publication.objects.select_related("system_operator__organisation", "published_by")
    if reader is None:
        return qs.none()
    if not reader.everything:
        qs = qs.filter(system_operator_id__in=reader.publisher_so_ids | reader.area_so_ids)
    if system_operator_id:
        qs = qs.filter(system_operator_id=system_operator_id)
    return qs.order_by("-published_at", "-id")
