"""My grid's summary (GridSlot): per system operator, 15-minute slot, kind and direction, the kW ×
minutes held there by the current, active records on the SPUs and SPGs the operator reads
(prequal's reader rows), so the page's chart reads a few hundred rows, not the records of the
operator's whole area (issue 14: My grid for the TSO ≤ 300 ms).

One rule, `slots_spread`, turns what records hold into slot deltas, whatever the route:

- every register write (register.services.writes.revisions_write: ingest, revisions,
  cancellations, reservations) adds what its new active revisions hold and subtracts what the
  revisions they replace held, for every operator reading their resources;
- a change of who reads a resource (prequal.services.readers sends `readers_changing` before it
  rewrites the resource's reader rows and `readers_changed` after) subtracts what the resource's
  records hold under its former readers and adds it under the new ones;
- `grid_slots_rebuild` (data migration register 0010, `manage.py register_grid_slots_rebuild`)
  makes the summary again from the records, a week of starts at a time;
- the register's retention (`grid_slots_prune`, in its job and transaction) deletes the slots
  before its cut-off and subtracts what the records it removes held after it.

All of them add deltas with INSERT … ON CONFLICT DO UPDATE in key order, in the caller's
transaction: two writers adding to one slot both count, whatever their order, and take the rows'
locks in the same order (no deadlock between two batches). register.selectors_grid reads it;
tests compare it with the chart computed from the records (grid_chart_from_records).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Max, Min, QuerySet

from common.db import fetch_all, model_columns, values_in
from prequal.models import Direction, Spg, Spu
from prequal.models.readers import SpgReader, SpuReader
from register.models import GridSlot, RecordRevision, RecordStatus

SLOT_SECONDS = 15 * 60
# What a row spreads: operator id, kind, direction, MW, start, end.
Held = tuple[int, str, str, Decimal, datetime, datetime]
# A register write's revisions: ("spu" | "spg", resource id), kind, direction, MW, start, end.
ResourceHeld = tuple[tuple[str, int], str, str, Decimal, datetime, datetime]
Deltas = dict[tuple[int, int, str, str], int]
CHUNK = 1000  # rows per INSERT (SQLite's limit of host parameters)
REBUILD_STEP = timedelta(days=7)  # the rebuild reads the records starting in a week at a time
HELD_COLUMNS = ("kind", "direction", "quantity_mw", "period_start", "period_end")
COLUMNS = ("system_operator_id", "slot", "kind", "direction", "kw_minutes")
BOTH_WAYS = (Direction.UP.value, Direction.DOWN.value)


def slots_spread(rows: Iterable[Held], *, sign: int = 1, into: Deltas | None = None) -> Deltas:
    """Add (or with sign -1 subtract) what each row holds to its operator's slots: kW × the
    minutes of the slot it covers; a row both ways counts in each direction.
    Keys: (operator id, slot start as a UTC timestamp, kind, direction)."""
    deltas: Deltas = defaultdict(int) if into is None else into
    for so_id, kind, direction, mw, start, end in rows:
        kw = sign * int((Decimal(mw) * 1000).to_integral_value())
        first, last = int(start.timestamp()), int(end.timestamp())
        directions = BOTH_WAYS if direction == Direction.BOTH else (direction,)
        slot = first - first % SLOT_SECONDS
        while slot < last:
            minutes = (min(last, slot + SLOT_SECONDS) - max(first, slot)) // 60
            for way in directions:
                deltas[(so_id, slot, kind, way)] += kw * minutes
            slot += SLOT_SECONDS
    return deltas


def grid_slots_add(deltas: Deltas) -> None:
    """Add the deltas to their rows (made when missing), in key order: one statement of five
    arrays on PostgreSQL (no placeholder per value), CHUNK rows a statement on SQLite."""
    keys = sorted(key for key, value in deltas.items() if value)
    if not keys:
        return
    table = GridSlot._meta.db_table
    insert = f"INSERT INTO {table} ({', '.join(COLUMNS)})"
    upsert = (" ON CONFLICT (system_operator_id, slot, kind, direction)"
              f" DO UPDATE SET kw_minutes = {table}.kw_minutes + excluded.kw_minutes")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            columns = list(zip(*keys, strict=True))
            cursor.execute(
                f"{insert} SELECT * FROM unnest(%s::bigint[], %s::timestamptz[], %s::varchar[],"
                f" %s::varchar[], %s::bigint[]) AS d ORDER BY 1, 2, 3, 4{upsert}",
                [list(columns[0]), [datetime.fromtimestamp(t, UTC) for t in columns[1]], list(columns[2]),
                 list(columns[3]), [deltas[key] for key in keys]],
            )
            return
        ops = connection.ops
        for i in range(0, len(keys), CHUNK):
            chunk = keys[i:i + CHUNK]
            params = []
            for so_id, slot, kind, direction in chunk:
                moment = ops.adapt_datetimefield_value(datetime.fromtimestamp(slot, UTC))
                params += [so_id, moment, kind, direction, deltas[(so_id, slot, kind, direction)]]
            values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(chunk))
            cursor.execute(f"{insert} VALUES {values}{upsert}", params)


def grid_slots_change(*, added: Iterable[ResourceHeld], removed: Iterable[ResourceHeld]) -> None:
    """A register write: what `added` holds counts for every reader of its resource, what
    `removed` held no longer does. Two reads of reader rows and the upsert."""
    added, removed = list(added), list(removed)
    resources = {item[0] for item in (*added, *removed)}
    readers: dict[tuple[str, int], list[int]] = defaultdict(list)
    for kind, model in (("spu", SpuReader), ("spg", SpgReader)):
        ids = sorted(pk for k, pk in resources if k == kind)
        if ids:
            field = f"{kind}_id"
            for resource_id, so_id in model.objects.filter(values_in(field, ids)).values_list(
                field, "system_operator_id"
            ):
                readers[(kind, resource_id)].append(so_id)
    deltas: Deltas = defaultdict(int)
    for sign, items in ((1, added), (-1, removed)):
        slots_spread(
            ((so_id, *held) for resource, *held in items for so_id in readers.get(resource, ())),
            sign=sign, into=deltas,
        )
    grid_slots_add(deltas)


def _held_by_readers(*, kind: str, scope: QuerySet | None, since=None, until=None) -> list[list]:
    """(operator, kind, direction, MW summed, start, end) of the current, active records on the
    `kind` ("spu" or "spg") resources `scope` selects (None: all), one row per reader and
    period; `since`/`until` bound their start (the rebuild reads a month at a time)."""
    reader = (SpuReader if kind == "spu" else SpgReader)._meta.db_table
    where, params = ["v.is_current", "v.status = %s"], [RecordStatus.ACTIVE.value]
    if scope is not None:
        sql, scope_params = scope.values("pk").query.sql_with_params()
        where.append(f"v.{kind}_id IN ({sql})")
        params += list(scope_params)
    for bound, op in ((since, ">="), (until, "<")):
        if bound is not None:
            where.append(f"v.period_start {op} %s")
            params.append(bound)
    group = "r.system_operator_id, v.kind, v.direction, v.period_start, v.period_end"
    return fetch_all(
        f"SELECT r.system_operator_id, v.kind, v.direction, SUM(v.quantity_mw), v.period_start, v.period_end"
        f" FROM {RecordRevision._meta.db_table} v JOIN {reader} r ON r.{kind}_id = v.{kind}_id"
        f" WHERE {' AND '.join(where)} GROUP BY {group}",
        params, columns=(None, *model_columns(RecordRevision, HELD_COLUMNS)),
    )


def grid_slots_resources(*, spus: QuerySet[Spu] | None = None, spgs: QuerySet[Spg] | None = None,
                         sign: int) -> None:
    """Add (sign 1) or subtract (sign -1) what the records on these resources hold, for their
    readers as the reader rows stand now: around a rewrite of those rows."""
    deltas: Deltas = defaultdict(int)
    for kind, scope in (("spu", spus), ("spg", spgs)):
        if scope is not None:
            slots_spread(_held_by_readers(kind=kind, scope=scope), sign=sign, into=deltas)
    grid_slots_add(deltas)


def grid_slots_prune(*, cutoff: datetime) -> int:
    """Register retention (register.services.retention, in its transaction, before the records
    go): what the removed records still hold from the cut-off on no longer counts, and the slots
    before the cut-off are deleted. The summary then equals the records that stay (a rebuild makes
    the same rows). Returns the number of slots deleted."""
    straddling = RecordRevision.objects.filter(
        is_current=True, status=RecordStatus.ACTIVE, period_start__lt=cutoff, period_end__gt=cutoff
    ).values_list("spu_id", "spg_id", *HELD_COLUMNS)
    grid_slots_change(added=(), removed=[
        (("spu", spu_id) if spu_id is not None else ("spg", spg_id), *held)
        for spu_id, spg_id, *held in straddling
    ])
    deleted, _ = GridSlot.objects.filter(slot__lt=cutoff).delete()
    return deleted


@transaction.atomic
def grid_slots_rebuild() -> int:
    """Make the summary again from the records (every SPU and SPG). Returns the number of rows."""
    GridSlot.objects.all().delete()
    bounds = RecordRevision.objects.filter(is_current=True).aggregate(first=Min("period_start"),
                                                                     last=Max("period_start"))
    since = bounds["first"]
    while since is not None and since <= bounds["last"]:
        until = since + REBUILD_STEP
        if connection.vendor == "postgresql":
            _rebuild_in_sql(since=since, until=until)
        else:
            deltas: Deltas = defaultdict(int)
            for kind in ("spu", "spg"):
                slots_spread(_held_by_readers(kind=kind, scope=None, since=since, until=until), into=deltas)
            grid_slots_add(deltas)
        since = until
    return GridSlot.objects.count()


# slots_spread's rule in SQL, for the rebuild on PostgreSQL (the records stay in the database
# instead of every one being spread in Python): each record's kW × the minutes of every 15-minute
# slot it covers, both ways in each direction, per reader. Tests compare the two.
_REBUILD_SQL = f"""
INSERT INTO {GridSlot._meta.db_table} ({', '.join(COLUMNS)})
SELECT r.system_operator_id, s.slot, v.kind, d.way,
       SUM(ROUND(v.quantity_mw * 1000)::bigint
           * (EXTRACT(EPOCH FROM LEAST(v.period_end, s.slot + INTERVAL '{SLOT_SECONDS} seconds')
                                 - GREATEST(v.period_start, s.slot))::bigint / 60))
