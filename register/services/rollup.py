"""The register's rollup (RegisterSummary): per operator, product, kind, direction and month, the
current, active records' count, kW and kW × minutes, kept at write time so the annual report
reads a few hundred rows at any register size (SPEC §7: the report page ≤ 300 ms).

Every write of revisions (register.services.writes.revisions_write: ingest, revisions,
cancellations, reservations) adds what the new active revisions hold and subtracts what the
revisions they replace held, in one INSERT … ON CONFLICT DO UPDATE per batch. Retention removes
detail only: the rollup already counts it. register.selectors_figures.revisions_monthly_figures
computes the same figures from the detail (the rule's other route; tests compare the two).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from register.models import RecordRevision, RegisterSummary
from register.selectors_figures import MonthFigures, figures_time_zone, revisions_monthly_figures

# What a revision holds: product id, kind, direction, MW, start, end.
Held = tuple[int, str, str, Decimal, datetime, datetime]
COLUMNS = ("system_operator_id", "product_id", "kind", "direction", "month", "records", "kw", "kw_minutes")


def month_of(moment: datetime, zone=None) -> date:
    """The month (first day, in the figures' zone) a period starting at `moment` counts in;
    `zone`: figures_time_zone() read once by a caller of many."""
    return moment.astimezone(zone or figures_time_zone()).date().replace(day=1)


def rollup_change(*, system_operator_id: int, added: Iterable[Held], removed: Iterable[Held]) -> None:
    """Add the `added` revisions' figures and subtract the `removed` ones'. One statement."""
    deltas: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    zone = figures_time_zone()
    for sign, items in ((1, added), (-1, removed)):
        for product_id, kind, direction, mw, start, end in items:
            kw = int((Decimal(mw) * 1000).to_integral_value())
            minutes = round((end - start).total_seconds() / 60)
            delta = deltas[(product_id, kind, direction, month_of(start, zone))]
            delta[0] += sign
            delta[1] += sign * kw
            delta[2] += sign * kw * minutes
    rollup_add([
        MonthFigures(system_operator_id, product_id, kind, direction, month, *figures)
        for (product_id, kind, direction, month), figures in deltas.items() if any(figures)
    ])


def rollup_add(figures: list[MonthFigures]) -> None:
    """Add these figures to their rows (made when missing): INSERT … ON CONFLICT DO UPDATE, so
    two writers for one key add up whatever their order."""
    if not figures:
        return
    table = RegisterSummary._meta.db_table
    ops = connection.ops
    names = ", ".join((*COLUMNS, "updated_at"))
    values = ", ".join(["(" + ", ".join(["%s"] * (len(COLUMNS) + 1)) + ")"] * len(figures))
    added = ", ".join(f"{n} = {table}.{n} + excluded.{n}" for n in ("records", "kw", "kw_minutes"))
    now = ops.adapt_datetimefield_value(timezone.now())
    params = []
    for f in figures:
        month = ops.adapt_datefield_value(f.month)
        params += [f.system_operator_id, f.product_id, f.kind, f.direction, month, f.records, f.kw,
                   f.kw_minutes, now]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({names}) VALUES {values} ON CONFLICT"
            f" (system_operator_id, product_id, kind, direction, month) DO UPDATE SET {added},"
            " updated_at = excluded.updated_at",
            params,
        )


@transaction.atomic
def rollup_rebuild() -> int:
    """Make the rollup again from the records held in detail (data migration register 0006):
    only while retention has removed nothing. Returns the number of rows."""
    RegisterSummary.objects.all().delete()
    figures = revisions_monthly_figures(RecordRevision.objects.all())
    rollup_add(figures)
    return len(figures)
