"""Which grid zones contain a point, answered in process (read by the activation check, R8/R12).

Every zone version (geometry and validity) is parsed once per process into a shapely STRtree, so
finding the zones around a resource's connection points costs no query: the activation check
then reads their forecasts in one indexed query. Versions are never edited or deleted, so
(count, largest id) names the set; a process looks at that stamp at most every
ZONE_INDEX_RECHECK_SECONDS and rebuilds when it moved. The process that stores a version forgets
its index at once (grid_zone_version_store); other processes follow within the recheck interval
(a new zone reaches the check seconds after its upload, as it reaches the engineers' pages).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import shapely

from accounts.models import Organisation
from common.db import fetch_all, instance, model_columns
from forecasts.models import GridZone, GridZoneVersion
from observability.models import SystemOperator

ZONE_INDEX_RECHECK_SECONDS = 10.0


@dataclass(frozen=True)
class IndexedZone:
    """One zone version: the zone's id, operator and code, the version's name and validity."""

    zone_id: int
    system_operator_id: int
    operator_name: str
    code: str
    name: str
    valid_from: datetime
    valid_until: datetime | None  # the next version's valid_from; None: still valid
    version_id: int
    organisation_id: int
    # The version's geometry, parsed once for the process (shared with the index's tree).
    geometry: shapely.Geometry = field(compare=False, repr=False)

    def version(self) -> GridZoneVersion:
        """The version as the ORM would load it without its geometry (geometry_wkb deferred: read
        on access), with its zone, the zone's operator and the operator's organisation (its name)
        loaded: what a page or the API shows of a zone, with no query."""
        organisation = instance(Organisation, ("id", "name"), (self.organisation_id, self.operator_name))
        so_id = self.system_operator_id
        operator = instance(SystemOperator, ("id", "organisation_id"), (so_id, self.organisation_id))
        operator.organisation = organisation
        zone = instance(GridZone, ("id", "system_operator_id", "code"), (self.zone_id, so_id, self.code))
        zone.system_operator = operator
        version = instance(
            GridZoneVersion, ("id", "valid_from", "zone_id", "name"),
            (self.version_id, self.valid_from, self.zone_id, self.name),
        )
        version.zone = zone
        return version


@dataclass
class _Index:
    stamp: tuple
    checked_at: float
    zones: list[IndexedZone]
    tree: shapely.STRtree | None
    # The tree's geometries, prepared (an indexed point-in-polygon test: a zone has ~1,000 vertices).
    geometries: np.ndarray | None = None


_lock = threading.Lock()
_index: _Index | None = None


def zone_index_forget() -> None:
    """Drop this process's index (a zone version was stored here; read again on the next lookup)."""
    global _index
    _index = None


def _stamp() -> tuple:
    return tuple(fetch_all("SELECT COUNT(*), MAX(id) FROM forecasts_gridzoneversion")[0])


def _build(stamp: tuple) -> _Index:
    columns = model_columns(GridZoneVersion, ("zone_id", "valid_from", "name", "geometry_wkb"))
    rows = fetch_all(
        "SELECT v.zone_id, v.valid_from, v.name, v.geometry_wkb, z.system_operator_id, z.code, o.name, v.id, "
        "o.id "
        "FROM forecasts_gridzoneversion v JOIN forecasts_gridzone z ON z.id = v.zone_id "
        "JOIN observability_systemoperator s ON s.id = z.system_operator_id "
        "JOIN accounts_organisation o ON o.id = s.organisation_id ORDER BY v.zone_id, v.valid_from",
        columns=[*columns, *model_columns(GridZone, ("system_operator_id", "code")), None, None, None],
    )
    zones, geometries = [], []
    for i, (zone_id, valid_from, name, wkb, so_id, code, operator, version_id, org_id) in enumerate(rows):
        following = rows[i + 1] if i + 1 < len(rows) else None
        until = following[1] if following is not None and following[0] == zone_id else None
        geometry = shapely.from_wkb(bytes(wkb))
        zones.append(
            IndexedZone(zone_id, so_id, operator, code, name, valid_from, until, version_id, org_id, geometry)
        )
        geometries.append(geometry)
    tree = shapely.STRtree(geometries) if geometries else None
    prepared = np.asarray(geometries, dtype=object)
    shapely.prepare(prepared)
    if len(prepared):  # GEOS builds a prepared zone's point locator on its second test: here, under the lock
        inside = shapely.point_on_surface(prepared)
        shapely.intersects(prepared, inside)
        shapely.intersects(prepared, inside)
    return _Index(stamp=stamp, checked_at=time.monotonic(), zones=zones, tree=tree, geometries=prepared)


def _current_index() -> _Index:
    global _index
    index = _index
    if index is not None and time.monotonic() - index.checked_at < ZONE_INDEX_RECHECK_SECONDS:
        return index
    with _lock:
        stamp = _stamp()
        if _index is not None and _index.stamp == stamp:
            _index.checked_at = time.monotonic()
        else:
            _index = _build(stamp)
        return _index


def zones_at_points(*, points, at: datetime) -> list[IndexedZone]:
    """The zones whose version valid at `at` contains any of `points` ((lon, lat) pairs; edges
    count), each once, in zone id order."""
    index = _current_index()
    if index.tree is None or not len(points):
        return []
    xy = np.asarray(points, dtype=float).reshape(-1, 2)
    points = shapely.points(xy)
    # Candidates by bounding box, then the exact test on the prepared zones: the same as the tree's
    # `predicate="intersects"`, which tests each candidate's ~1,000 vertices unprepared (5× the CPU).
    rows, candidates = index.tree.query(points)
    hits = candidates[shapely.intersects(index.geometries[candidates], points[rows])]
    found = {}
    for hit in np.unique(hits):
        zone = index.zones[hit]
        if zone.valid_from <= at and (zone.valid_until is None or zone.valid_until > at):
            found[zone.zone_id] = zone
    return [found[zone_id] for zone_id in sorted(found)]
