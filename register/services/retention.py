"""Retention of the activation register (issue 14): records whose period started before
GRIDPREQUAL_REGISTER_RETENTION_DAYS ago are summarised into RegisterSummary rows (per operator,
product, kind, direction and month: register.selectors_figures, the annual report's rule) and
their revisions removed, in one transaction. The annual figures read the same afterwards.

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

from register.models import RecordRevision, RegisterSummary
from register.selectors_figures import MonthFigures, revisions_monthly_figures
from register.services.partitions import DEFAULT, months_from, partitions_existing

logger = logging.getLogger(__name__)
LOCK_KEY = 0x5245_5445  # its own advisory lock: two runs take turns


@dataclass
class RetentionResult:
    cutoff: datetime
    summarised: int = 0  # current, active records counted into summaries
    revisions_removed: int = 0
    records_removed: int = 0
    partitions_dropped: list[str] = field(default_factory=list)


def retention_cutoff(*, now: datetime | None = None) -> datetime:
    """The instant before which a record's period must start to be summarised and removed."""
    return (now or timezone.now()) - timedelta(days=settings.GRIDPREQUAL_REGISTER_RETENTION_DAYS)


def register_retention_run(*, now: datetime | None = None, dry_run: bool = False) -> RetentionResult:
    """Summarise and remove what is older than the retention; `dry_run`: count only."""
    cutoff = retention_cutoff(now=now)
    old = RecordRevision.objects.filter(period_start__lt=cutoff)
    result = RetentionResult(cutoff=cutoff)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        figures = revisions_monthly_figures(old)
        result.summarised = sum(f.records for f in figures)
        if dry_run:
            result.revisions_removed = old.count()
            return result
        _summaries_add(figures)
        result.revisions_removed, result.records_removed, result.partitions_dropped = _remove(cutoff)
    logger.info("register retention before %s: %s records summarised, %s revisions and %s records removed",
                cutoff, result.summarised, result.revisions_removed, result.records_removed)
    return result


def _summaries_add(figures: list[MonthFigures]) -> None:
    """Add the figures to the summary rows of their keys (made when missing). Three statements."""
    if not figures:
        return
    existing = {
        (s.system_operator_id, s.product_id, s.kind, s.direction, s.month): s
        for s in RegisterSummary.objects.select_for_update().filter(month__in={f.month for f in figures})
    }
    new, changed = [], []
    for figure in figures:
        summary = existing.get(figure.key)
        if summary is None:
            new.append(RegisterSummary(
                system_operator_id=figure.system_operator_id, product_id=figure.product_id, kind=figure.kind,
                direction=figure.direction, month=figure.month, records=figure.records, kw=figure.kw,
                kw_minutes=figure.kw_minutes,
            ))
        else:
            summary.records += figure.records
            summary.kw += figure.kw
            summary.kw_minutes += figure.kw_minutes
            summary.updated_at = timezone.now()
            changed.append(summary)
    RegisterSummary.objects.bulk_create(new)
    RegisterSummary.objects.bulk_update(changed, ["records", "kw", "kw_minutes", "updated_at"])


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
