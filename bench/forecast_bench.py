"""Benchmark SPEC §7 (congestion forecasts, R12): one day's day-ahead publication of every operator,
a resource's 48-hour forecast with a year stored, and the activation check's forecast lookup.

Data (generated here, a fresh database `forecast_bench` on the server DATABASE_URL names): 166
operators (1 TSO, 5 regional, 160 local DSOs) sharing 2,000 grid zones of 1,000 vertices each (a
grid of circles over Sweden), one engineer each; an FSP with SPUs at points inside the first
zones. Then:

1. ingest: every operator publishes its day-ahead forecast for one day through
   `publication_create` (CSV text, as the page and the API send it): 2,000 zones × 96
   quarter-hours × 2 directions = 384,000 rows in 166 publications. Floor: the same rows written
   bare (one COPY of their text, made beforehand) in a transaction rolled back.
2. a year stored: for the FSP's zones, a year of day-ahead publications and an intraday correction
   of every day (2 publications a day, 96 × 2 rows per zone each), written bare; then a resource's
   48-hour forecast (`forecast_for_spu` as the FSP user, as of a random moment of the year), p99.
   Floor: the forecast rows' statement the selector sends (with the SPU), replayed bare.
3. the activation check's forecast rule (`limits.activation.forecast.forecast_congestion_apply`:
   the zone index in process, then one prepared query) for 15-minute to 2-hour periods in the
   year, p99. Floor: the same prepared statement replayed bare.

    scripts/with-postgres .venv/bin/python bench/forecast_bench.py                  # SPEC §7 scale
    scripts/with-postgres .venv/bin/python bench/forecast_bench.py --preset quick   # a minute
    scripts/with-postgres .venv/bin/python bench/forecast_bench.py --write docs/PERFORMANCE.md

Budgets: ingest ≤ 10 s; 48-hour forecast p99 ≤ 20 ms; the check's budget p99 ≤ 20 ms (the
forecast lookup is a part of it; the whole check over HTTP: bench/activation_bench.py).
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import benchkit  # noqa: E402

PRESETS = {
    "full": {"operators": 166, "zones": 2000, "year_zones": 20, "days": 365, "reads": 400},
    "quick": {"operators": 17, "zones": 200, "year_zones": 4, "days": 20, "reads": 100},
    "tiny": {"operators": 3, "zones": 12, "year_zones": 2, "days": 3, "reads": 20},
}
KEY = "forecast-bench"
DAY = datetime(2027, 6, 2, 22, 0, tzinfo=UTC)  # 2027-06-03 00:00 in Stockholm: the delivery day
PUBLISHED = DAY - timedelta(hours=14)  # D-1 10:00 local
YEAR_START = datetime(2026, 6, 1, 22, 0, tzinfo=UTC)
BUDGET_INGEST_S, BUDGET_P99_MS = 10.0, 20.0


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]


# --- data ----------------------------------------------------------------------------------------


def make_world(sizes: dict) -> dict:
    """Operators, engineers, zones (circles of 1,000 vertices on a grid), an FSP with SPUs."""
    import shapely
    from shapely.geometry import Point

    from accounts.models import Membership
    from forecasts.models import GridZone, GridZoneVersion
    from tests.factories import (
        ConnectionPointFactory,
        FspFactory,
        MembershipFactory,
        SpuFactory,
        SystemOperatorFactory,
        UserFactory,
    )

    tso = SystemOperatorFactory(tier="tso", upstream=None)
    operators = [tso] + [
        SystemOperatorFactory(tier="regional_dso" if i <= 5 else "local_dso", upstream=tso)
        for i in range(1, sizes["operators"])
    ]
    engineers = {}
    for so in operators:
        user = UserFactory()
        MembershipFactory(user=user, organisation=so.organisation, role=Membership.Role.SO_ENGINEER)
        engineers[so.pk] = user
    columns = 40
    cell = 0.3
    zones, versions, centres = [], [], []
    for i in range(sizes["zones"]):
        so = operators[i % len(operators)]
        zones.append(GridZone(system_operator=so, code=f"Z{i:04d}"))
    GridZone.objects.bulk_create(zones)
    for i, zone in enumerate(zones):
        lon, lat = 11.0 + cell * (i % columns), 55.0 + cell * (i // columns)
        circle = Point(lon, lat).buffer(cell / 2, quad_segs=250)  # 1,000 vertices
        centres.append((lon, lat))
        versions.append(GridZoneVersion(
            zone=zone, name=f"Zone {i}", valid_from=YEAR_START - timedelta(days=30),
            geometry_wkb=shapely.to_wkb(circle), min_lon=lon - cell / 2, max_lon=lon + cell / 2,
            min_lat=lat - cell / 2, max_lat=lat + cell / 2, area_km2=600.0, source_filename="bench",
            source_epsg=4326,
        ))
    GridZoneVersion.objects.bulk_create(versions)
    fsp = FspFactory()
    fsp_user = UserFactory()
    MembershipFactory(user=fsp_user, organisation=fsp.organisation, role=Membership.Role.FSP_USER)
    spus = []
    for i in range(sizes["year_zones"]):
        lon, lat = centres[i]
        point = ConnectionPointFactory(connecting_so=zones[i].system_operator, longitude=lon, latitude=lat)
        mw = Decimal(1000)
        spus.append(SpuFactory(fsp=fsp, connection_point=point, max_up_kw=mw, max_down_kw=mw))
    return {
        "operators": operators, "engineers": engineers, "zones": zones, "spus": spus, "fsp_user": fsp_user,
    }


def _csv(zone_codes: list[str], start: datetime, rng: random.Random) -> str:
    lines = ["zone,start,direction,headroom_mw,level"]
    levels = ("none", "none", "none", "possible", "likely", "certain")
    for code in zone_codes:
        for q in range(96):
            at = (start + timedelta(minutes=15 * q)).isoformat()
            for direction in ("up", "down"):
                lines.append(f"{code},{at},{direction},{rng.randrange(0, 50000) / 1000},{rng.choice(levels)}")
    return "\n".join(lines)


# --- 1. ingest ------------------------------------------------------------------------------------


def ingest(world: dict) -> dict:
    """Every operator's day-ahead publication for DAY through the service; the floor first."""
    from django.db import connection, transaction

    from forecasts import partitions
    from forecasts.models import ForecastValue
    from forecasts.services import publication_create

    rng = random.Random(5)
    by_so = {}
    for zone in world["zones"]:
        by_so.setdefault(zone.system_operator_id, []).append(zone.code)
    texts = {so_id: _csv(codes, DAY, rng) for so_id, codes in by_so.items()}
    rows = sum(len(t.splitlines()) - 1 for t in texts.values())
    partitions.partitions_create([partitions.month_of(DAY)])
    # Floor: the same number of rows, bare (COPY of text made beforehand), rolled back.
    zone_ids = [z.pk for z in world["zones"]]
    at = PUBLISHED.isoformat()
    bare = "".join(
        f"0\t{zone_id}\t{(DAY + timedelta(minutes=15 * q)).isoformat()}\t{d}\t15\t{at}\t1.000\t0\n"
        for zone_id in zone_ids for q in range(96) for d in ("up", "down")
    )
    columns = ", ".join(ForecastValue._meta.get_field(n).column for n in (
        "publication", "zone", "start", "direction", "minutes", "published_at", "headroom_mw", "level"))
    with transaction.atomic(), connection.cursor() as cursor:
        started = time.perf_counter()
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {ForecastValue._meta.db_table} ({columns}) FROM STDIN") as copy:
                copy.write(bare)
        floor = time.perf_counter() - started
        transaction.set_rollback(True)
    del bare
    cpu0, started = time.process_time(), time.perf_counter()
    for so in world["operators"]:
        if so.pk in texts:
            publication_create(
                user=world["engineers"][so.pk], system_operator=so, horizon="day_ahead", mtu_minutes=15,
                csv_text=texts[so.pk], now=PUBLISHED,
            )
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu0
    print(f"ingest {rows:,} rows in {seconds:.2f} s (CPU {cpu:.2f} s), floor {floor:.2f} s", file=sys.stderr)
    return {"rows": rows, "publications": len(texts), "seconds": seconds, "cpu": cpu, "floor": floor}


