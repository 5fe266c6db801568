"""The temporary limits an activation check looks at: one query, and the area cache.

Area polygons are parsed once per process and cached (_area_cache: the one copy).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import shapely
from django.db import connection

from common.db import fetch_all, instance, model_columns
from limits.models import TargetKind, TemporaryLimit
from limits.periods import LIMIT_APPLIES_DURING_SQL
from prequal.models import Direction, Spu

_area_cache: dict[int, tuple[datetime, object]] = {}


def _area_geometry(limit: TemporaryLimit):
    """The limit's area as a prepared shapely geometry, parsed once per process and change.

    The hot query leaves `area_geojson` out (polygons of thousands of vertices); it is read
    only when this process has not parsed this version of the area yet.
    """
    cached = _area_cache.get(limit.pk)
    if cached is not None and cached[0] == limit.updated_at:
        return cached[1]
    geometry = shapely.from_geojson(limit.area_geojson)  # a deferred field: one query
    shapely.prepare(geometry)
    if len(_area_cache) > 50_000:
        _area_cache.clear()
    _area_cache[limit.pk] = (limit.updated_at, geometry)
    return geometry


_LIMIT_FIELDS = (
    "id", "system_operator_id", "target_kind", "spu_id", "spg_id", "connection_point_id", "direction",
    "quantity_mw", "start", "end", "reason", "updated_at", "lifted_at",
)  # in TemporaryLimit's field order (Model.from_db takes them so)
_LIMIT_COLUMNS = ", ".join(f'"{name}"' for name in _LIMIT_FIELDS)
# An area limit whose box holds a point (the point as a box: `box && box` is what the GiST index
# limit_area_box_period indexes, `box @> point` is not) over the period (two parameters after the
# point's own): the index's expressions, for limits_overlapping and its fold.
_AREA_AT = (
    "(target_kind = 'area' AND box(point(min_lon, min_lat), point(max_lon, max_lat)) && {point} "
    'AND tstzrange(start, "end") && tstzrange(%s, %s))'
)


def limits_overlapping(
    *,
    start: datetime,
    end: datetime,
    spu_ids=(),
    connection_point_ids=(),
    spg_id: int | None = None,
    points: list[tuple[float, float]] = (),
) -> list[TemporaryLimit]:
    """Every limit overlapping [start, end) on these SPUs, points, SPG, or an area covering a point.

    One prepared statement: an OR over the partial indexes on (spu, end), (connection_point,
    end), (spg, end) and, for the area limits, on PostgreSQL the GiST index on (bounding box,
    period) (migration limits/0002) once per point, elsewhere the B-tree on (end, min_lon) with
    the points' bounding box; an area counts when its polygon contains a point (_limits_on).
    The limits come without `area_geojson` (deferred; see _area_geometry).
    """
    scope, params = [], []
    if spu_ids:
        scope.append(f"spu_id IN ({', '.join(['%s'] * len(spu_ids))})")
        params += list(spu_ids)
    if connection_point_ids:
        scope.append(f"connection_point_id IN ({', '.join(['%s'] * len(connection_point_ids))})")
        params += list(connection_point_ids)
    if spg_id is not None:
        scope.append("spg_id = %s")
        params.append(spg_id)
    if points:
        if connection.vendor == "postgresql":  # the GiST index limit_area_box_period, per point
            for lon, lat in dict.fromkeys(points):
                scope.append(_AREA_AT.format(point="box(point(%s, %s), point(%s, %s))"))
                params += [lon, lat, lon, lat, start, end]
        else:
            lons = [p[0] for p in points]
            lats = [p[1] for p in points]
            scope.append(
                "(target_kind = 'area' AND min_lon <= %s AND max_lon >= %s "
                "AND min_lat <= %s AND max_lat >= %s)"
            )
            params += [max(lons), min(lons), max(lats), min(lats)]
    if not scope:
        return []
    sql = (
        f"SELECT {_LIMIT_COLUMNS} FROM limits_temporarylimit "
        f'WHERE ({" OR ".join(scope)}) AND {LIMIT_APPLIES_DURING_SQL} '
        "ORDER BY quantity_mw, start, id"
    )
    rows = fetch_all(sql, [*params, start, end, start], columns=model_columns(TemporaryLimit, _LIMIT_FIELDS))
    return [instance(TemporaryLimit, _LIMIT_FIELDS, row) for row in rows]


# limits_overlapping's read for one SPU, folded into another statement (the activation check's
# resource statement, limits.activation.access) on PostgreSQL: a WITH item `lim` of one row of
# arrays, one per field, in limits_overlapping's order. The SPU's point and location come from
# InitPlans on the SPU's id, so the same indexes answer as in limits_overlapping (SPU, connection
# point, area box and period).
_FOLD_CTE = (
    "lim AS MATERIALIZED (SELECT {arrays} FROM limits_temporarylimit WHERE (spu_id = %s "
    "OR connection_point_id = (SELECT connection_point_id FROM prequal_spu WHERE id = %s) "
    "OR {area}) AND {applies}) "
).format(
    arrays=", ".join(
        f'array_agg("{name}" ORDER BY quantity_mw, start, id) AS a{i}' for i, name in enumerate(_LIMIT_FIELDS)
    ),
    area=_AREA_AT.format(point=(
        "(SELECT box(point(p.longitude, p.latitude), point(p.longitude, p.latitude)) FROM prequal_spu u "
        "JOIN observability_connectionpoint p ON p.id = u.connection_point_id WHERE u.id = %s)"
    )),
    applies=LIMIT_APPLIES_DURING_SQL,
)
LIMITS_FOLD_COLUMNS = tuple(f"lim.a{i}" for i in range(len(_LIMIT_FIELDS)))


@dataclass(frozen=True)
class LimitsFold:
    """limits_overlapping for one SPU (itself, its point, the areas around it) in [start, end),
    read inside another statement: `cte` is a WITH item (its `params` before the statement's),
    the statement's select list adds LIMITS_FOLD_COLUMNS (`CROSS JOIN lim`), `limits(values)`
    reads them back."""

    start: datetime
    end: datetime
    cte: str
    params: list

    @staticmethod
    def limits(values) -> list[TemporaryLimit]:
        if values[0] is None:  # array_agg over no row
            return []
        return [instance(TemporaryLimit, _LIMIT_FIELDS, row) for row in zip(*values, strict=True)]


def limits_fold(*, spu_id: int, start: datetime, end: datetime) -> LimitsFold | None:
    """The fold of one SPU's limits (PostgreSQL; None elsewhere: limits_overlapping reads apart)."""
    if connection.vendor != "postgresql":
        return None
    return LimitsFold(start, end, _FOLD_CTE, [spu_id, spu_id, spu_id, start, end, start, end, start])


def _limits_on(
    limits, *, spu_id=None, point_id=None, lon=None, lat=None, spg_id=None
) -> list[TemporaryLimit]:
    """The limits of `limits` that apply to one SPU (its point, an area around it) or an SPG."""
    found = []
    for limit in limits:
        kind = limit.target_kind
        if kind == TargetKind.SPU and spu_id is not None and limit.spu_id == spu_id:
            found.append(limit)
        elif (
            kind == TargetKind.CONNECTION_POINT
            and point_id is not None
            and limit.connection_point_id == point_id
        ):
            found.append(limit)
        elif kind == TargetKind.SPG and spg_id is not None and limit.spg_id == spg_id:
            found.append(limit)
        elif kind == TargetKind.AREA and lon is not None:
            if shapely.intersects_xy(_area_geometry(limit), lon, lat):
                found.append(limit)
    return found


def _in_direction(limits, direction: str) -> list[TemporaryLimit]:
    return [limit for limit in limits if limit.direction in (direction, Direction.BOTH)]


def spu_point(spu: Spu) -> tuple[int, float, float]:
    """(point id, lon, lat) of an SPU: from the columns the fast selector joins, else the relation."""
    if hasattr(spu, "cp_lon"):
        return spu.connection_point_id, spu.cp_lon, spu.cp_lat
    cp = spu.connection_point
    return cp.pk, cp.longitude, cp.latitude
