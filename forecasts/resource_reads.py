"""The statements of a resource's forecast (SPEC R12, §7: a resource's 48 hours in 20 ms).

- `values_sql`: the rows seen as of a moment for some zones (forecasts.selectors'
  forecast_values_as_of): the index forecast_value_as_of of the delivery months' partitions the
  period touches, ranked; then the few publications of the rows kept, each looked up once by
  primary key and hashed onto the rows (a join row by row read three index pages per row).
- `resource_read`: an SPU (with its FSP and point) or SPG (with its FSP) by primary key, scoped to
  FSP organisations or not, as the ORM's select_related reads it, in one prepared statement built
  once (the ORM's compilation was half the read's CPU).
- `spu_with_values`: both in one statement for an SPU: the SPU, then the rows of every zone whose
  version's bounding box (valid by the moment) holds its point. The caller keeps the rows of the
  zones the process's zone index says contain the point (forecasts.zone_index): a version's
  bounding box holds its geometry (observability's GeometryVersion) and versions are never edited
  or deleted, so those zones are always among the ones read; a zone whose box alone holds the
  point costs its rows, never shows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

from django.db import connection
from django.http import Http404

from common.db import fetch_all, instance, model_columns
from forecasts.models import ForecastValue, GridZoneVersion, Publication
from prequal.models import Spu

# The longest market time unit: a row that began this long before a period may still overlap it.
LONGEST_MTU = timedelta(minutes=60)
VALUE_FIELDS = ("zone_id", "start", "direction", "minutes", "headroom_mw", "level", "publication_id")
PUBLICATION_FIELDS = ("published_at", "horizon")
_NAMES = (*VALUE_FIELDS, *PUBLICATION_FIELDS)


def values_sql(zones: str) -> str:
    """WITH r (the kept rows), p (their publications): `zones` the condition on zone_id (e.g.
    `IN (%s, %s)`); parameters after its own: the first start, the end, the moment."""
    columns = ", ".join(VALUE_FIELDS)
    return (
        f"r AS MATERIALIZED (SELECT {columns} FROM (SELECT {columns}, ROW_NUMBER() OVER ("
        "PARTITION BY zone_id, start, direction ORDER BY published_at DESC, publication_id DESC) AS rank "
        f"FROM forecasts_forecastvalue WHERE zone_id {zones} "
        "AND start >= %s AND start < %s AND published_at <= %s) ranked WHERE rank = 1), "
        "p AS MATERIALIZED (SELECT id, published_at, horizon FROM forecasts_publication "
        "WHERE id IN (SELECT DISTINCT publication_id FROM r))"
    )


VALUE_SELECT = (
    f"SELECT {', '.join('r.' + name for name in VALUE_FIELDS)}, p.published_at, p.horizon "
    "FROM r JOIN p ON p.id = r.publication_id"
)


def value_columns() -> tuple:
    return model_columns(ForecastValue, VALUE_FIELDS) + model_columns(Publication, PUBLICATION_FIELDS)


def values_params(start: datetime, end: datetime, as_of: datetime) -> list:
    return [start - LONGEST_MTU, end, as_of]


def values_decoded(rows, start: datetime) -> list[dict]:
    """The statement's rows as dicts with their `end`, those ending after `start`."""
    found = []
    for values in rows:
        row = dict(zip(_NAMES, values, strict=True))
        row["end"] = row["start"] + timedelta(minutes=row["minutes"])
        if row["end"] > start:
            found.append(row)
    return found


def _related(model) -> tuple[str, ...]:
    return ("fsp", "connection_point") if model is Spu else ("fsp",)


@cache
def _resource_sql(model, scoped_to: int | None) -> tuple[str, tuple]:
    """(SELECT of one resource by primary key, each column named c0, c1, ...; only if its FSP's
    organisation is one of `scoped_to` many when a number; the models and attnames of its columns)."""
    parts = [(model, "t0")] + [(model._meta.get_field(name).related_model, f"t{i}")
                              for i, name in enumerate(_related(model), start=1)]
    select, joins, shapes = [], [], []
    for i, (part, alias) in enumerate(parts):
        names = tuple(f.attname for f in part._meta.concrete_fields)
        select += [f'{alias}."{part._meta.get_field(n).column}"' for n in names]
        shapes.append((part, names))
        if i:
            column = model._meta.get_field(_related(model)[i - 1]).column
            joins.append(f'JOIN "{part._meta.db_table}" {alias} ON {alias}."id" = t0."{column}"')
    where = 't0."id" = %s'
    if scoped_to is not None:
        where += f' AND t1."organisation_id" IN ({", ".join(["%s"] * scoped_to)})'
    named = ", ".join(f"{column} AS c{i}" for i, column in enumerate(select))
    sql = f'SELECT {named} FROM "{model._meta.db_table}" t0 {" ".join(joins)} WHERE {where}'
    return sql, tuple(shapes)


