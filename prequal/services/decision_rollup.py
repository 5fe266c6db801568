"""The decisions' rollup (DecisionRollup): per assessing operator, local month and outcome, the
number of decided assessments, kept at write time so the NRA's dashboard reads a few hundred
rows however many decisions there are (SPEC §7: the queue budget).

Every write that decides an assessment records it here in its own transaction: an engineer's
decision (prequal.services.cases.decisions._decide_locked) and approval by silence, one or a
sweep's batch (assessments_apply_silence), one statement per call. Nothing else moves a
decision: a decided assessment never leaves its outcome (cancellation, re-assessment and
withdrawal touch open ones only; a new round adds new assessments), so the counts only grow.
Loaders that write assessments past the services (demo data, the benchmarks' generators, a
restore) call decision_rollup_rebuild(), also `manage.py decision_rollup_rebuild`.

The rule is reports.selectors.report_decisions': an assessment counts once, with its outcome,
in the month (DECISION_TIME_ZONE) of its decided_at. The rebuild is the same rule in SQL; the
tests compare the two routes after random sequences of service calls.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime

from django.db import connection, transaction
from django.utils import timezone

from prequal.models import DECISION_TIME_ZONE, Assessment, DecisionRollup

# (system operator id, month's first day, outcome) → decisions to add.
Key = tuple[int, date, str]


def decision_month(decided_at: datetime) -> date:
    """The month (its first day, in DECISION_TIME_ZONE) a decision made at `decided_at` counts in."""
    return decided_at.astimezone(DECISION_TIME_ZONE).date().replace(day=1)


def decisions_rollup_record(*, assessments: Iterable[Assessment]) -> None:
    """Count these just-decided assessments (status and decided_at as saved) in the rollup: one
    statement, in the caller's transaction. Open ones are left out."""
    counts: Counter[Key] = Counter()
    for a in assessments:
        if a.status in Assessment.DECIDED and a.decided_at is not None:
            counts[(a.system_operator_id, decision_month(a.decided_at), a.status)] += 1
    decision_rollup_add(counts=counts)


def decision_rollup_add(*, counts: dict[Key, int]) -> None:
    """Add `counts` to their rows (made when missing): INSERT … ON CONFLICT DO UPDATE, so two
    writers of one key add up whatever their order. Keys in a fixed order: two batches over the
    same operators take the rows' locks in the same order (no deadlock on PostgreSQL)."""
    keys = sorted(k for k, n in counts.items() if n)
    if not keys:
        return
    ops = connection.ops
    table = DecisionRollup._meta.db_table
    now = ops.adapt_datetimefield_value(timezone.now())
    params: list = []
    for so_id, month, status in keys:
        params += [so_id, ops.adapt_datefield_value(month), status, counts[(so_id, month, status)], now]
    values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(keys))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (system_operator_id, month, status, decisions, updated_at)"
            f" VALUES {values} ON CONFLICT (system_operator_id, month, status) DO UPDATE SET"
            f" decisions = {table}.decisions + excluded.decisions, updated_at = excluded.updated_at",
            params,
        )


def _rebuild_sql(conn) -> tuple[str, list]:
    """The rollup's rows from every decided assessment: one INSERT … SELECT, grouped in SQL."""
    ops = conn.ops
    month, month_params = ops.datetime_trunc_sql("month", "decided_at", (), str(DECISION_TIME_ZONE))
    month = f"CAST({month} AS date)" if conn.vendor == "postgresql" else f"date({month})"
    decided = ", ".join(["%s"] * len(Assessment.DECIDED))
    now = ops.adapt_datetimefield_value(timezone.now())
    table = DecisionRollup._meta.db_table
    sql = (
        f"INSERT INTO {table} (system_operator_id, month, status, decisions, updated_at)"
        f" SELECT system_operator_id, {month}, status, COUNT(*), %s FROM {Assessment._meta.db_table}"
        f" WHERE status IN ({decided}) AND decided_at IS NOT NULL GROUP BY 1, 2, 3"
    )
    return sql, [*month_params, now, *Assessment.DECIDED]


def decision_rollup_rebuild(*, using_connection=None) -> int:
    """Make the rollup again from the assessments (after a load past the services, migration
    prequal 0019, `manage.py decision_rollup_rebuild`). Returns the number of rows.

    On PostgreSQL the rollup table is locked against writers for the transaction: a decision
    committing meanwhile is either seen by the SELECT or waits and adds itself after."""
    conn = using_connection or connection
    table = DecisionRollup._meta.db_table
    with transaction.atomic(using=conn.alias), conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(f"DELETE FROM {table}")
        sql, params = _rebuild_sql(conn)
        cursor.execute(sql, params)
        return cursor.rowcount
