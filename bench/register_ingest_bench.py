"""Benchmark issue 14's ingest budget: batches of 10,000 records through the register's batch API
into a register already holding 10,000,000 records (PostgreSQL): ≥ 5,000 records/s sustained.

Generates refdata shape `activation` (at full: 100,000 SPUs, 5,000 SPGs) in a fresh database,
fills the register with bench/register_data.py (`register_fill`, a year of records from another
market), then sends `--batches` batches of `--size` new awards as the shape's market platform
(token auth) to POST /api/register/records/ through Django's test client in this process: the
whole request path but the socket (JSON parsing, DRF, every check, the double-activation check
against what the 10,000,000 hold, the writes). Each award lies in the filled year, on an SPU
that holds filled records there (0.1 MW: never a conflict, by register_fill's promise). The rate
is the batches' records over their summed wall time.

The floor: the same rows written bare, batch by batch (COPY of the records, their ids read back,
COPY of the revisions: register.services.writes' own statements, no parsing or checking; the
deferred foreign-key checks run as at a commit), each batch rolled back so the register measured
is the same.

    scripts/with-postgres .venv/bin/python bench/register_ingest_bench.py                  # full, ~15 min

`--keep PATH`: instead of generating, measure on the database bench/activation_headroom_bench.py
kept with `--keep PATH` (the SPEC §7 activation data, 1,000,000 SPUs, and its register of
10,000,000 records from REGISTER_START); the batches' records stay in it and the retention step
(which removes data) is left out.
    scripts/with-postgres .venv/bin/python bench/register_ingest_bench.py --preset quick   # minutes
    .venv/bin/python bench/register_ingest_bench.py --preset tiny                          # SQLite smoke test
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchkit  # noqa: E402
import refdata  # noqa: E402
from register_data import register_fill  # noqa: E402
from shapes.activation import PRODUCT, TOKEN  # noqa: E402

KEY = "register-ingest-bench"
BENCH_DB = "gridprequal_register_ingest_bench"
BUDGET = 5_000  # records/s
PRESETS = {
    "full": {"shape": "full", "records": 10_000_000, "batches": 10, "size": 10_000},
    "quick": {"shape": "quick", "records": 1_000_000, "batches": 5, "size": 10_000},
    "tiny": {"shape": "tiny", "records": 20_000, "batches": 2, "size": 500},
}
URL = "/api/register/records/"


def prepare(preset: dict, tmp: str) -> dict:
    """A fresh database: the activation shape, then the register's year. Returns what was made."""
    url = benchkit.database_recreate(BENCH_DB, sqlite_dir=Path(tmp))
    benchkit.django_setup(url=url, settings="config.settings", migrate=True)
    data = refdata.make("activation", **refdata.preset_sizes(preset["shape"], shape="activation"))
    fill = register_fill(preset["records"], progress=True)
    return {"url": url, "data": data, "fill": fill}


def kept(path: Path) -> dict:
    """What `prepare` returns, for the database the headroom bench kept with `--keep path`."""
    import pickle
    from types import SimpleNamespace

    import activation_bench
    from activation_headroom_bench import REGISTER_START

    benchkit.django_setup(url=benchkit.database_url(activation_bench.BENCH_DB), settings="config.settings",
                          migrate=True)
    from register.models import RegisterRecord

    data = pickle.loads(path.read_bytes())
    fill = SimpleNamespace(start=REGISTER_START, records=data["register"]["records"],
                           seconds=data["register"]["seconds"])
    # The awards earlier runs left in it: this run's come after them (other ids, other SPUs).
    sent = RegisterRecord.objects.filter(external_id__startswith="ingest-").count()
    return {"data": data, "fill": fill, "first": sent}


