"""My grid's holdings (GridHolding): per system operator, the current, active records on the
SPUs it reads, with the unit's connection point, so the page ranks its points by MW held in the
window, and filters the units holding something, from the operator's own rows of the window
(register.selectors_grid), not from every record of the area joined to its reader rows (issue 14:
My grid for the TSO ≤ 300 ms).

One rule, a copy: an operator holds a row for a record exactly when the record's current
revision is active and on an SPU the operator reads (prequal's SpuReader), with that revision's
MW and period and the reader row's point. Every route keeps it, in the caller's transaction and
set-based (a constant number of statements, whatever the number of records):

- every register write (register.services.writes.revisions_write: ingest, revisions,
  cancellations, reservations) deletes the rows of the records it revises and inserts the rows
  of its new active revisions, one per reader of their unit;
- a change of who reads a unit (prequal.signals.readers_changed, after the reader rows are
  written again) writes the unit's rows again from its records;
- the register's retention (`grid_holdings_prune`) deletes the rows of the records whose current
  revision it removes (those starting before its cut-off);
- `grid_holdings_rebuild` (data migration register 0012, `manage.py register_grid_slots_rebuild`)
  makes them all again from the records. Tests compare the rows with the records after random writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import QuerySet

from common.db import values_in
from prequal.models import Spu
from prequal.models.readers import SpuReader
from register.models import GridHolding, RecordRevision, RecordStatus

# A new active revision on an SPU: record id, SPU id, MW, start, end.
UnitHeld = tuple[int, int, Decimal, datetime, datetime]
COLUMNS = ("system_operator_id", "record_id", "spu_id", "connection_point_id", "quantity_mw", "period_start",
           "period_end")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
CHUNK = 1000  # rows per INSERT on SQLite (its limit of host parameters)


def epoch_micros(moments: Iterable[datetime]) -> list[int]:
    """Instants as microseconds since the epoch, for a bigint array (SQL: TIMESTAMPTZ 'epoch' +
    n * INTERVAL '1 microsecond'): the driver sends it for a sixth of the CPU of a timestamptz
    array (a batch's app CPU is ingest's budget)."""
    return [(moment - EPOCH) // _MICROSECOND for moment in moments]


def grid_holdings_change(*, record_ids: Iterable[int], added: Iterable[UnitHeld]) -> None:
    """A register write: the records `record_ids` (revised or cancelled) lose their rows, the new
    active revisions `added` get one per reader of their unit. Two statements on PostgreSQL
    (the second joins the revisions, sent as arrays, to the reader rows; on SQLite as VALUES
    rows, a statement per CHUNK)."""
    record_ids, added = sorted(set(record_ids)), list(added)
    table = GridHolding._meta.db_table
    if record_ids:
        GridHolding.objects.filter(values_in("record_id", record_ids))._raw_delete(connection.alias)
    if not added:
        return
    if connection.vendor != "postgresql":
        _insert_values(added)
        return
    record, spu, mw, start, end = (list(column) for column in zip(*added, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(COLUMNS)})"
            " SELECT r.system_operator_id, d.record_id, d.spu_id, r.connection_point_id, d.mw,"
            " TIMESTAMPTZ 'epoch' + d.s * INTERVAL '1 microsecond',"
            " TIMESTAMPTZ 'epoch' + d.e * INTERVAL '1 microsecond'"
            " FROM unnest(%s::bigint[], %s::bigint[], %s::numeric[], %s::bigint[], %s::bigint[])"
            " AS d(record_id, spu_id, mw, s, e)"
            # Each unit's reader rows through the index on spu_id: OFFSET 0 keeps the subquery
            # apart, so the planner cannot hash the whole reader table for a batch's units.
            " CROSS JOIN LATERAL (SELECT system_operator_id, connection_point_id"
            f" FROM {SpuReader._meta.db_table} WHERE spu_id = d.spu_id OFFSET 0) r",
            [record, spu, mw, epoch_micros(start), epoch_micros(end)],
        )


def _insert_values(added: list[UnitHeld]) -> None:
    """grid_holdings_change's insert on SQLite: the same join, the revisions as VALUES rows,
    CHUNK a statement (its limit of host parameters)."""
    ops = connection.ops
    rows = [
        (record_id, spu_id, ops.adapt_decimalfield_value(mw, 10, 3), ops.adapt_datetimefield_value(start),
         ops.adapt_datetimefield_value(end))
        for record_id, spu_id, mw, start, end in added
    ]
    with connection.cursor() as cursor:
        for i in range(0, len(rows), CHUNK):
            chunk = rows[i:i + CHUNK]
            cursor.execute(
                f"INSERT INTO {GridHolding._meta.db_table} ({', '.join(COLUMNS)})"
                " SELECT r.system_operator_id, d.column1, d.column2, r.connection_point_id, d.column3,"
                " d.column4, d.column5"
                f" FROM (VALUES {', '.join(['(%s, %s, %s, %s, %s)'] * len(chunk))}) d"
                f" JOIN {SpuReader._meta.db_table} r ON r.spu_id = d.column2",
                [value for row in chunk for value in row],
            )


def _insert_from_records(*, spus: QuerySet[Spu] | None) -> None:
    """Insert the rows of the current, active records on `spus` (None: every SPU) from the
    records and the reader rows as they stand: one INSERT … SELECT."""
    where, params = ["v.is_current", "v.status = %s", "v.spu_id IS NOT NULL"], [RecordStatus.ACTIVE.value]
    if spus is not None:
        sql, scope_params = spus.values("pk").query.sql_with_params()
        where.append(f"v.spu_id IN ({sql})")
        params += list(scope_params)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {GridHolding._meta.db_table} ({', '.join(COLUMNS)})"
            " SELECT r.system_operator_id, v.record_id, v.spu_id, r.connection_point_id, v.quantity_mw,"
            f" v.period_start, v.period_end FROM {RecordRevision._meta.db_table} v"
            f" JOIN {SpuReader._meta.db_table} r ON r.spu_id = v.spu_id WHERE {' AND '.join(where)}",
            params,
        )


def grid_holdings_resources(*, spus: QuerySet[Spu]) -> None:
    """The rows of these units written again from their records and their reader rows as they
    stand now: after a rewrite of those reader rows (register.receivers)."""
    GridHolding.objects.filter(spu_id__in=spus.values("pk"))._raw_delete(connection.alias)
    _insert_from_records(spus=spus)


def grid_holdings_prune(*, cutoff: datetime) -> int:
    """Register retention (in its transaction): the rows of the records whose current revision
    it removes, those starting before the cut-off. Returns their number."""
    return GridHolding.objects.filter(period_start__lt=cutoff)._raw_delete(connection.alias)


@transaction.atomic
def grid_holdings_rebuild() -> int:
    """Make the rows again from the records (every SPU). Returns their number."""
    GridHolding.objects.all()._raw_delete(connection.alias)
    _insert_from_records(spus=None)
    return GridHolding.objects.count()
