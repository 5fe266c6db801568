"""Benchmark SPEC §7 "activation check with forecasts consulted" (R8, R12): the activation check
of bench/activation_bench.py (same data shape, load, floor and budget: ≥ 1,000 answers/s, p99 ≤
20 ms) against a database that also holds grid zones over every operator's grid and a day of
day-ahead congestion forecasts, so that every check finds the zones around its resource (the
process's zone index) and reads their forecast (the process's cache of congested units:
forecasts.congestion_cache; `--statement`: one prepared statement per check, forecasts.congestion).

Zones: `--zones` (default 2,000, SPEC §7's polygon count) circles of 1,000 vertices on a grid over
the data set's extent, overlapping so that every connection point lies in one to four of them,
shared out over the operators. Forecasts: for the checks' day (T0), every zone, 96 quarter-hours,
both directions (384,000 rows at 2,000 zones), published the day before the real now (a check
reads "as of" now), levels drawn so that about a third of the units are likely or certain;
written bare (COPY). Every check asks about a period in that day.

The clock: every check asks about T0's day, and the activation check reads forecasts as of now
from a cache of the units near now (forecasts.congestion_cache), so gunicorn's workers and this
process run with the clock at T0 − 30 minutes, ticking (bench/gunicorn_clock.py, time-machine).

CPU per answer with and without forecasts: run this bench again with `--zones 0` (same data,
bodies and clock, no zone: the rule returns before looking); the difference is the forecast
rule's share.

    scripts/with-postgres .venv/bin/python bench/activation_forecast_bench.py --preset quick
    scripts/with-postgres .venv/bin/python bench/activation_forecast_bench.py --write docs/PERFORMANCE.md
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import activation_bench  # noqa: E402
import benchkit  # noqa: E402
import gunicorn_clock  # noqa: E402
from activation_report import report, rows  # noqa: E402
from shapes.activation import EXTENT, T0, TOKEN  # noqa: E402

KEY = "activation-forecast-bench"
FORECAST_MARK = "congestion forecast"  # limits.activation.forecast's reasons
LEVELS = (0, 0, 0, 1, 2, 3)  # none ×3, possible, likely, certain
CLOCK = T0 - timedelta(minutes=30)  # "now" in the app while measuring (module docstring)


class Forecasts:
    """The hooks activation_bench.main calls (its `variant`)."""

    @staticmethod
    def arguments(parser) -> None:
        parser.add_argument("--zones", type=int, default=2000, help="grid zones over the data set's extent")
        parser.add_argument(
            "--statement", action="store_true",
            help="the forecast rule by its statement on every check, as before forecasts.congestion_cache",
        )

    @staticmethod
    def prepare(args, data: dict) -> None:
        started = time.perf_counter()
        zones = zones_create(args.zones)
        rows_written = day_publish(zones)
        benchkit.analyze(vacuum=True)
        seconds = time.perf_counter() - started
        data["forecasts"] = {"zones": len(zones), "rows": rows_written, "seconds": seconds}
        print(f"forecasts: {len(zones):,} zones, {rows_written:,} rows in {seconds:.0f} s", flush=True)

    @staticmethod
    def requests(bodies: list[dict], data: dict) -> list[dict]:
        """Every check asks about a period in the forecast day (the bodies' own lengths kept); from
        here on this process's clock is CLOCK, ticking (the workers': bench/gunicorn_clock.py)."""
        import time_machine

        time_machine.travel(CLOCK, tick=True).start()
        if os.environ.get("BENCH_FORECAST_STATEMENT"):
            gunicorn_clock.forecast_statement_only()
        rng = random.Random(17)
        for body in bodies:
            start, end = _parse(body["start"]), _parse(body["end"])
            at = T0 + timedelta(minutes=15 * rng.randrange(96 - 8))
            body["start"], body["end"] = _iso(at), _iso(at + (end - start))
        return bodies

    @staticmethod
    def sample(bodies: list[dict]) -> dict:
        """How many of the sample's answers carry a forecast's reason (in process)."""
        from django.test import Client

        client = Client(HTTP_AUTHORIZATION=f"Token {TOKEN}")
        flagged, latencies = 0, []
        for body in bodies:
            started = time.perf_counter()
            answer = client.post("/api/activation-check/", body, content_type="application/json").json()
            latencies.append(time.perf_counter() - started)
            flagged += any(FORECAST_MARK in reason for reason in answer["reasons"])
        return {"forecast_sample": {"checked": len(bodies), "flagged": flagged,
                                    "p50_ms": 1000 * statistics.median(latencies)}}

    @staticmethod
    def finish(args, argv, result: dict) -> int:
        command = benchkit.shown_command("activation_forecast_bench.py", argv, postgres=True)
        benchkit.finish(
            args, bench="activation_forecast", command=command, section=section(result, command=command),
            key=KEY, rows=lambda: forecast_rows(result), machine=result["machine"],
        )
        return 0


def zones_create(count: int) -> list:
    """`count` circles of 1,000 vertices on a grid over EXTENT (radius: the cell's diagonal, so
    neighbours overlap), shared out over the operators, valid from a month before now."""
    import shapely
    from shapely.geometry import Point

    from forecasts.models import GridZone, GridZoneVersion
    from observability.models import SystemOperator

    if count == 0:
        return []
    operators = list(SystemOperator.objects.order_by("pk"))
    x0, y0, x1, y1 = EXTENT
    columns = max(1, round((count * (x1 - x0) / (y1 - y0)) ** 0.5))
    rows_ = -(-count // columns)
    width, height = (x1 - x0) / columns, (y1 - y0) / rows_
    radius = (width**2 + height**2) ** 0.5
    zones = GridZone.objects.bulk_create(
        [GridZone(system_operator=operators[i % len(operators)], code=f"BZ{i:05d}") for i in range(count)]
    )
    valid_from = datetime.now(UTC) - timedelta(days=30)
    versions = []
    for i, zone in enumerate(zones):
        lon, lat = x0 + width * (i % columns + 0.5), y0 + height * (i // columns + 0.5)
        circle = Point(lon, lat).buffer(radius, quad_segs=250)
        versions.append(GridZoneVersion(
            zone=zone, name=f"Zone {i}", valid_from=valid_from, geometry_wkb=shapely.to_wkb(circle),
            min_lon=lon - radius, max_lon=lon + radius, min_lat=lat - radius, max_lat=lat + radius,
            area_km2=1000.0, source_filename="bench", source_epsg=4326,
        ))
    GridZoneVersion.objects.bulk_create(versions, batch_size=200)
    return zones


def day_publish(zones: list) -> int:
    """Each operator's day-ahead publication for T0's day, published yesterday; its rows bare."""
    from django.db import connection, transaction

    from accounts.models import User
    from forecasts import partitions
    from forecasts.models import ForecastValue, Publication
    from prequal.imports.sql import table_insert

    rng = random.Random(23)
    ops = connection.ops
    partitions.partitions_create([partitions.month_of(T0)])
    published = datetime.now(UTC) - timedelta(days=1)
    publisher = User.objects.create(username="bench-forecaster")
    columns = [ForecastValue._meta.get_field(n).column for n in (
        "publication", "zone", "start", "direction", "minutes", "published_at", "headroom_mw", "level")]
    starts = [ops.adapt_datetimefield_value(T0 + timedelta(minutes=15 * q)) for q in range(96)]
    by_operator: dict = {}
    for zone in zones:
        by_operator.setdefault(zone.system_operator, []).append(zone)
    written = 0
    with transaction.atomic():
        for so, own in by_operator.items():
            publication = Publication.objects.create(
                system_operator=so, horizon="day_ahead", mtu_minutes=15, published_at=published,
                published_by=publisher, row_count=len(own) * 192, first_start=T0,
                last_end=T0 + timedelta(days=1),
            )
            at = ops.adapt_datetimefield_value(published)
            rows_ = [
                (publication.pk, zone.pk, start, d, 15, at, f"{rng.randrange(0, 50000) / 1000:.3f}",
                 rng.choice(LEVELS))
                for zone in own for start in starts for d in ("up", "down")
            ]
            table_insert(ForecastValue._meta.db_table, columns, rows_)
            written += len(rows_)
    return written


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def section(result: dict, *, command: str) -> str:
    """activation_bench's section, under this bench's markers and title, with the forecasts' data."""
    text = report(result, command=command)
    for old, new in zip(benchkit.markers(activation_bench.KEY), benchkit.markers(KEY), strict=True):
        text = text.replace(old, new)
    made, sample = result["data"]["forecasts"], result["forecast_sample"]
    return text.replace(
        "## Activation check (SPEC §7 row 3)",
        f"## Activation check with forecasts consulted (SPEC §7: + {made['zones']:,} grid zones and a day "
        "of forecasts)\n\n"
        f"Forecasts: {made['zones']:,} grid zones of 1,000 vertices over the data set's extent (every point "
        f"in one to four), and every zone's day-ahead forecast for the checks' day: {made['rows']:,} rows "
        f"(made in {made['seconds']:.0f} s); every check asks about a period in that day. Of a sample of "
        f"{sample['checked']} checks, {sample['flagged']} carried a forecast's reason (likely or certain "
        f"congestion; in-process p50 {sample['p50_ms']:.1f} ms).",
        1,
    )


def forecast_rows(result: dict) -> list[dict]:
    zones = result["data"]["forecasts"]["zones"]
    out = rows(result)
    for row in out:
        row["what"] = row["what"].replace(
            "activation check", f"activation check with forecasts consulted ({zones:,} zones)", 1
        )
    return out


def main(argv: list[str] | None = None) -> int:
    os.environ["BENCH_CLOCK"] = CLOCK.isoformat()
    if "--statement" in (sys.argv[1:] if argv is None else argv):
        os.environ["BENCH_FORECAST_STATEMENT"] = "1"
    os.environ["GUNICORN_CMD_ARGS"] = f"--config {Path(__file__).resolve().parent / 'gunicorn_clock.py'}"
    return activation_bench.main(argv, variant=Forecasts())


if __name__ == "__main__":
    raise SystemExit(main())