FROM {RecordRevision._meta.db_table} v
JOIN {{reader}} r ON r.{{kind}}_id = v.{{kind}}_id
CROSS JOIN LATERAL generate_series(
    date_bin(INTERVAL '{SLOT_SECONDS} seconds', v.period_start, TIMESTAMPTZ 'epoch'),
    v.period_end - INTERVAL '1 microsecond', INTERVAL '{SLOT_SECONDS} seconds') AS s(slot)
CROSS JOIN LATERAL unnest(CASE WHEN v.direction = %s THEN %s::varchar[] ELSE ARRAY[v.direction] END) AS d(way)
WHERE v.is_current AND v.status = %s AND v.period_start >= %s AND v.period_start < %s
GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
ON CONFLICT (system_operator_id, slot, kind, direction)
DO UPDATE SET kw_minutes = {GridSlot._meta.db_table}.kw_minutes + excluded.kw_minutes
"""


def _rebuild_in_sql(*, since: datetime, until: datetime) -> None:
    """Add what the records starting in [since, until) hold, for their readers (PostgreSQL)."""
    with connection.cursor() as cursor:
        for kind, reader in (("spu", SpuReader), ("spg", SpgReader)):
            cursor.execute(
                _REBUILD_SQL.format(reader=reader._meta.db_table, kind=kind),
                [Direction.BOTH.value, list(BOTH_WAYS), RecordStatus.ACTIVE.value, since, until],
            )
