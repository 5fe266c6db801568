"""Where and when the register's records are held (HeldPoint, PostgreSQL): the area headroom's
read (register.selectors_held.held_in_box) off one GiST index on (point, period), so an area
limit's check costs what is held there and then, not a visit to each unit of the area (issue 14:
the activation check with area headroom at SPEC §7 scale plus 10,000,000 records).

One rule, a copy: a row for each current, active revision of a record at each point it is held,
as the held read of the records defines it (register.selectors_held._held_pg): an SPU's record
at the unit's connection point, an SPG's record at each member's point, one row per membership
covering some of the record's period (MEMBER_DURING). Each row carries what the headroom sums:
kind, direction, MW, product and period. Every route keeps it, in the caller's transaction and
set-based (a constant number of statements, whatever the number of records):

- every register write (register.services.writes.revisions_write: ingest, revisions,
  cancellations, reservations) deletes the rows of the records it revises and inserts the rows
  of its new active revisions;
- a change of a group's memberships (prequal.signals.memberships_changed: a member added, ended
  or removed) writes the group's rows again from its records;
- a unit that moves to another point (prequal.signals.units_moved) or a point whose coordinates
  change (register.receivers) moves its rows;
- the register's retention (`held_points_prune`) deletes the rows of the records whose current
  revision it removes (those starting before its cut-off);
- `held_points_rebuild` (migration register 0013, `manage.py register_grid_slots_rebuild`) makes
  them all again from the records. Tests compare the read off these rows with the read of the
  records after random writes, membership changes, moves and the retention.

The rows can only be trusted as a whole: an under-count would let an area limit be exceeded.
On SQLite nothing is kept (no GiST index; the embedded default reads the records).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import connection, transaction

from prequal.models import SpgMembership, Spu
from register.models import HeldPoint, RecordRevision, RecordStatus
from register.services.grid_holdings import epoch_micros
from register.services.holdings import resources_lock

# A member of an SPG's record `r`: its membership `m` covers some of the record's period.
MEMBER_DURING = "m.valid_from < r.period_end AND (m.valid_to IS NULL OR m.valid_to > r.period_start)"
TABLE = HeldPoint._meta.db_table
COLUMNS = (
    "record_id", "spu_id", "membership_id", "spg_id", "longitude", "latitude", "kind", "direction",
    "quantity_mw", "product_id", "period_start", "period_end",
)
# The rows of the records `r` (record_id, spu_id, spg_id, kind, direction, quantity_mw,
# product_id, period_start, period_end): at each SPU's point, and at each member's point of each
# SPG's record. `{records}` is a relation with those columns.
_INSERT = (
    "WITH r AS MATERIALIZED ({records}) "
    f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) "
    "SELECT r.record_id, s.id, 0, NULL, cp.longitude, cp.latitude, r.kind, r.direction, r.quantity_mw, "
    "r.product_id, r.period_start, r.period_end FROM r JOIN prequal_spu s ON s.id = r.spu_id "
    "JOIN observability_connectionpoint cp ON cp.id = s.connection_point_id "
    "UNION ALL "
    "SELECT r.record_id, m.spu_id, m.id, r.spg_id, cp.longitude, cp.latitude, r.kind, r.direction, "
    "r.quantity_mw, r.product_id, r.period_start, r.period_end FROM r "
    f"JOIN prequal_spgmembership m ON m.spg_id = r.spg_id AND {MEMBER_DURING} "
    "JOIN prequal_spu s ON s.id = m.spu_id "
    "JOIN observability_connectionpoint cp ON cp.id = s.connection_point_id"
)
_RECORDS = (
    "SELECT record_id, spu_id, spg_id, kind, direction, quantity_mw, product_id, period_start, period_end "
    f"FROM {RecordRevision._meta.db_table} WHERE is_current AND status = '{RecordStatus.ACTIVE.value}'"
)
# A batch's new active revisions, sent as arrays (instants as microseconds since the epoch:
# grid_holdings.epoch_micros).
_SENT = (
    "SELECT d.record_id, d.spu_id, d.spg_id, d.kind, d.direction, d.quantity_mw, d.product_id, "
    "TIMESTAMPTZ 'epoch' + d.s * INTERVAL '1 microsecond' AS period_start, "
    "TIMESTAMPTZ 'epoch' + d.e * INTERVAL '1 microsecond' AS period_end "
    "FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::text[], %s::text[], %s::numeric[], "
    "%s::bigint[], %s::bigint[], %s::bigint[]) AS d(record_id, spu_id, spg_id, kind, direction, quantity_mw, "
    "product_id, s, e)"
)


def _kept() -> bool:
    return connection.vendor == "postgresql"


def _execute(sql: str, params=()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def held_points_change(*, record_ids: Iterable[int], added: Iterable[tuple[int, tuple]]) -> None:
    """A register write: the records `record_ids` (revised or cancelled) lose their rows; each new
    active revision in `added`, (record id, RecordInput.content), gets its rows. Two statements."""
    if not _kept():
        return
    record_ids, added = sorted(set(record_ids)), list(added)
    if record_ids:
        _execute(f"DELETE FROM {TABLE} WHERE record_id = ANY(%s)", [record_ids])
    if not added:
        return
    rows = [  # the SPU's id or the SPG's, the other NULL
        (record_id, *((resource_id, None) if resource_kind == "spu" else (None, resource_id)),
         kind, direction, mw, product_id, start, end)
        for record_id, (kind, resource_kind, resource_id, product_id, direction, mw, start, end) in added
    ]
    *columns, starts, ends = (list(column) for column in zip(*rows, strict=True))
    columns += [epoch_micros(starts), epoch_micros(ends)]
    _execute(_INSERT.format(records=_SENT), columns)


def held_points_groups(*, spg_ids: Iterable[int]) -> None:
    """The rows of these groups' records written again from the records and the memberships as
    they stand: after a change of their members (register.receivers). The groups are locked
    first, as the ingest locks the resources it writes for: a record written meanwhile for one of
    them is placed by the members as they end up."""
    spg_ids = sorted(set(spg_ids))
    if not _kept() or not spg_ids:
        return
    resources_lock(spu_ids=(), spg_ids=spg_ids)
    _execute(f"DELETE FROM {TABLE} WHERE spg_id = ANY(%s)", [spg_ids])
    _execute(_INSERT.format(records=f"{_RECORDS} AND spg_id = ANY(%s)"), [spg_ids])


_MOVE = (
    f"UPDATE {TABLE} h SET longitude = cp.longitude, latitude = cp.latitude FROM prequal_spu s "
    "JOIN observability_connectionpoint cp ON cp.id = s.connection_point_id "
    "WHERE h.spu_id = s.id AND s.id = ANY(%s) "
    "AND (h.longitude, h.latitude) IS DISTINCT FROM (cp.longitude, cp.latitude)"
)


def held_points_units(*, spu_ids: Iterable[int]) -> int:
    """The rows of these units (their own records' and their groups' records') moved to the
    point each unit is at now, with that point's coordinates; only rows whose place changed are
    written. Returns their number. After a move (register.receivers).

    The units and their groups are locked first (in the ingest's order; a move holds its unit
    already), so a record written meanwhile by another transaction for one of them is placed at
    the new point, or is committed and moved here."""
    spu_ids = sorted(set(spu_ids))
    if not _kept() or not spu_ids:
        return 0
    groups = SpgMembership.objects.filter(spu_id__in=spu_ids).values_list("spg_id", flat=True)
    resources_lock(spu_ids=spu_ids, spg_ids=groups)
    return _execute(_MOVE, [spu_ids])


def held_points_points(*, connection_point_ids: Iterable[int]) -> int:
    """The rows of the units at these points, after the points' coordinates changed."""
    ids = sorted(set(connection_point_ids))
    if not _kept() or not ids:
        return 0
    units = Spu.objects.filter(connection_point_id__in=ids).values_list("pk", flat=True)
    return held_points_units(spu_ids=units)


def held_points_prune(*, cutoff: datetime) -> int:
    """Register retention (in its transaction): the rows of the records whose current revision
    it removes, those starting before the cut-off. Returns their number."""
    if not _kept():
        return 0
    return _execute(f"DELETE FROM {TABLE} WHERE period_start < %s", [cutoff])


# The read's index (register.selectors_held.held_in_box): made by migration 0013, and again
# after a rebuild's load (an index built once over the rows is made faster than row by row).
WHERE_INDEX = (
    "CREATE INDEX IF NOT EXISTS register_held_point_where ON register_heldpoint "
    "USING gist (point(longitude, latitude), tstzrange(period_start, period_end))"
)


@transaction.atomic
def held_points_rebuild() -> int:
    """Make the rows again from the records (every SPU and SPG). Returns their number."""
    if not _kept():
        return 0
    _execute(f"TRUNCATE {TABLE}")
    _execute("DROP INDEX IF EXISTS register_held_point_where")
    rows = _execute(_INSERT.format(records=_RECORDS))
    _execute(WHERE_INDEX)
    _execute(f"ANALYZE {TABLE}")
    return rows