# --- 2. a year stored -----------------------------------------------------------------------------


def store_year(world: dict, sizes: dict) -> int:
    """A day-ahead publication and an intraday correction per day for the FSP's zones, written bare."""
    from django.db import connection, transaction

    from forecasts import partitions
    from forecasts.models import ForecastValue, Publication
    from prequal.imports.sql import table_insert

    rng = random.Random(7)
    ops = connection.ops
    zones = world["zones"][: sizes["year_zones"]]
    columns = [ForecastValue._meta.get_field(n).column for n in (
        "publication", "zone", "start", "direction", "minutes", "published_at", "headroom_mw", "level")]
    months = {partitions.month_of(YEAR_START + timedelta(days=d)) for d in range(sizes["days"] + 2)}
    partitions.partitions_create(sorted(months))
    written = 0
    for day in range(sizes["days"]):
        start = YEAR_START + timedelta(days=day)
        with transaction.atomic():
            for zone_group in _by_operator(zones):
                so = zone_group[0].system_operator
                for horizon, published in (("day_ahead", start - timedelta(hours=14)),
                                           ("intraday", start + timedelta(hours=6))):
                    publication = Publication.objects.create(
                        system_operator=so, horizon=horizon, mtu_minutes=15, published_at=published,
                        published_by=world["engineers"][so.pk], row_count=len(zone_group) * 192,
                        first_start=start, last_end=start + timedelta(days=1),
                    )
                    at = ops.adapt_datetimefield_value(published)
                    rows = [
                        (publication.pk, zone.pk,
                         ops.adapt_datetimefield_value(start + timedelta(minutes=15 * q)),
                         d, 15, at, f"{rng.randrange(0, 50000) / 1000:.3f}", rng.choice((0, 0, 0, 1, 2, 3)))
                        for zone in zone_group for q in range(96) for d in ("up", "down")
                    ]
                    table_insert(ForecastValue._meta.db_table, columns, rows)
                    written += len(rows)
    benchkit.analyze()
    return written


