"""Retention of the activation register (issue 14): the revisions of records whose period
started before GRIDPREQUAL_REGISTER_RETENTION_DAYS ago are removed, in one transaction. Their
figures stay in the rollup (RegisterSummary, per operator, product, kind, direction and month:
register.services.rollup), which the annual report reads: it reads the same afterwards. My grid's
summary (GridSlot) loses its slots before the cut-off, and its holdings (GridHolding) the records
whose current revision goes, and so does what is held where (HeldPoint), in the same transaction
(register.services.grid_slots.grid_slots_prune, grid_holdings.grid_holdings_prune,
held_points.held_points_prune).

On PostgreSQL a month partition wholly before the cut-off is dropped at once; the month the
cut-off falls in (and the DEFAULT partition) lose their old rows one by one. A record is removed
with its last revision, unless a refused double activation names it (RegisterConflict keeps
its holder): its identity then stays, without revisions. A record whose current revision goes
loses its older revisions too, so no record is left without a current one.

Run daily by Celery beat (data migration register 0005) and by hand: `manage.py register_retention`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from register.models import GridSlot, RecordRevision
from register.services.grid_holdings import grid_holdings_prune
from register.services.grid_slots import grid_slots_prune
from register.services.held_points import held_points_prune
from register.services.partitions import DEFAULT, months_from, partitions_existing

logger = logging.getLogger(__name__)
LOCK_KEY = 0x5245_5445  # its own advisory lock: two runs take turns


@dataclass
class RetentionResult:
    cutoff: datetime
    revisions_removed: int = 0
    records_removed: int = 0
    slots_removed: int = 0  # My grid's summary (GridSlot) before the cut-off
    partitions_dropped: list[str] = field(default_factory=list)


def retention_cutoff(*, now: datetime | None = None) -> datetime:
    """The instant before which a record's period must start to be removed."""
    return (now or timezone.now()) - timedelta(days=settings.GRIDPREQUAL_REGISTER_RETENTION_DAYS)


def register_retention_run(*, now: datetime | None = None, dry_run: bool = False) -> RetentionResult:
    """Remove what is older than the retention (the rollup counts it already); `dry_run`:
    count only."""
    cutoff = retention_cutoff(now=now)
    result = RetentionResult(cutoff=cutoff)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        if dry_run:
            result.revisions_removed = RecordRevision.objects.filter(period_start__lt=cutoff).count()
            result.slots_removed = GridSlot.objects.filter(slot__lt=cutoff).count()
            return result
        result.slots_removed = grid_slots_prune(cutoff=cutoff)
        grid_holdings_prune(cutoff=cutoff)
        held_points_prune(cutoff=cutoff)
        result.revisions_removed, result.records_removed, result.partitions_dropped = _remove(cutoff)
    logger.info("register retention before %s: %s revisions, %s records and %s summary slots removed",
                cutoff, result.revisions_removed, result.records_removed, result.slots_removed)
    return result


def _partitions_drop(cursor, cutoff: datetime) -> list[str]:
    """Drop the month partitions that end by the cut-off (PostgreSQL): whole, at once."""
    # A partition with deferred foreign-key checks still pending (rows written earlier in this
    # transaction) cannot be dropped: run them now.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    dropped = []
    for name in sorted(partitions_existing() - {DEFAULT}):
        month = date(int(name[-6:-2]), int(name[-2:]), 1)
        following = months_from(month, 2)[1]
        if datetime(following.year, following.month, 1, tzinfo=UTC) <= cutoff:
            cursor.execute(f"DROP TABLE {name}")
            dropped.append(name)
    return dropped


_TOUCHED = "register_retention_touched"
# The records touched lose their older revisions once their current one went, then the records
# left without revisions go, but those a refused double activation names (its holder).
_ORPHANS_SQL = (
    f"DELETE FROM register_recordrevision WHERE record_id IN (SELECT record_id FROM {_TOUCHED} t"
    " WHERE NOT EXISTS (SELECT 1 FROM register_recordrevision c WHERE c.record_id = t.record_id"
    " AND c.is_current))",
    f"DELETE FROM register_registerrecord WHERE id IN (SELECT record_id FROM {_TOUCHED} t"
    " WHERE NOT EXISTS (SELECT 1 FROM register_recordrevision v WHERE v.record_id = t.record_id)"
    " AND NOT EXISTS (SELECT 1 FROM register_registerconflict c WHERE c.holder_record_id = t.record_id))",
)


def _remove(cutoff: datetime) -> tuple[int, int, list[str]]:
    """Remove the revisions before the cut-off and what they leave behind: (revisions, records,
    partitions dropped). A constant number of statements."""
    at = connection.ops.adapt_datetimefield_value(cutoff)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_TOUCHED}")
        cursor.execute(
            f"CREATE TEMP TABLE {_TOUCHED} AS SELECT DISTINCT record_id FROM register_recordrevision"
            " WHERE period_start < %s", [at],
        )
        cursor.execute("SELECT COUNT(*) FROM register_recordrevision WHERE period_start < %s", [at])
        revisions = cursor.fetchone()[0]
        dropped = _partitions_drop(cursor, cutoff) if connection.vendor == "postgresql" else []
        cursor.execute("DELETE FROM register_recordrevision WHERE period_start < %s", [at])
        cursor.execute(_ORPHANS_SQL[0])
        revisions += cursor.rowcount
        cursor.execute(_ORPHANS_SQL[1])
        records = cursor.rowcount
        cursor.execute(f"DROP TABLE {_TOUCHED}")
    return revisions, records, dropped
