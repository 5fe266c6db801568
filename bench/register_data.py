"""Bench data for the activation register (issue 14): a year of a national market, fast.

`register_fill(n_records)` fills the register of the database Django is connected to with
`n_records` records, one current revision each, for the SPUs and SPGs already there (any refdata
shape: `reference`, `activation`, ...), spread over `months` months from `start`. The records
come from their own market platform (user `bench-register-fill`, a MarketPlatformClient
registered for the products' procuring operators), one RegisterBatch per operator.

What other benches may rely on (kept stable):

- every record is an award (60 %) or an activation (40 %) of one resource, in one direction (up
  or down, never both), of 10–50 % of the resource's capacity in that direction, aligned to
  whole hours (a multiple of every product's market time unit), one to four hours long;
- records of one resource never overlap each other: a resource holds at most half its capacity
  in any market time unit, so any further record of at most half its capacity passes the
  double-activation check;
- external ids are `fill-<n>` (zero-padded), for the products' procuring operators;
- the register's rollup (RegisterSummary, read by the annual report) counts them, and so does My
  grid's summary (GridSlot, made again from the whole register after the fill).

On PostgreSQL the records are written by INSERT … SELECT generate_series, then each month's
revisions into its new partition before it is attached (indexes built once, foreign keys checked
in one pass), and everything is ANALYZEd. On SQLite (tests, `make run`) the same rows come from
Python in one executemany.

    from register_data import register_fill
    register_fill(10_000_000)                       # after refdata has made the resources

    scripts/with-postgres .venv/bin/python bench/register_data.py --records 100000  # with `activation` tiny
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchkit  # noqa: E402

FILL_USERNAME = "bench-register-fill"
ACTIVATION_SHARE = 40  # per cent of the records
HOUR = 60


@dataclass
class Fill:
    """What register_fill made: the span, the counts and the wall time."""

    records: int
    resources: int
    start: datetime
    end: datetime
    slot_minutes: int
    seconds: float
    partitions: list[str]


def default_start(*, months: int = 12, now: datetime | None = None) -> datetime:
    """The first day (UTC) of the month `months - 1` months before this one: the fill ends with
    this month."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    index = now.year * 12 + now.month - 1 - (months - 1)
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def _month_after(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 + months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def register_fill(
    n_records: int, *, start: datetime | None = None, months: int = 12, progress: bool = False
) -> Fill:
    """Fill the register with `n_records` records (see the module's docstring) over `months`
    months from `start` (a month's first day, UTC; default: the year ending with this month).

    Needs active SPUs or SPGs with capacity both ways and at least one active product. Call it
    once per database (the external ids would collide); it ANALYZEs what it made.
    """
    from django.db import connection, transaction

    started = time.perf_counter()
    start = start or default_start(months=months)
    end = _month_after(start, months)
    with transaction.atomic():
        sender = _sender()
        products = _products()
        resources = _resources(start)
        if not products or not resources:
            raise ValueError("register_fill needs active products and SPUs/SPGs with capacity both ways")
        grid = math.lcm(HOUR, *(mtu for _p, mtu, _d, _so in products))
        slots = max(1, math.ceil(n_records / len(resources)))
        slot = (int((end - start).total_seconds() // 60) // slots) // grid * grid
        if slot < 4 * grid:
            raise ValueError(
                f"{n_records:,} records do not fit {len(resources):,} resources in {months} months"
            )
        batches = _batches(sender, products, n_records)
        if progress:
            print(f"register_fill: {n_records:,} records over {len(resources):,} resources", file=sys.stderr)
        plan = _Plan(n_records, len(resources), start, slot, grid, sender.pk)
        if connection.vendor == "postgresql":
            partitions = _fill_postgres(plan, months=months, products=products, resources=resources,
                                        batches=batches, progress=progress)
        else:
            _fill_sqlite(plan, products=products, resources=resources, batches=batches)
            partitions = []
        _rollup(batches)
        _grid_slots(progress=progress)
    benchkit.analyze()
    return Fill(n_records, len(resources), start, end, slot, time.perf_counter() - started, partitions)


@dataclass
class _Plan:
    """Record i: resource i % resources, in slot i // resources (of `slot` minutes from `start`),
    product i % products; the arithmetic both fills share (`_record`, `_RECORD_SQL`)."""

    n: int
    resources: int
    start: datetime
    slot: int  # minutes
    grid: int  # minutes: every record starts and ends on it
    sender_id: int


def _sender():
    from accounts.models import User
    from limits.models import MarketPlatformClient

    user, _created = User.objects.get_or_create(username=FILL_USERNAME)
    MarketPlatformClient.objects.get_or_create(user=user, defaults={"name": "Bench register fill"})
    return user


def _products() -> list[tuple[int, int, str, int]]:
    from prequal.models import Product

    return list(
        Product.objects.filter(is_active=True).order_by("pk").values_list(
            "pk", "market_time_unit_minutes", "directions", "procuring_so_id"
        )
    )


def _resources(start: datetime) -> list[tuple[int | None, int | None, float, float]]:
    """(spu id, spg id, up MW, down MW) of the active resources with capacity both ways; an
    SPG's capacity: its members' from before `start` on, still members."""
    from django.db.models import Q, Sum

    from prequal.models import Spg, Spu

    spus = Spu.objects.filter(is_active=True, max_up_kw__gt=0, max_down_kw__gt=0).order_by("pk")
    rows = [(pk, None, up / 1000, down / 1000) for pk, up, down in
            spus.values_list("pk", "max_up_kw", "max_down_kw").iterator(chunk_size=50_000)]
    members = Q(memberships__valid_from__lte=start, memberships__valid_to__isnull=True)
    spgs = (
        Spg.objects.filter(is_active=True).order_by("pk")
        .annotate(up=Sum("memberships__spu__max_up_kw", filter=members),
                  down=Sum("memberships__spu__max_down_kw", filter=members))
        .filter(up__gt=0, down__gt=0).values_list("pk", "up", "down")
    )
    rows += [(None, pk, up / 1000, down / 1000) for pk, up, down in spgs]
    return rows


def _batches(sender, products, n_records: int) -> dict[int, int]:
    """One RegisterBatch per procuring operator, counting its records. {operator id: batch id}."""
    from register.models import RegisterBatch

    per_so: dict[int, int] = {}
    for index, (_pk, _mtu, _dirs, so_id) in enumerate(products):
        count = len(range(index, n_records, len(products)))
        per_so[so_id] = per_so.get(so_id, 0) + count
    return {
        so_id: RegisterBatch.objects.create(
            actor=sender, system_operator_id=so_id, action=RegisterBatch.Action.INGEST, received=count,
            created=count,
        ).pk
        for so_id, count in per_so.items()
    }


# --- the row arithmetic, in Python (SQLite) and SQL (PostgreSQL): the same rule twice -------------


def _record(plan: _Plan, i: int, *, products, resources) -> tuple:
    """Record i's revision: (kind, spu, spg, product, direction, MW, start, end, operator)."""
    r, k = i % plan.resources, i // plan.resources
    product_id, _mtu, dirs, so_id = products[i % len(products)]
    spu_id, spg_id, up_mw, down_mw = resources[r]
    length = 1 + i % 4
    offset = (r * 37 + k) % (plan.slot // plan.grid - length + 1)
    kind = "activation" if i % 100 < ACTIVATION_SHARE else "award"
    direction = dirs if dirs in ("up", "down") else ("up" if (r + k) % 2 == 0 else "down")
    capacity = Decimal(str(up_mw if direction == "up" else down_mw))
    share = capacity * (10 + (i * 7919) % 41) / 100
    mw = max(Decimal("0.001"), share.quantize(Decimal("0.001"), ROUND_HALF_UP))
    begin = plan.start + timedelta(minutes=k * plan.slot + offset * plan.grid)
    end = begin + timedelta(minutes=length * plan.grid)
    return kind, spu_id, spg_id, product_id, direction, mw, begin, end, so_id


_DIRECTION_SQL = (
    "CASE WHEN pr.dirs IN ('up', 'down') THEN pr.dirs WHEN (r + k) %% 2 = 0 THEN 'up' ELSE 'down' END"
)
_RECORD_SQL = f"""
WITH s AS (
  SELECT i, i %% %(resources)s AS r, i / %(resources)s AS k, 1 + i %% 4 AS len, i %% %(products)s AS p
  FROM generate_series(%(lo)s::bigint, %(hi)s::bigint - 1) AS i
), x AS (
  SELECT s.*, k * %(slot)s + ((r * 37 + k) %% (%(units)s - len + 1)) * %(grid)s AS st, pr.product_id,
    pr.batch_id, {_DIRECTION_SQL} AS direction, res.spu_id, res.spg_id, res.up_mw, res.down_mw
  FROM s JOIN _fill_res res ON res.n = s.r JOIN _fill_prod pr ON pr.n = s.p
)
INSERT INTO {{table}} (id, record_id, revision, is_current, status, kind, spu_id, spg_id,
  product_id, direction, quantity_mw, period_start, period_end, batch_id, created_at)
SELECT %(revision_base)s + i, %(record_base)s + i, 1, true, 'active',
  CASE WHEN i %% 100 < {ACTIVATION_SHARE} THEN 'activation' ELSE 'award' END,
  spu_id, spg_id, product_id, direction,
  GREATEST(0.001, round(CASE WHEN direction = 'up' THEN up_mw ELSE down_mw END * (10 + (i * 7919) %% 41)
    / 100.0, 3)),
  %(start)s + make_interval(mins => st::int),
  %(start)s + make_interval(mins => (st + len * %(grid)s)::int),
  batch_id, %(now)s
FROM x WHERE st >= %(m0)s AND st < %(m1)s
"""
_RECORDS_SQL = """
INSERT INTO register_registerrecord (id, sender_id, system_operator_id, external_id, created_at)
SELECT %(record_base)s + i, %(sender)s, pr.so_id, 'fill-' || lpad(i::text, 10, '0'), %(now)s
FROM generate_series(%(lo)s::bigint, %(hi)s::bigint - 1) AS i JOIN _fill_prod pr ON pr.n = i %% %(products)s
"""
CHUNK = 1_000_000


def _rollup(batches: dict[int, int]) -> None:
    """The fill's figures into the register's rollup (RegisterSummary), from the rows themselves."""
    from register.models import RecordRevision
    from register.selectors_figures import revisions_monthly_figures
    from register.services.rollup import rollup_add

    rollup_add(revisions_monthly_figures(RecordRevision.objects.filter(batch_id__in=sorted(batches.values()))))


def _grid_slots(*, progress: bool) -> None:
    """My grid's summary (GridSlot) and holdings (GridHolding), and what is held where
    (HeldPoint), made again from the register, the fill included."""
    from register.services.grid_holdings import grid_holdings_rebuild
    from register.services.grid_slots import grid_slots_rebuild
    from register.services.held_points import held_points_rebuild

    rebuilds = (("summary", grid_slots_rebuild), ("holdings", grid_holdings_rebuild),
                ("held points", held_points_rebuild))
    for what, rebuild in rebuilds:
        started = time.perf_counter()
        rows = rebuild()
        if progress:
            print(f"register_fill: My grid's {what}, {rows:,} rows in {time.perf_counter() - started:.0f} s",
                  file=sys.stderr)


def _ids_reserve(cursor, table: str, count: int) -> int:
    """The first of `count` consecutive ids taken from the table's sequence at once."""
    cursor.execute(f"SELECT pg_get_serial_sequence('{table}', 'id')")
    sequence = cursor.fetchone()[0]
    cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
    cursor.execute("SELECT nextval(%s)", [sequence])
    base = cursor.fetchone()[0]
    cursor.execute("SELECT setval(%s, %s)", [sequence, base + count - 1])
    return base


def _fill_postgres(plan: _Plan, *, months: int, products, resources, batches, progress: bool) -> list[str]:
    """Records by chunks of a million; then each month's revisions, into its new partition before
    it is attached (its indexes built once) or through the parent if the month had one already.
    Foreign keys are not checked row by row (session_replication_role: the ids come from the
    tables themselves); attaching a partition checks them in one pass. Returns the partitions made."""
    from django.db import connection, transaction
    from django.utils import timezone

    from register.services.partitions import PARENT, months_from, partition_name, partitions_add

    with connection.cursor() as cursor:
        try:
            with transaction.atomic():
                cursor.execute("SET LOCAL session_replication_role = replica")
        except Exception:  # not a superuser: the triggers check each row, slower but the same rows
            pass
        _temporary_tables(cursor, products=products, resources=resources, batches=batches)
        params = {
            "resources": plan.resources, "products": len(products), "units": plan.slot // plan.grid,
            "slot": plan.slot, "grid": plan.grid, "start": plan.start, "now": timezone.now(),
            "sender": plan.sender_id,
            "record_base": _ids_reserve(cursor, "register_registerrecord", plan.n),
            "revision_base": _ids_reserve(cursor, "register_recordrevision", plan.n),
        }
        for lo in range(0, plan.n, CHUNK):
            cursor.execute(_RECORDS_SQL, params | {"lo": lo, "hi": min(plan.n, lo + CHUNK)})

        def month_fill(cursor, table: str, m0: datetime, m1: datetime) -> None:
            first, last = _minutes(plan, m0), _minutes(plan, m1)
            k_lo, k_hi = first // plan.slot, -(-last // plan.slot)
            lo, hi = min(plan.n, k_lo * plan.resources), min(plan.n, k_hi * plan.resources)
            if lo < hi:
                cursor.execute(_RECORD_SQL.format(table=table), params | {"lo": lo, "hi": hi, "m0": first,
                                                                           "m1": last})
            if progress:
                print(f"register_fill: {m0:%Y-%m} into {table}", file=sys.stderr, flush=True)

        created = partitions_add(first=plan.start.date(), count=months, fill=month_fill)
        for month in months_from(plan.start.date(), months):
            if partition_name(month) not in created:
                m0 = datetime(month.year, month.month, 1, tzinfo=UTC)
                month_fill(cursor, PARENT, m0, _month_after(m0, 1))
    return created


def _minutes(plan: _Plan, moment: datetime) -> int:
    return int((moment - plan.start).total_seconds() // 60)


def _temporary_tables(cursor, *, products, resources, batches) -> None:
    """The resources (_fill_res) and products (_fill_prod) numbered from 0, for the joins."""
    cursor.execute("CREATE TEMP TABLE _fill_res (n bigint PRIMARY KEY, spu_id bigint, spg_id bigint,"
                   " up_mw numeric, down_mw numeric) ON COMMIT DROP")
    with cursor.cursor.copy("COPY _fill_res FROM STDIN") as copy:
        for n, row in enumerate(resources):
            copy.write_row((n, *row))
    cursor.execute("CREATE TEMP TABLE _fill_prod (n bigint PRIMARY KEY, product_id bigint, dirs text,"
                   " so_id bigint, batch_id bigint) ON COMMIT DROP")
    with cursor.cursor.copy("COPY _fill_prod FROM STDIN") as copy:
        for n, (pk, _mtu, dirs, so_id) in enumerate(products):
            copy.write_row((n, pk, dirs, so_id, batches[so_id]))
    cursor.execute("ANALYZE _fill_res")
    cursor.execute("ANALYZE _fill_prod")


def _fill_sqlite(plan: _Plan, *, products, resources, batches) -> None:
    from django.db import connection
    from django.utils import timezone

    from prequal.imports.sql import table_insert
    from register.models import RecordRevision, RegisterRecord
    from register.services.writes import RECORD_COLUMNS, REVISION_COLUMNS

    now = timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    table_insert(RegisterRecord._meta.db_table, RECORD_COLUMNS, [
        (plan.sender_id, products[i % len(products)][3], f"fill-{i:010d}", adapt(now)) for i in range(plan.n)
    ])
    ids = dict(RegisterRecord.objects.filter(sender_id=plan.sender_id).values_list("external_id", "pk"))
    rows = []
    for i in range(plan.n):
        kind, spu_id, spg_id, product_id, direction, mw, begin, end, so_id = _record(
            plan, i, products=products, resources=resources
        )
        rows.append((ids[f"fill-{i:010d}"], 1, True, "active", kind, spu_id, spg_id, product_id, direction,
                     connection.ops.adapt_decimalfield_value(mw, 10, 3), adapt(begin), adapt(end),
                     batches[so_id], adapt(now)))
    table_insert(RecordRevision._meta.db_table, REVISION_COLUMNS, rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--months", type=int, default=12)
    args = parser.parse_args(argv)
    benchkit.django_setup()
    fill = register_fill(args.records, months=args.months, progress=True)
    print(f"register_fill: {fill.records:,} records over {fill.resources:,} resources, "
          f"{fill.start:%Y-%m}–{fill.end:%Y-%m}, in {fill.seconds:.1f} s "
          f"({fill.records / fill.seconds:,.0f}/s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