def _resource_columns(shapes) -> tuple:
    return sum((model_columns(part, names) for part, names in shapes), ())


def _resource_built(model, shapes, values):
    at, found = 0, []
    for part, names in shapes:
        found.append(instance(part, names, values[at:at + len(names)]))
        at += len(names)
    resource = found[0]
    for name, related in zip(_related(model), found[1:], strict=True):
        model._meta.get_field(name).set_cached_value(resource, related)
    return resource


def resource_read(model, pk: int, org_ids: list[int] | None):
    """The SPU or SPG `pk` with its FSP (and an SPU's point), if of these organisations' FSPs
    (None: any); 404 when none."""
    sql, shapes = _resource_sql(model, None if org_ids is None else len(org_ids))
    rows = fetch_all(sql, [pk, *(org_ids or ())], columns=_resource_columns(shapes), binary=True)
    if not rows:
        raise Http404
    return _resource_built(model, shapes, rows[0])


@cache
def _spu_values_sql(scoped_to: int | None, vendor: str) -> tuple[str, tuple, int]:
    """On PostgreSQL the zones are an array (`= ANY(ARRAY(...))`, computed first): with `IN (SELECT
    ...)` the planner's custom plan hashed the zones and scanned the month's whole partition
    (2,455 pages, 21 ms, a year stored) instead of its index (17 pages)."""
    resource, shapes = _resource_sql(Spu, scoped_to)
    width = len(_resource_columns(shapes))
    point = [names for _part, names in shapes][2]
    offset = width - len(point)
    lon, lat = (f"s.c{offset + point.index(name)}" for name in ("longitude", "latitude"))
    versions = GridZoneVersion._meta.db_table
    nulls = ", ".join(["NULL"] * len(_NAMES))
    zones = "= ANY(ARRAY(SELECT zone_id FROM z))" if vendor == "postgresql" else "IN (SELECT zone_id FROM z)"
    sql = (
        f"WITH s AS MATERIALIZED ({resource}), "
        f"z AS MATERIALIZED (SELECT DISTINCT v.zone_id FROM {versions} v JOIN s ON {lon} BETWEEN "
        f"v.min_lon AND v.max_lon AND {lat} BETWEEN v.min_lat AND v.max_lat WHERE v.valid_from <= %s), "
        f"{values_sql(zones)} "
        f"SELECT 0 AS k, {', '.join(f's.c{i}' for i in range(width))}, {nulls} FROM s UNION ALL "
        f"SELECT 1, {', '.join(['NULL'] * width)}, q.* FROM ({VALUE_SELECT}) q "
        f"ORDER BY 1, {width + 2}, {width + 3}, {width + 4}"
    )
    return sql, shapes, width


def spu_with_values(pk: int, org_ids: list[int] | None, *, start: datetime, end: datetime,
                    as_of: datetime) -> tuple[Spu, list[dict]]:
    """The SPU (as resource_read) and the rows seen at `as_of` over [start, end) of every zone
    whose version's box holds its point (as forecast_values_as_of), in one statement; 404 when
    the SPU is not found."""
    sql, shapes, width = _spu_values_sql(None if org_ids is None else len(org_ids), connection.vendor)
    params = [pk, *(org_ids or ()), as_of, *values_params(start, end, as_of)]
    rows = fetch_all(sql, params, columns=(None, *_resource_columns(shapes), *value_columns()), binary=True)
    if not rows or rows[0][0] != 0:
        raise Http404
    spu = _resource_built(Spu, shapes, rows[0][1:width + 1])
    return spu, values_decoded((row[width + 1:] for row in rows[1:]), start)
