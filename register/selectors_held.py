"""What is held at a connection point or inside a box (SPEC R11): the register's side of the
headroom rule (limits.activation.headroom), read once per point or area limit.

An SPU's record is held where its connection point lies. An SPG's record is held wherever its
members lie (one row per member whose membership covers some of the period): the rule decides
how much of it counts there. Only current, active records, one statement each.

The period test is `start < end' AND end > start'` plus the start at most max_period() earlier,
which bounds the months read: on PostgreSQL each read names those months' partitions and the
default one (register.held_partitions: a prepared statement on the partitioned table would lock
every partition and index at each run). On PostgreSQL a point's read starts from its units and
goes to their records and their groups' records through the resource indexes (_HELD_PG); an
area's reads what is held where (HeldPoint: register.services.held_points), kept in step with
the records, off its GiST index on (point, period).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import ProgrammingError, connection

from common.db import fetch_all, model_columns
from prequal.models import Spu
from register.held_partitions import (
    PARENT,
    UNKNOWN,
    marker_learn,
    marker_text_learn,
    partitions_forget,
    revisions_from,
    set_marker,
    set_marker_text,
)
from register.models import HeldPoint, RecordRevision
from register.services.held_points import MEMBER_DURING
from register.services.holdings import Holding
from register.services.parsing import max_period

# A record held somewhere in the window: its current revision, active, overlapping [start, end)
# (parameters: end, start, and the earliest start that can still overlap, start - max_period()).
_HELD_DURING = (
    "r.is_current AND r.status = 'active' AND r.period_start < %s AND r.period_end > %s "
    "AND r.period_start >= %s"
)

# One row per record (and, for an SPG's record, per member in scope): only what the sum needs.
# The holders' names are read apart, when an answer names them (resource_names).
_SELECT = (
    "SELECT r.record_id, {kind} AS resource_kind, {resource_id}, rr.sender_id, rr.system_operator_id, "
    "r.kind, r.direction, r.quantity_mw, r.period_start, r.period_end, rr.external_id, r.product_id, "
    "cp.longitude, cp.latitude, s.max_up_kw, s.max_down_kw "
    "FROM {revisions} r "
    "JOIN register_registerrecord rr ON rr.id = r.record_id "
)
_SPU_JOIN = "JOIN prequal_spu s ON s.id = r.spu_id "
_SPG_JOIN = (
    f"JOIN prequal_spgmembership m ON m.spg_id = r.spg_id AND {MEMBER_DURING} "
    "JOIN prequal_spu s ON s.id = m.spu_id "
)
_TAIL = (
    f"JOIN observability_connectionpoint cp ON cp.id = s.connection_point_id WHERE {_HELD_DURING} "
    "AND {scope}"
)
_COLUMNS = (
    *[None] * 7,
    *model_columns(RecordRevision, ("quantity_mw", "period_start", "period_end")),
    *[None] * 4,
    *model_columns(Spu, ("max_up_kw", "max_down_kw")),
)


@dataclass(frozen=True)
class Held:
    """One record held in scope: the resource (`kind`, `resource_id`), the market (sender,
    operator) and the record; `lon`, `lat`, `up_kw`, `down_kw`: the SPU in scope (an SPG's
    member)."""

    record_id: int
    kind: str
    resource_id: int
    sender_id: int
    system_operator_id: int
    record_kind: str
    direction: str
    mw: Decimal
    start: datetime
    end: datetime
    external_id: str
    product_id: int
    lon: float
    lat: float
    up_kw: Decimal
    down_kw: Decimal

    @property
    def resource(self) -> tuple[str, int]:
        return (self.kind, self.resource_id)


def resource_names(resources: set[tuple[str, int]]) -> dict[tuple[str, int], tuple[str, str]]:
    """("SPU A-1", its FSP's name) for each ("spu" | "spg", id). One query."""
    if not resources:
        return {}
    parts, params = [], []
    for kind in ("spu", "spg"):
        ids = sorted(pk for k, pk in resources if k == kind)
        if ids:
            marks = ", ".join(["%s"] * len(ids))
            parts.append(
                f"SELECT '{kind}', x.id, x.code, o.name FROM prequal_{kind} x "
                f"JOIN prequal_fsp f ON f.id = x.fsp_id "
                f"JOIN accounts_organisation o ON o.id = f.organisation_id WHERE x.id IN ({marks})"
            )
            params += ids
    rows = fetch_all(" UNION ALL ".join(parts), params)
    return {(kind, pk): (f"{kind.upper()} {code}", fsp_name) for kind, pk, code, fsp_name in rows}


def held_at_point(*, connection_point_id: int, start: datetime, end: datetime) -> list[Held]:
    """The records held at this connection point somewhere in [start, end)."""
    return _held("s.connection_point_id = %s", [connection_point_id], start=start, end=end)


def held_in_box(
    *, box: tuple[float, float, float, float], start: datetime, end: datetime
) -> list[Held]:
    """The records held at points inside (min_lon, min_lat, max_lon, max_lat), somewhere in [start, end).

    On PostgreSQL off what is held where (HeldPoint, register.services.held_points): one range
    of its GiST index on (point, period), so the read costs what is held in the box in the
    window, not a visit to each unit there (150 to 250 units a box at SPEC §7's scale). On
    SQLite from the records."""
    min_lon, min_lat, max_lon, max_lat = box
    if connection.vendor == "postgresql":
        rows = fetch_all(_HELD_WHERE, [min_lon, min_lat, max_lon, max_lat, start, end, end, start],
                         columns=_COLUMNS)
        return [Held(*row) for row in rows]
    scope = "cp.longitude BETWEEN %s AND %s AND cp.latitude BETWEEN %s AND %s"
    return _held(scope, [min_lon, max_lon, min_lat, max_lat], start=start, end=end)


# The rows held in a box and a window (the GiST index's two conditions, then the period exactly:
# `&&` on ranges is the same test, but is kept for the index), with the record's market and the
# unit's capacity.
_HELD_WHERE = (
    "SELECT h.record_id, CASE WHEN h.spg_id IS NULL THEN 'spu' ELSE 'spg' END, COALESCE(h.spg_id, h.spu_id), "
    "rr.sender_id, rr.system_operator_id, h.kind, h.direction, h.quantity_mw, h.period_start, h.period_end, "
    "rr.external_id, h.product_id, h.longitude, h.latitude, s.max_up_kw, s.max_down_kw "
    f"FROM {HeldPoint._meta.db_table} h JOIN register_registerrecord rr ON rr.id = h.record_id "
    "JOIN prequal_spu s ON s.id = h.spu_id "
    "WHERE point(h.longitude, h.latitude) <@ box(point(%s, %s), point(%s, %s)) "
    "AND tstzrange(h.period_start, h.period_end) && tstzrange(%s, %s) "
    "AND h.period_start < %s AND h.period_end > %s"
)


# A point's read on PostgreSQL (and the records' read of a box, which tests compare HeldPoint's
# with) starts from the units in scope, once for both branches: each unit's own records through
# its index, and the records of the groups it belongs to through theirs (the group's index per
# membership). Read from the records instead, the groups' branch went through every group record
# of the months concerned (a full range of the group index, 5 ms a check at SPEC §7 scale with
# 10,000,000 records).
_UNITS_PG = (
    "WITH u AS MATERIALIZED (SELECT s.id, s.max_up_kw, s.max_down_kw, cp.longitude, cp.latitude "
    "FROM observability_connectionpoint cp JOIN prequal_spu s ON s.connection_point_id = cp.id "
    "WHERE {scope}) "
)
_HELD_PG = (
    "SELECT r.record_id, {kind} AS resource_kind, r.{kind_id}, rr.sender_id, rr.system_operator_id, r.kind, "
    "r.direction, r.quantity_mw, r.period_start, r.period_end, rr.external_id, r.product_id, u.longitude, "
    "u.latitude, u.max_up_kw, u.max_down_kw FROM {units} "
    "JOIN LATERAL (SELECT * FROM {revisions} r WHERE r.{kind_id} = {unit_key} "
    f"AND {_HELD_DURING} OFFSET 0) r ON {{on}} "
    "JOIN register_registerrecord rr ON rr.id = r.record_id"
)


def _held_pg(scope: str, params: list, *, start: datetime, end: datetime) -> list[Held]:
    window = [end, start, start - max_period()]

    def statement(revisions: str) -> str:
        spus = _HELD_PG.format(
            kind="'spu'", kind_id="spu_id", units="u", unit_key="u.id", revisions=revisions, on="true"
        )
        spgs = _HELD_PG.format(
            kind="'spg'", kind_id="spg_id", units="u JOIN prequal_spgmembership m ON m.spu_id = u.id",
            unit_key="m.spg_id", revisions=revisions, on=MEMBER_DURING,
        )
        return _UNITS_PG.format(scope=scope) + spus + " UNION ALL " + spgs

    rows = _named_read(
        statement, [*params, *window, *window], first=window[2], end=end, columns=_COLUMNS, marker=(16, 3, 1)
    )
    return [Held(*row) for row in rows]


def _held(scope: str, params: list, *, start: datetime, end: datetime) -> list[Held]:
    if connection.vendor == "postgresql":
        return _held_pg(scope, params, start=start, end=end)
    tail = _TAIL.format(scope=scope)
    window = [end, start, start - max_period(), *params]

    def statement(revisions: str) -> str:
        return (
            _SELECT.format(kind="'spu'", resource_id="r.spu_id", revisions=revisions) + _SPU_JOIN + tail
            + " UNION ALL "
            + _SELECT.format(kind="'spg'", resource_id="r.spg_id", revisions=revisions) + _SPG_JOIN + tail
        )

    rows = _named_read(
        statement, [*window, *window], first=window[2], end=end, columns=_COLUMNS, marker=(16, 3, 1)
    )
    return [Held(*row) for row in rows]


def _named_read(statement, params: list, *, first: datetime, end: datetime, columns, marker: tuple) -> list:
    """Run `statement(revisions)` on the partitions revisions starting in [first, end) lie in
    (register.held_partitions); once more if a partition was added or dropped since this process
    learnt the set. `marker`: (width, stamp column, names column) of the set's marker row."""
    width, stamp_at, names_at = marker
    for _attempt in range(2):
        revisions, stamp = revisions_from(first, end)
        if stamp is None:
            return fetch_all(statement(revisions), params, columns=columns)
        sql = statement(revisions) + set_marker(width=width, stamp_at=stamp_at, names_at=names_at)
        try:
            found = fetch_all(sql, [*params, stamp], columns=columns)
        except ProgrammingError:  # a partition named was dropped (retention) since the set was learnt
            if connection.in_atomic_block:
                raise
            partitions_forget()
            continue
        rows, changed = marker_learn(found, stamp_at=stamp_at, names_at=names_at)
        if not changed or stamp == UNKNOWN:  # the same set, or the whole table read
            return rows
    # The set changed twice meanwhile: the partitioned table itself (and the set it has now).
    sql = statement(PARENT) + set_marker(width=width, stamp_at=stamp_at, names_at=names_at)
    return marker_learn(fetch_all(sql, [*params, UNKNOWN], columns=columns), stamp_at=stamp_at,
                        names_at=names_at)[0]


# What one resource holds, for the double-activation rule in the activation check: only the
# columns the rule needs (the names of the first holder are read when a refusal names it).
_HOLDINGS = (
    "SELECT r.record_id, rr.sender_id, rr.system_operator_id, r.kind, r.direction, r.quantity_mw, "
    "r.period_start, r.period_end, rr.external_id, r.product_id FROM {revisions} r "
    f"JOIN register_registerrecord rr ON rr.id = r.record_id WHERE r.{{kind}}_id = %s AND {_HELD_DURING}"
)
_HOLDING_COLUMNS = (
    *[None] * 5, *model_columns(RecordRevision, ("quantity_mw", "period_start", "period_end")),
)


def holdings_of(*, resource: tuple[str, int], start: datetime, end: datetime) -> list[Holding]:
    """The current, active records holding one resource ("spu" | "spg", id) somewhere in
    [start, end), as the holdings rule takes them, without names (holding_names_add). One
    prepared statement on the resource's index (register_held_spu / _spg)."""
    kind, resource_id = resource
    first = start - max_period()
    rows = _named_read(
        lambda revisions: _HOLDINGS.format(kind=kind, revisions=revisions), [resource_id, end, start, first],
        first=first, end=end, columns=_HOLDING_COLUMNS, marker=(10, 1, 3),
    )
    return [
        Holding((0, record_id), resource, (sender_id, so_id), *held, "", "", external_id, product_id)
        for record_id, sender_id, so_id, *held, external_id, product_id in rows
    ]


# The same read folded into another statement (the activation check's resource statement,
# limits.activation.access): one row of arrays, one per column of _HOLDINGS, and the partition
# set's marker as text ("stamp:names") when the set is no longer the one the text was built for.
_FOLD = (
    "WITH h AS MATERIALIZED (SELECT array_agg(r.record_id) AS ids, array_agg(rr.sender_id) AS senders, "
    "array_agg(rr.system_operator_id) AS sos, array_agg(r.kind) AS kinds, "
    "array_agg(r.direction) AS directions, array_agg(r.quantity_mw) AS mws, "
    "array_agg(r.period_start) AS starts, array_agg(r.period_end) AS ends, "
    "array_agg(rr.external_id) AS external_ids, array_agg(r.product_id) AS products, "
    "{marker} AS marker "
    "FROM {revisions} r JOIN register_registerrecord rr ON rr.id = r.record_id WHERE r.{kind}_id = %s "
    f"AND {_HELD_DURING}) "
)
FOLD_COLUMNS = (
    "h.ids", "h.senders", "h.sos", "h.kinds", "h.directions", "h.mws", "h.starts", "h.ends",
    "h.external_ids", "h.products", "h.marker",
)


@dataclass(frozen=True)
class HoldingsFold:
    """What one resource holds in [start, end), read inside another statement (PostgreSQL):
    `with_` opens that statement (a MATERIALIZED CTE `h` of one row, `params` first), its
    select list adds FOLD_COLUMNS (`CROSS JOIN h`), and `holdings(values)` reads them back."""

    resource: tuple[str, int]
    start: datetime
    end: datetime
    stamp: int
    with_: str
    params: list

    def holdings(self, values) -> list[Holding] | None:
        """The resource's holdings from the FOLD_COLUMNS' values, as holdings_of gives them; None
        when they cannot be trusted (the partition set changed: it is learnt, read apart)."""
        *arrays, marker = values
        if marker is not None:
            marker_text_learn(marker)
            if self.stamp != UNKNOWN:
                return None
        ids, senders, sos, kinds, directions, mws, starts, ends, external_ids, products = arrays
        if ids is None:
            return []
        return [
            Holding((0, ids[i]), self.resource, (senders[i], sos[i]), kinds[i], directions[i], mws[i],
                    starts[i], ends[i], "", "", external_ids[i], products[i])
            for i in range(len(ids))
        ]


def holdings_fold(*, resource: tuple[str, int], start: datetime, end: datetime) -> HoldingsFold | None:
    """holdings_of's read for another statement to carry (one statement less per activation
    check); None on SQLite (no arrays: holdings_of reads apart). Same partitions as holdings_of
    (register.held_partitions); a statement carrying it that fails with ProgrammingError (a
    partition dropped since the set was learnt) calls partitions_forget() and runs without it."""
    if connection.vendor != "postgresql":
        return None
    kind, resource_id = resource
    first = start - max_period()
    revisions, stamp = revisions_from(first, end)
    with_ = _FOLD.format(marker=set_marker_text(), revisions=revisions, kind=kind)
    return HoldingsFold(resource, start, end, stamp, with_, [stamp, resource_id, end, start, first])


def holding_names_add(holding: Holding) -> None:
    """Fill in the holding's operator name and product code (a refusal names them). One query."""
    [(so_name, product_code)] = fetch_all(
        "SELECT o.name, p.code FROM observability_systemoperator so "
        "JOIN accounts_organisation o ON o.id = so.organisation_id "
        "JOIN prequal_product p ON p.id = %s WHERE so.id = %s",
        [holding.product_id, holding.market[1]],
    )
    holding.so_name, holding.product_code = so_name, product_code
