"""Who assesses (SPEC R1): the system operators that must assess a set of connection points.

Read by the prequalification workflow when a case is submitted, and by the API and the
case page to explain *why* each SO assesses.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import shapely
from django.db import models
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from observability.models import ConnectionPoint, ObservabilityArea, SystemOperator


class Reason(models.TextChoices):
    CONNECTING = "connecting", _("Connecting SO")
    OBSERVABILITY_AREA = "observability_area", _("Observability area")
    PROCURING = "procuring", _("Procuring SO")


@dataclass
class AssessingSo:
    """One SO that assesses, with every reason it was added (each SO appears once)."""

    system_operator_id: int
    reasons: set[str] = field(default_factory=set)
    # The observability-area versions whose polygons contain one of the points.
    area_version_ids: set[int] = field(default_factory=set)
    # The connection points (ids) that brought this SO in.
    connection_point_ids: set[int] = field(default_factory=set)


def assessing_sos(
    *,
    points: Sequence[ConnectionPoint],
    procuring_so: SystemOperator | None = None,
    at: datetime | None = None,
) -> list[AssessingSo]:
    """The assessing SOs for these connection points (and product's procuring SO).

    Returned in a stable order: by system operator id.
    """
    found: dict[int, AssessingSo] = {}

    def add(so_id: int, reason: str, *, point_id: int | None = None, area_version_id=None):
        entry = found.setdefault(so_id, AssessingSo(system_operator_id=so_id))
        entry.reasons.add(reason)
        if point_id is not None:
            entry.connection_point_ids.add(point_id)
        if area_version_id is not None:
            entry.area_version_ids.add(area_version_id)

    for point in points:
        add(point.connecting_so_id, Reason.CONNECTING, point_id=point.pk)
    for point_id, so_id, area_version_id in _area_hits(points=points, at=at):
        add(so_id, Reason.OBSERVABILITY_AREA, point_id=point_id, area_version_id=area_version_id)
    if procuring_so is not None:
        add(procuring_so.pk, Reason.PROCURING)
    return [found[k] for k in sorted(found)]


def _area_hits(
    *, points: Iterable[ConnectionPoint], at: datetime | None
) -> Iterable[tuple[int, int, int]]:
    """(connection point id, SO id, area version id) for every current area containing a point."""
    points = list(points)
    if not points:
        return []
    hits = area_hits_for_coordinates(
        lon=np.fromiter((p.longitude for p in points), float, len(points)),
        lat=np.fromiter((p.latitude for p in points), float, len(points)),
        at=at,
    )
    return [
        (points[i].pk, so, area)
        for i, so, area in zip(
            hits.point_index.tolist(), hits.system_operator_id.tolist(), hits.area_id.tolist(), strict=True
        )
    ]


# --- The in-process index over every area version ------------------------------------------------

# A far-future instant (µs since the epoch) for "valid until further notice".
_OPEN_END = np.iinfo(np.int64).max


def _micros(at: datetime) -> int:
    return int(round(at.astimezone(UTC).timestamp() * 1_000_000))


@dataclass(frozen=True)
class AreaHits:
    """Parallel arrays: point `point_index[k]` lies in area version `area_id[k]` of its SO."""

    point_index: np.ndarray
    system_operator_id: np.ndarray
    area_id: np.ndarray


# Up to this many points, look up candidate areas by bounding box in the area tree and test each
# pair against the prepared polygon; above it, index the points instead and let each prepared
# polygon find its points (GEOS prepares the *query* geometry, so the polygons must be the query).
FEW_POINTS = 2048


@dataclass(frozen=True)
class AreaIndex:
    """Every area version's polygon (prepared) in an STRtree, with each version's validity interval.

    Versions of all times are in one index; a query keeps the versions whose interval
    [valid_from, valid_until) contains `at`, valid_until being the SO's next version.
    """

    key: tuple
    tree: shapely.STRtree
    geometries: np.ndarray
    area_ids: np.ndarray
    so_ids: np.ndarray
    valid_from: np.ndarray  # µs since the epoch, UTC
    valid_until: np.ndarray

    @classmethod
    def build(cls, *, key: tuple, area_ids, so_ids, valid_from, geometries) -> AreaIndex:
        area_ids = np.asarray(area_ids, dtype=np.int64)
        so_ids = np.asarray(so_ids, dtype=np.int64)
        valid_from = np.asarray(valid_from, dtype=np.int64)
        geometries = np.asarray(geometries, dtype=object)
        # Next version of the same SO ends a version's validity.
        order = np.lexsort((area_ids, valid_from, so_ids))
        valid_until = np.full(len(area_ids), _OPEN_END, dtype=np.int64)
        same_so_next = so_ids[order][1:] == so_ids[order][:-1]
        valid_until[order[:-1][same_so_next]] = valid_from[order][1:][same_so_next]
        shapely.prepare(geometries)
        if len(geometries):
            # Build GEOS's lazy point-in-area locators now, before the index is shared between
            # request threads: their first use is not safe to race.
            anchors = shapely.point_on_surface(geometries)
            shapely.intersects_xy(geometries, shapely.get_x(anchors), shapely.get_y(anchors))
        return cls(
            key=key, tree=shapely.STRtree(geometries), geometries=geometries, area_ids=area_ids,
            so_ids=so_ids, valid_from=valid_from, valid_until=valid_until,
        )

    def query(
        self, *, lon, lat, at: datetime | None = None, few_points: int = FEW_POINTS, sort: bool = True
    ) -> AreaHits:
        """Points on an edge or a vertex count as inside ("intersects", i.e. the area covers them).

        With `sort`, hits are ordered by point index, then area id.
        """
        lon = np.asarray(lon, dtype=float).ravel()
        lat = np.asarray(lat, dtype=float).ravel()
        t = _micros(at or timezone.now())
        valid = (self.valid_from <= t) & (t < self.valid_until)
        if lon.size == 0 or not valid.any():
            empty = np.empty(0, dtype=np.int64)
            return AreaHits(empty, empty, empty)
        if lon.size <= few_points:
            point_index, geom_index = self.tree.query(shapely.points(lon, lat))
            keep = valid[geom_index]
            point_index, geom_index = point_index[keep], geom_index[keep]
            inside = shapely.intersects_xy(self.geometries[geom_index], lon[point_index], lat[point_index])
            point_index, geom_index = point_index[inside], geom_index[inside]
        else:
            current = np.flatnonzero(valid)
            point_tree = shapely.STRtree(shapely.points(lon, lat), node_capacity=10)
            local_index, point_index = point_tree.query(self.geometries[current], predicate="intersects")
            geom_index = current[local_index]
        if sort:
            order = np.lexsort((self.area_ids[geom_index], point_index))
            point_index, geom_index = point_index[order], geom_index[order]
        return AreaHits(
            point_index=point_index.astype(np.int64, copy=False),
            system_operator_id=self.so_ids[geom_index],
            area_id=self.area_ids[geom_index],
        )


_lock = threading.Lock()
_index: AreaIndex | None = None


def area_set_version() -> tuple:
    """A cheap fingerprint of the area table, read on every call (one tiny query).

    Versions are only ever added (never edited or deleted), so the count and the highest id
    change with every upload, in whichever process it happened. Both come from indexes: the
    large geometry column is never read here.
    """
    row = ObservabilityArea.objects.aggregate(n=Count("id"), last_id=Max("id"))
    return (row["n"], row["last_id"])


def area_index() -> AreaIndex:
    """The index for the current area set, rebuilt when any process has added a version."""
    global _index
    key = area_set_version()
    index = _index
    if index is not None and index.key == key:
        return index
    with _lock:
        if _index is not None and _index.key == key:
            return _index
        rows = list(
            ObservabilityArea.objects.order_by("id").values_list(
                "id", "system_operator_id", "valid_from", "geometry_wkb"
            )
        )
        _index = AreaIndex.build(
            key=key,
            area_ids=[r[0] for r in rows],
            so_ids=[r[1] for r in rows],
            valid_from=[_micros(r[2]) for r in rows],
            geometries=shapely.from_wkb([bytes(r[3]) for r in rows]) if rows else [],
        )
        return _index


def area_index_clear() -> None:
    """Forget the cached index (tests; the fingerprint makes this unnecessary in production)."""
    global _index
    with _lock:
        _index = None


def area_hits_for_coordinates(*, lon, lat, at: datetime | None = None) -> AreaHits:
    """Vectorised: which current areas contain each (lon, lat) WGS84 point. Indices into the input."""
    return area_index().query(lon=lon, lat=lat, at=at)


def assessing_sos_for_points(
    *,
    points: Sequence[ConnectionPoint],
    procuring_so: SystemOperator | None = None,
    at: datetime | None = None,
) -> dict[int, list[AssessingSo]]:
    """The assessing SOs per connection point (keyed by point id), in one vectorised query.

    The same rule as assessing_sos() applied to each point on its own; for many points at once
    (bulk API, re-assessment of a whole area after an upload).
    """
    points = list(points)
    per_point: dict[int, dict[int, AssessingSo]] = {p.pk: {} for p in points}

    def add(point_id: int, so_id: int, reason: str, area_version_id: int | None = None) -> None:
        entry = per_point[point_id].get(so_id)
        if entry is None:
            entry = per_point[point_id][so_id] = AssessingSo(system_operator_id=so_id)
            entry.connection_point_ids.add(point_id)
        entry.reasons.add(reason)
        if area_version_id is not None:
            entry.area_version_ids.add(area_version_id)

    for point in points:
        add(point.pk, point.connecting_so_id, Reason.CONNECTING)
    for point_id, so_id, area_id in _area_hits(points=points, at=at):
        add(point_id, so_id, Reason.OBSERVABILITY_AREA, area_id)
    if procuring_so is not None:
        for point in points:
            add(point.pk, procuring_so.pk, Reason.PROCURING)
    return {pid: [sos[k] for k in sorted(sos)] for pid, sos in per_point.items()}


def assessing_so_arrays(
    *,
    connecting_so_ids,
    lon,
    lat,
    procuring_so_id: int | None = None,
    at: datetime | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The bulk rule on plain arrays (a million points without building objects).

    Returns rows (point index, SO id, reason bit mask, area version id or -1), one per point
    and SO, ordered by point; within a point the connecting SO comes first. Reason bits:
    1 connecting, 2 observability area, 4 procuring. Read by the benchmark and by bulk jobs
    that stream their own output.
    """
    connecting = np.asarray(connecting_so_ids, dtype=np.int64).ravel()
    n = connecting.size
    hits = area_index().query(lon=lon, lat=lat, at=at, sort=False)
    hit_point, hit_so, hit_area = hits.point_index, hits.system_operator_id, hits.area_id
    # An SO has at most one valid version at a time, so a point meets each SO once among the
    # hits; the connecting SO's own area hit merges into its connecting row.
    conn_reason = np.ones(n, dtype=np.int8)
    conn_area = np.full(n, -1, dtype=np.int64)
    own = hit_so == connecting[hit_point]
    conn_reason[hit_point[own]] |= 2
    conn_area[hit_point[own]] = hit_area[own]
    hit_point, hit_so, hit_area = hit_point[~own], hit_so[~own], hit_area[~own]
    hit_reason = np.full(hit_point.size, 2, dtype=np.int8)
    parts = [
        (np.arange(n, dtype=np.int64), connecting, conn_reason, conn_area),
        (hit_point, hit_so, hit_reason, hit_area),
    ]
    if procuring_so_id is not None:
        covered = np.zeros(n, dtype=bool)
        by_connecting = connecting == procuring_so_id
        conn_reason[by_connecting] |= 4
        covered[by_connecting] = True
        by_area = hit_so == procuring_so_id
        hit_reason[by_area] |= 4
        covered[hit_point[by_area]] = True
        rest = np.flatnonzero(~covered)
        parts.append((
            rest, np.full(rest.size, procuring_so_id, dtype=np.int64),
            np.full(rest.size, 4, dtype=np.int8), np.full(rest.size, -1, dtype=np.int64),
        ))
    point, so, reason, area = (np.concatenate(column) for column in zip(*parts, strict=True))
    order = np.argsort(point, kind="stable")
    return point[order], so[order], reason[order], area[order]
