"""Writing to the register: the batch's audit row, new records and their revisions, in a
constant number of statements (COPY on PostgreSQL). Called by the services once every record
is checked; they hold the locks."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from django.db import IntegrityError, connection
from django.utils import timezone
from django.utils.translation import gettext as _

from common.db import fetch_all, model_columns
from common.exceptions import ApplicationError
from prequal.imports.sql import rows_where_in, table_insert
from register.models import RecordRevision, RecordStatus, RegisterBatch, RegisterConflict, RegisterRecord
from register.services.grid_holdings import grid_holdings_change
from register.services.grid_slots import grid_slots_change
from register.services.held_points import held_points_change
from register.services.rollup import rollup_change

RECORD_COLUMNS = ["sender_id", "system_operator_id", "external_id", "created_at"]
REVISION_COLUMNS = [
    "record_id", "revision", "is_current", "status", "kind", "spu_id", "spg_id", "product_id", "direction",
    "quantity_mw", "period_start", "period_end", "batch_id", "created_at",
]


@dataclass
class Revision:
    """A revision to write: of the record under `external_id` (its id when it exists already)."""

    external_id: str
    record_id: int | None
    revision: int
    status: str
    # RecordInput.content: kind, "spu"/"spg", resource id, product id, direction, MW, start, end.
    content: tuple


def revisions_write(*, batch: RegisterBatch, revisions: list[Revision]) -> None:
    """Create the records that are new, mark the current revisions of the others as past, insert
    the revisions, current, and change the rollup by what they hold (register.services.rollup),
    My grid's summary and holdings (grid_slots, grid_holdings) and what is held where
    (held_points). A constant number of
    statements whatever the number."""
    sender_id, so_id = batch.actor_id, batch.system_operator_id
    now = _db_time(timezone.now())
    new = [r.external_id for r in revisions if r.record_id is None]
    if new:
        try:
            rows = [(sender_id, so_id, external_id, now) for external_id in new]
            table_insert(RegisterRecord._meta.db_table, RECORD_COLUMNS, rows)
        # The same new record sent by another request meanwhile (COPY raises psycopg's own error).
        except (IntegrityError, psycopg.IntegrityError) as exc:
            raise ApplicationError(
                _("Some of these records were registered by another request meanwhile; send the batch again.")
            ) from exc
        ids = dict(rows_where_in(
            RegisterRecord, ("external_id", "id"), key="external_id", values=new,
            sender=sender_id, system_operator=so_id,
        ))
        for revision in revisions:
            if revision.record_id is None:
                revision.record_id = ids[revision.external_id]
    past = [r.record_id for r in revisions if r.revision > 1]
    replaced = _currents_replace(past) if past else []
    ops = connection.ops  # once: `connection` is a proxy, each attribute a lookup
    table_insert(RecordRevision._meta.db_table, REVISION_COLUMNS, [
        _revision_row(revision, batch_id=batch.pk, now=now, ops=ops) for revision in revisions
    ])
    active = [r.content for r in revisions if r.status == RecordStatus.ACTIVE]
    gone = [held for status, *held in replaced if status == RecordStatus.ACTIVE]
    rollup_change(system_operator_id=so_id, added=[_held(c) for c in active], removed=[g[:6] for g in gone])
    grid_slots_change(
        added=[_grid_held(c) for c in active],
        removed=[(("spu", g[6]) if g[6] is not None else ("spg", g[7]), *g[1:6]) for g in gone],
    )
    grid_holdings_change(record_ids=past, added=[
        (r.record_id, r.content[2], *r.content[5:8]) for r in revisions
        if r.status == RecordStatus.ACTIVE and r.content[1] == "spu"
    ])
    active_revisions = [(r.record_id, r.content) for r in revisions if r.status == RecordStatus.ACTIVE]
    held_points_change(record_ids=past, added=active_revisions)


_HELD = ("status", "product_id", "kind", "direction", "quantity_mw", "period_start", "period_end", "spu_id",
         "spg_id")


def _currents_replace(record_ids: list[int]) -> list[tuple]:
    """Mark the current revisions of these records as past; what they held (status first)."""
    where, params = (
        ("record_id = ANY(%s)", [record_ids]) if connection.vendor == "postgresql"
        else (f"record_id IN ({', '.join(['%s'] * len(record_ids))})", record_ids)
    )
    return fetch_all(
        f"UPDATE {RecordRevision._meta.db_table} SET is_current = false WHERE {where} AND is_current"
        f" RETURNING {', '.join(_HELD)}",
        params, columns=model_columns(RecordRevision, _HELD),
    )


def _held(content: tuple) -> tuple:
    """What a revision's content (RecordInput.content) holds, as the rollup counts it."""
    kind, _resource_kind, _resource_id, product_id, direction, mw, start, end = content
    return product_id, kind, direction, mw, start, end


def _grid_held(content: tuple) -> tuple:
    """What a revision's content holds, as My grid's summary counts it (grid_slots.ResourceHeld)."""
    kind, resource_kind, resource_id, _product_id, direction, mw, start, end = content
    return (resource_kind, resource_id), kind, direction, mw, start, end


def _revision_row(revision: Revision, *, batch_id: int, now, ops) -> tuple:
    kind, resource_kind, resource_id, product_id, direction, mw, start, end = revision.content
    spu_id, spg_id = (resource_id, None) if resource_kind == "spu" else (None, resource_id)
    return (
        revision.record_id, revision.revision, True, revision.status, kind, spu_id, spg_id, product_id,
        direction, ops.adapt_decimalfield_value(mw, 10, 3), ops.adapt_datetimefield_value(start),
        ops.adapt_datetimefield_value(end), batch_id, now,
    )


def _db_time(moment):
    """A timestamp as the database takes it in a raw INSERT (SQLite: Django's text form)."""
    return connection.ops.adapt_datetimefield_value(moment)


def batch_create(*, actor, system_operator, action: str, counts: dict[str, int]) -> RegisterBatch:
    return RegisterBatch.objects.create(actor=actor, system_operator=system_operator, action=action, **counts)



def conflicts_record(*, actor, system_operator, refusals: list) -> None:
    """Keep the double activations a batch was refused for (holdings.Refusal), one row each."""
    rows = []
    for refusal in refusals:
        holding, first = refusal.holding, refusal.first
        kind, resource_id = holding.resource
        start, end = refusal.overlap
        rows.append(RegisterConflict(
            actor=actor, system_operator=system_operator, external_id=holding.external_id,
            reason=refusal.reason, spu_id=resource_id if kind == "spu" else None,
            spg_id=resource_id if kind == "spg" else None, kind=holding.kind, product_id=holding.product_id,
            direction=holding.direction, quantity_mw=holding.mw, overlap_start=start, overlap_end=end,
            holder_system_operator_id=first.market[1], holder_product_id=first.product_id,
            holder_record_id=first.record_id,
        ))
    RegisterConflict.objects.bulk_create(rows)