def _by_operator(zones):
    groups: dict[int, list] = {}
    for zone in zones:
        groups.setdefault(zone.system_operator_id, []).append(zone)
    return list(groups.values())


def reads(world: dict, sizes: dict) -> dict:
    """A resource's 48-hour forecast as the FSP, as of random moments of the year: p99; the floor
    replays the selector's forecast-rows statement bare (as prepared and read in binary,
    common.db.fetch_all)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from common.db import fetch_all, fetch_all_recorded
    from forecasts.selectors import forecast_for_spu

    rng = random.Random(9)
    user, spus = world["fsp_user"], world["spus"]
    times, floors, queries, cpus = [], [], [], []
    for i in range(sizes["reads"] + 5):
        spu = rng.choice(spus)
        as_of = YEAR_START + timedelta(minutes=rng.randrange(0, (sizes["days"] - 2) * 1440))
        with CaptureQueriesContext(connection) as orm, fetch_all_recorded() as recorded:
            cpu, started = time.process_time(), time.perf_counter()
            found = forecast_for_spu(user=user, pk=spu.pk, as_of=as_of)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert found.zones and found.zones[0].values, "the forecast must find its rows"
        sql, params = next(r for r in recorded if "forecasts_forecastvalue" in r[0])
        if i >= 5:  # warm-up left out
            times.append(elapsed * 1000)
            cpus.append(cpu * 1000)
            queries.append(len(orm.captured_queries))  # the prepared statements are captured too
            t = time.perf_counter()
            fetch_all(sql, params, binary=True)  # as the selector reads it
            floors.append((time.perf_counter() - t) * 1000)
    return {"p50": statistics.median(times), "p99": _p99(times), "floor_p99": _p99(floors), "n": len(times),
            "floor_p50": statistics.median(floors), "queries": statistics.median(queries),
            "cpu_ms": statistics.mean(cpus)}


def check_lookups(world: dict, sizes: dict) -> dict:
    """The activation check's forecast rule for an SPU and a period: p99; floor: its one prepared
    statement replayed bare (common.db.fetch_all_recorded)."""
    from common.db import fetch_all, fetch_all_recorded
    from limits.activation.access import EVERYTHING
    from limits.activation.forecast import forecast_congestion_apply
    from limits.activation.verdict import GREEN, Verdict
    from prequal.models import Spu

    rng = random.Random(13)
    spus = list(Spu.objects.select_related("connection_point").filter(pk__in=[s.pk for s in world["spus"]]))
    times, floors, yellow = [], [], 0
    for i in range(sizes["reads"] * 3 + 5):
        spu = rng.choice(spus)
        start = YEAR_START + timedelta(minutes=15 * rng.randrange(0, (sizes["days"] - 1) * 96))
        end = start + timedelta(minutes=15 * rng.choice([1, 2, 4, 8]))
        one = Decimal(1)
        verdict = Verdict(color=GREEN, reasons=[], max_quantity_mw=one, requested_quantity_mw=one,
                          direction=rng.choice(["up", "down"]))
        with fetch_all_recorded() as recorded:
            started = time.perf_counter()
            forecast_congestion_apply(
                verdicts=[verdict], resource=spu, members=None, start=start, end=end, tz="Europe/Stockholm",
                readable=EVERYTHING, as_of=start - timedelta(hours=1),
            )
            elapsed = time.perf_counter() - started
        if i >= 5:
            times.append(elapsed * 1000)
            yellow += verdict.color != GREEN
            if not recorded:  # no zone around the resource, or the cache answered: no statement
                continue
            sql, params = recorded[-1]
            t = time.perf_counter()
            fetch_all(sql, params, binary=True)  # as the selector reads it
            floors.append((time.perf_counter() - t) * 1000)
    return {"p50": statistics.median(times), "p99": _p99(times), "floor_p99": _p99(floors or [0.0]),
            "n": len(times), "yellow": yellow, "statements": len(floors)}


def _rule_block(spus: list, rng: random.Random, *, n: int, cached: bool) -> tuple[float, int, int]:
    """`n` checks' forecast rule as of now (the clock in the stored year), periods in the next 40
    hours: (CPU seconds, checks turned yellow, statements sent); `cached` False: the statement
    answers every one."""
    from unittest import mock

    from common.db import fetch_all_recorded
    from forecasts.congestion import congested_units_as_of
    from limits.activation import forecast
    from limits.activation.access import EVERYTHING
    from limits.activation.verdict import GREEN, Verdict

    one, yellow = Decimal(1), 0
    asks = []
    for _ in range(n):
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        start = now + timedelta(minutes=15 * rng.randrange(0, 150))
        asks.append((rng.choice(spus), start, start + timedelta(minutes=15 * rng.choice([1, 2, 4, 8])),
                     rng.choice(["up", "down"])))
    patch = mock.patch.object(forecast, "congested_units", congested_units_as_of) if not cached else None
    if patch is not None:
        patch.start()
    try:
        with fetch_all_recorded() as recorded:
            cpu = time.process_time()
            for spu, start, end, direction in asks:
                verdict = Verdict(color=GREEN, reasons=[], max_quantity_mw=one, requested_quantity_mw=one,
                                  direction=direction)
                forecast.forecast_congestion_apply(
                    verdicts=[verdict], resource=spu, members=None, start=start, end=end,
                    tz="Europe/Stockholm", readable=EVERYTHING,
                )
                yellow += verdict.color != GREEN
            cpu = time.process_time() - cpu
        return cpu, yellow, len(recorded)
    finally:
        if patch is not None:
            patch.stop()


def rule_cpu(world: dict, sizes: dict, *, blocks: int = 8, per_block: int = 100) -> dict:
    """The forecast rule's CPU per check (`time.process_time`), as of now with the clock moved into
    the stored year (ticking): the statement (before forecasts.congestion_cache) against the cache,
    in alternating blocks; floor: the statement's CPU replayed bare (prepared, binary)."""
    import time_machine

    from common.db import fetch_all, fetch_all_recorded
    from forecasts.congestion import congested_units_as_of
    from forecasts.zone_index import zones_at_points
    from prequal.models import Spu

    spus = list(Spu.objects.select_related("connection_point").filter(pk__in=[s.pk for s in world["spus"]]))
    clock = YEAR_START + timedelta(days=sizes["days"] // 2, hours=9)
    cpu = {"statement": [], "cache": []}
    checks = {"statement": 0, "cache": 0}
    yellow = {"statement": 0, "cache": 0}
    statements = {"statement": 0, "cache": 0}
    with time_machine.travel(clock, tick=True):
        rng = random.Random(21)
        _rule_block(spus, rng, n=20, cached=True)  # the cache built, the statement prepared
        _rule_block(spus, rng, n=20, cached=False)
        for block in range(blocks * 2):
            kind = "cache" if block % 2 else "statement"
            rng = random.Random(100 + block // 2)  # the same checks for both
            seconds, turned, sent = _rule_block(spus, rng, n=per_block, cached=kind == "cache")
            statements[kind] += sent
            cpu[kind].append(seconds / per_block * 1000)
            checks[kind] += per_block
            yellow[kind] += turned
        with fetch_all_recorded() as recorded:
            for spu in spus:
                point = (spu.connection_point.longitude, spu.connection_point.latitude)
                zone_ids = [z.zone_id for z in zones_at_points(points=[point], at=datetime.now(UTC))]
                now = datetime.now(UTC)
                congested_units_as_of(zone_ids=zone_ids, directions={"up"}, start=now,
                                      end=now + timedelta(hours=1), as_of=now)
        floors = []
        for k in range(blocks * per_block):
            sql, params = recorded[k % len(recorded)]
            started = time.process_time()
            fetch_all(sql, params, binary=True)
            floors.append((time.process_time() - started) * 1000)
    floor = statistics.mean(floors)
    return {
        "statement_ms": statistics.median(cpu["statement"]), "cache_ms": statistics.median(cpu["cache"]),
        "statement_runs": cpu["statement"], "cache_runs": cpu["cache"], "checks": checks, "yellow": yellow,
        "statements": statements,
        "floor_ms": floor, "load": benchkit.load_average(),
    }


# --- report ---------------------------------------------------------------------------------------


def section(*, command: str, vendor: str, sizes: dict, ingested: dict, year_rows: int, read: dict,
            check: dict, rule: dict) -> str:
    start, end = benchkit.markers(KEY)
    ok = lambda value, budget: "within" if value <= budget else "OVER"  # noqa: E731
    return "\n".join([
        start,
        "## Congestion forecasts (SPEC §7, R12): ingest, 48-hour reads, the check's forecast lookup",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {benchkit.machine_line()}. Database: {vendor}.",
        "",
        f"Data: {sizes['operators']} operators, {sizes['zones']:,} grid zones of "
        f"1,000 vertices; a year stored for {sizes['year_zones']} zones ({sizes['days']} days × a day-ahead "
        f"publication and an intraday correction: {year_rows:,} rows) besides the ingested day.",
        "",
        "| what | measured | budget | floor | ratio to the floor |",
        "| --- | --- | --- | --- | --- |",
        f"| day-ahead publication of every operator: {ingested['rows']:,} rows in {ingested['publications']} "
        f"publications (`publication_create`, CSV) | **{ingested['seconds']:.2f} s** "
        f"(CPU {ingested['cpu']:.2f} s) | ≤ {BUDGET_INGEST_S:.0f} s "
        f"({ok(ingested['seconds'], BUDGET_INGEST_S)}) "
        f"| bare COPY of the rows' text {ingested['floor']:.2f} s "
        f"| {ingested['seconds'] / ingested['floor']:.1f}× |",
        f"| a resource's 48-hour forecast (`forecast_for_spu`, as the FSP; {read['queries']:.0f} queries), "
        f"{read['n']} reads | "
        f"**p99 {read['p99']:.1f} ms** (p50 {read['p50']:.1f} ms; CPU {read['cpu_ms']:.2f} ms a read) "
        f"| ≤ {BUDGET_P99_MS:.0f} ms "
        f"({ok(read['p99'], BUDGET_P99_MS)}) | its rows statement (with the SPU) bare, "
        f"p99 {read['floor_p99']:.1f} ms "
        f"(p50 {read['floor_p50']:.2f} ms) "
        f"| {read['p99'] / read['floor_p99']:.1f}× |",
        f"| the activation check's forecast lookup (zone index + one prepared query), {check['n']} checks, "
        f"{check['yellow']} turned yellow | **p99 {check['p99']:.2f} ms** (p50 {check['p50']:.2f} ms) "
        f"| part of the check's p99 ≤ {BUDGET_P99_MS:.0f} ms "
        f"| statement bare, p99 {check['floor_p99']:.2f} ms "
        f"| {check['p99'] / check['floor_p99']:.1f}× |",
        f"| the check's forecast rule, CPU per check (`time.process_time`), as of now in the stored year: "
        f"statement (before the cache), {rule['checks']['statement']} checks, "
        f"{rule['statements']['statement']} statements | "
        f"**{rule['statement_ms']:.3f} ms** | — | the statement bare, CPU {rule['floor_ms']:.3f} ms "
        f"| {rule['statement_ms'] / rule['floor_ms']:.2f}× |",
        f"| the same checks from the process's cache (`forecasts.congestion_cache`), "
        f"{rule['checks']['cache']} checks, {rule['statements']['cache']} statements (refreshes), "
        f"{rule['yellow']['cache']} turned yellow "
        f"({rule['yellow']['statement']} by statement) | **{rule['cache_ms']:.3f} ms** | — "
        f"| the statement bare, CPU {rule['floor_ms']:.3f} ms | {rule['cache_ms'] / rule['floor_ms']:.2f}× |",
        "",
        f"Load average after the CPU blocks: {rule['load']}. CPU per check of each block of "
        f"100: statement {', '.join(f'{v:.3f}' for v in rule['statement_runs'])} ms; cache "
        f"{', '.join(f'{v:.3f}' for v in rule['cache_runs'])} ms.",
        "",
        "The ingest's time includes checking every row (zone, alignment, headroom, duplicates, day-ahead "
        "not in the past) and the publication rows; wall time counts waiting for a CPU on a shared host.",
        end,
    ]) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = benchkit.parser(__doc__, presets=PRESETS)
    args = parser.parse_args(argv)
    sizes = PRESETS[args.preset]
    with tempfile.TemporaryDirectory(prefix="forecast-bench-") as tmp:
        benchkit.database_recreate("forecast_bench", sqlite_dir=Path(tmp))
        benchkit.django_setup(
            settings="config.settings", migrate=True, DJANGO_SETTINGS_MODULE="config.settings",
            CELERY_BROKER_URL="memory://", CELERY_TASK_ALWAYS_EAGER="false",
        )
        return _measure(args, sizes)


def _measure(args, sizes: dict) -> int:
    import time_machine
    from django.db import connection

    with time_machine.travel(PUBLISHED - timedelta(minutes=5), tick=True):
        world = make_world(sizes)
        runs = [ingest(world) for _ in range(1)]
    ingested = runs[0]
    year_rows = store_year(world, sizes)
    print(f"stored a year: {year_rows:,} rows", file=sys.stderr)
    read = reads(world, sizes)
    check = check_lookups(world, sizes)
    rule = rule_cpu(world, sizes)
    print(f"forecast rule CPU per check: statement {rule['statement_ms']:.3f} ms, "
          f"cache {rule['cache_ms']:.3f} ms ({rule['statements']}), floor {rule['floor_ms']:.3f} ms",
          file=sys.stderr)
    command = benchkit.shown_command("forecast_bench.py", None)
    text = section(command=command, vendor=connection.vendor, sizes=sizes, ingested=ingested,
                   year_rows=year_rows, read=read, check=check, rule=rule)
    rows = [
        benchkit.budget_row(
            what=f"forecast ingest: {ingested['rows']:,} day-ahead rows of every operator", budget="≤ 10 s",
            unit="s", runs=[ingested["seconds"]], within=ingested["seconds"] <= BUDGET_INGEST_S,
            floor=ingested["floor"], floor_label="bare COPY of the rows' text",
        ),
        benchkit.budget_row(
            what="a resource's 48-hour forecast, a year stored (p99)", budget="≤ 20 ms", unit="ms",
            runs=[read["p99"]], within=read["p99"] <= BUDGET_P99_MS, floor=read["floor_p99"],
            floor_label="the rows query bare (p99)",
        ),
        benchkit.budget_row(
            what="the activation check's forecast lookup (p99; a part of the check)", budget="≤ 20 ms",
            unit="ms", runs=[check["p99"]], within=check["p99"] <= BUDGET_P99_MS, floor=check["floor_p99"],
            floor_label="its prepared statement bare (p99)",
        ),
    ]
    benchkit.finish(args, bench="forecast", command=command, section=text, key=KEY, rows=rows)
    connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