def batches_make(made: dict, *, batches: int, size: int) -> list[dict]:
    """Request bodies: award j of the bench goes to SPU j % SPUs, an hour further for each round
    over the SPUs, from a month into the filled year (so the checks read the filled partitions);
    j from `made["first"]` (the awards a kept database holds from earlier runs)."""
    spus = made["data"]["spu_ids"]
    first = made["fill"].start + timedelta(days=30)
    bodies = []
    for b in range(batches):
        records = []
        for j in range(made.get("first", 0) + b * size, made.get("first", 0) + (b + 1) * size):
            start = first + timedelta(hours=j // len(spus))
            records.append({
                "external_id": f"ingest-{j}", "kind": "award", "spu": spus[j % len(spus)], "product": PRODUCT,
                "direction": "up" if j % 2 else "down", "quantity_mw": "0.1",
                "start": start.isoformat().replace("+00:00", "Z"),
                "end": (start + timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
            })
        bodies.append({"system_operator": made["data"]["so_eic"], "records": records})
    return bodies


def floor(bodies: list[dict]) -> list[float]:
    """Seconds per batch to write the same rows bare (rolled back)."""
    from datetime import datetime as dt
    from decimal import Decimal

    from django.db import connection, transaction

    from accounts.models import User
    from observability.models import SystemOperator
    from prequal.models import Product
    from register.models import RegisterBatch
    from register.services.writes import Revision, revisions_write

    user = User.objects.get(username="bench-platform")
    product_id = Product.objects.get(code=PRODUCT).pk
    seconds = []
    for body in bodies:
        so = SystemOperator.objects.get(organisation__eic_code=body["system_operator"])
        started = time.perf_counter()
        with transaction.atomic():
            batch = RegisterBatch.objects.create(actor=user, system_operator=so, action="ingest")
            revisions_write(batch=batch, revisions=[
                Revision(r["external_id"], None, 1, "active", (
                    "award", "spu", r["spu"], product_id, r["direction"], Decimal(r["quantity_mw"]),
                    dt.fromisoformat(r["start"]), dt.fromisoformat(r["end"]),
                )) for r in body["records"]
            ])
            if connection.vendor == "postgresql":
                # The foreign keys are checked at commit: here, before the rollback, so they count.
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            seconds.append(time.perf_counter() - started)
            transaction.set_rollback(True)
    return seconds


def send(bodies: list[dict]) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds (this process: the app) per batch through the API; every batch must
    be stored whole (201). A first small request loads the URLs, as a running server has."""
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Token {TOKEN}")
    client.get(URL, {"limit": 1})
    seconds, cpu = [], []
    for body in bodies:
        started, cpu_started = time.perf_counter(), time.process_time()
        response = client.post(URL, body, content_type="application/json")
        seconds.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
        if response.status_code != 201:
            raise RuntimeError(f"{response.status_code}: {response.content[:600]!r}")
        if response.json()["created"] != len(body["records"]):
            raise RuntimeError(f"not every record was created: {response.json()}")
    return seconds, cpu


def measure(preset: dict, made: dict) -> dict:
    bodies = batches_make(made, batches=preset["batches"], size=preset["size"])
    floor_seconds = floor(bodies)
    api_seconds, api_cpu = send(bodies)
    records = preset["batches"] * preset["size"]
    return {
        "preset": preset, "counts": made["data"]["counts"], "held": made["fill"].records,
        "fill_seconds": made["fill"].seconds, "vendor": "PostgreSQL" if benchkit.is_postgres() else "SQLite",
        "batch_seconds": api_seconds, "batch_cpu": api_cpu, "floor_seconds": floor_seconds,
        "rate": records / sum(api_seconds), "floor_rate": records / sum(floor_seconds),
        "batch_rates": [preset["size"] / s for s in api_seconds],
        "machine": benchkit.machine_line(),
    }


def retention_measure(fill) -> dict:
    """At scale, after the ingest: the annual report's register figures for the fill's first year
    (the rollup), retention of the first 40 days (a month's partition dropped whole, the next
    one's first days row by row), the figures again: they must be equal, and equal to the figures
    computed from the detail before."""
    from django.conf import settings

    from observability.models import SystemOperator
    from register.models import RecordRevision
    from register.selectors_figures import register_year_figures, revisions_monthly_figures
    from register.services.retention import register_retention_run

    operator_ids = list(SystemOperator.objects.values_list("pk", flat=True))

    def figures():
        return register_year_figures(operator_ids=operator_ids, year=fill.start.year)

    before, report_before, _cpu = benchkit.timed(figures)
    detail = revisions_monthly_figures(RecordRevision.objects.all())
    rolled = {k: v.awards + v.activations for k, v in before.items() if v.awards + v.activations}
    if _by_operator(detail, fill.start.year) != rolled:
        raise RuntimeError("the rollup differs from the records held in detail")
    now = fill.start + timedelta(days=40 + settings.GRIDPREQUAL_REGISTER_RETENTION_DAYS)
    result, retention_seconds, _cpu = benchkit.timed(lambda: register_retention_run(now=now))
    after, report_after, _cpu = benchkit.timed(figures)
    if after != before:
        raise RuntimeError("the annual figures changed with retention")
    return {
        "report_before": report_before, "report_after": report_after, "retention": retention_seconds,
        "revisions_removed": result.revisions_removed,
        "dropped": result.partitions_dropped, "year": fill.start.year,
    }


def _by_operator(figures, year: int) -> dict[int, int]:
    """Records per operator in `year`, from monthly figures."""
    counts: dict[int, int] = {}
    for f in figures:
        if f.month.year == year:
            counts[f.system_operator_id] = counts.get(f.system_operator_id, 0) + f.records
    return counts


def rows(r: dict) -> list[dict]:
    return [benchkit.budget_row(
        what=f"register ingest: batches of {r['preset']['size']:,} into {r['held']:,} records "
        f"({r['vendor']})",
        budget=f"≥ {BUDGET:,} records/s", unit="records/s", runs=r["batch_rates"],
        within=r["rate"] >= BUDGET, floor=r["floor_rate"], floor_label="bare COPY of the same rows",
        ratio=r["floor_rate"] / r["rate"],
    )]


def section(r: dict, command: str) -> str:
    start, end = benchkit.markers(KEY)
    p = r["preset"]
    rates = r["batch_rates"]
    verdict = "within" if r["rate"] >= BUDGET else "MISS"
    return "\n".join([
        start,
        "## Activation register: ingest through the batch API (issue 14)",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {r['machine']}.",
        "",
        f"Data: refdata shape `activation` ({r['counts']['SPUs']:,} SPUs, {r['counts']['SPGs']:,} SPGs), "
        f"and a register holding {r['held']:,} records over a year (bench/register_data.py, made in "
        f"{r['fill_seconds']:.0f} s). Sent: {p['batches']} batches of {p['size']:,} new awards to "
        f"`POST {URL}` as a market platform (token), through Django's test client in process.",
        "",
        "| what | measured | budget |",
        "| --- | --- | --- |",
        f"| sustained rate ({p['batches'] * p['size']:,} records) | **{r['rate']:,.0f} records/s**; "
        f"per batch median {statistics.median(rates):,.0f}, min–max {min(rates):,.0f}–{max(rates):,.0f} | "
        f"≥ {BUDGET:,} ({verdict}) |",
        f"| CPU of the app (this process) per batch | median {statistics.median(r['batch_cpu']):.2f} s, "
        f"{p['size'] / statistics.median(r['batch_cpu']):,.0f} records per CPU-second | — |",
        f"| floor: bare COPY of the same rows, per batch, rolled back | {r['floor_rate']:,.0f} records/s "
        "| — |",
        f"| **ratio to the floor** | **{r['floor_rate'] / r['rate']:.1f}×** | — |",
        "",
        *_retention_lines(r.get("retention")),
        f"Wall times; {benchkit.busy_note()}",
        end,
        "",
    ])


def _retention_lines(t: dict | None) -> list[str]:
    if not t:
        return []
    return [
        f"Then retention at scale (no budget): the annual report's register figures for {t['year']} took "
        f"{t['report_before']:.3f} s (the rollup); retention of the first 40 days removed "
        f"{t['revisions_removed']:,} revisions in {t['retention']:.1f} s (partitions dropped "
        f"whole: {', '.join(t['dropped']) or 'none'}); the figures read again in {t['report_after']:.3f} s "
        "were equal.",
        "",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = benchkit.parser(__doc__, presets=PRESETS)
    parser.add_argument("--batches", type=int, help="batches sent (overrides the preset)")
    parser.add_argument("--keep", type=Path, help="the headroom bench's kept database and pickle (docstring)")
    args = parser.parse_args(argv)
    preset = dict(PRESETS[args.preset])
    if args.batches:
        preset["batches"] = args.batches
    if args.keep:
        result = measure(preset, kept(args.keep))
    else:
        with tempfile.TemporaryDirectory(prefix="register-ingest-bench-") as tmp:
            made = prepare(preset, tmp)
            result = measure(preset, made)
            result["retention"] = retention_measure(made["fill"])
    print(json.dumps({k: result[k] for k in ("rate", "floor_rate", "batch_rates", "held")}), flush=True)
    command = benchkit.shown_command("register_ingest_bench.py", argv)
    benchkit.finish(args, bench="register_ingest", command=command, section=section(result, command), key=KEY,
                    rows=lambda: rows(result), machine=result["machine"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
