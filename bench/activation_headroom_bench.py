"""Benchmark SPEC §7 "activation check with area headroom": the activation check of
bench/activation_bench.py (same data shape, load, floor and budget: ≥ 1,000 answers/s, p99 ≤
20 ms) against a database whose register already holds `--register-records` (default
10,000,000) records over a year (bench/register_data.py), so every check under a limit on a
connection point or an area reads what the register holds there (limits.activation.headroom).

The refdata shape `activation` puts 25 % of its limits on connection points and 10 % on area
boxes; the register's year covers the checks' week. Every third check asks about an SPU under
such a limit while it applies (random checks would seldom meet one), so those checks compute a
headroom over real holdings. The section reports the share of a sample that did.

    scripts/with-postgres .venv/bin/python bench/activation_headroom_bench.py                  # national
    scripts/with-postgres .venv/bin/python bench/activation_headroom_bench.py --preset quick \\
        --register-records 1000000 --seconds 10 --runs 1
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import activation_bench  # noqa: E402
import benchkit  # noqa: E402
from activation_report import report, rows  # noqa: E402
from register_data import register_fill  # noqa: E402
from shapes.activation import TOKEN  # noqa: E402

KEY = "activation-headroom-bench"
REGISTER_START = datetime(2030, 1, 1, tzinfo=UTC)  # a year around the checks' week (T0: June 2030)
SUM_MARK = "caps the sum held"  # limits.activation.headroom's reasons


class Headroom:
    """The hooks activation_bench.main calls (its `variant`)."""

    @staticmethod
    def arguments(parser) -> None:
        parser.add_argument("--register-records", type=int, default=10_000_000)

    @staticmethod
    def prepare(args, data: dict) -> None:
        fill = register_fill(args.register_records, start=REGISTER_START, months=12, progress=True)
        data["register"] = {"records": fill.records, "resources": fill.resources, "seconds": fill.seconds}
        print(f"register: {fill.records:,} records over {fill.resources:,} resources in {fill.seconds:.0f} s",
              flush=True)
        decided = set(data["spu_case_ids"])
        data["under"] = [row for row in _spus_under_sum_limits() if row[0] in decided]
        data["register"]["under_limits"] = len({row[0] for row in data["under"]})

    @staticmethod
    def requests(bodies: list[dict], data: dict) -> list[dict]:
        """Every third check asks about an SPU under a point or area limit, while the limit applies
        and in its direction (random ones would seldom meet the limit's quarter-hours)."""
        rng = random.Random(13)
        under = data["under"]
        if not under:
            return bodies
        for i in range(0, len(bodies), 3):
            spu_id, start, end, direction = rng.choice(under)
            quarters = max(1, int((end - start).total_seconds() // 900))
            at = start + timedelta(minutes=15 * rng.randrange(quarters))
            body = {k: v for k, v in bodies[i].items() if k not in ("spu", "spg")}
            bodies[i] = {**body, "spu": spu_id, "direction": "up" if direction == "both" else direction,
                         "start": _iso(at), "end": _iso(at + timedelta(minutes=15 * rng.choice([1, 2, 4])))}
        return bodies

    @staticmethod
    def sample(bodies: list[dict]) -> dict:
        """How many of the sample's checks computed a headroom, and their own p50 (in process)."""
        from django.test import Client

        client = Client(HTTP_AUTHORIZATION=f"Token {TOKEN}")
        under, latencies = 0, []
        for body in bodies:
            started = time.perf_counter()
            answer = client.post("/api/activation-check/", body, content_type="application/json").json()
            if any(SUM_MARK in reason for reason in answer["reasons"]):
                under += 1
                latencies.append(time.perf_counter() - started)
        return {"headroom": {"checked": len(bodies), "under": under,
                             "p50_ms": 1000 * statistics.median(latencies) if latencies else None}}

    @staticmethod
    def finish(args, argv, result: dict) -> int:
        command = benchkit.shown_command("activation_headroom_bench.py", argv, postgres=True)
        benchkit.finish(
            args, bench="activation_headroom", command=command, section=section(result, command=command),
            key=KEY, rows=lambda: headroom_rows(result), machine=result["machine"],
        )
        return 0


# SPUs under a limit on their point, or in (a sample of) area boxes: refdata's areas are boxes.
UNDER_POINT_SQL = """
SELECT s.id, l.start, l."end", l.direction FROM limits_temporarylimit l
JOIN prequal_spu s ON s.connection_point_id = l.connection_point_id WHERE l.target_kind = 'connection_point'
"""
UNDER_AREA_SQL = """
SELECT p.id, l.start, l."end", l.direction
FROM (SELECT * FROM limits_temporarylimit WHERE target_kind = 'area' ORDER BY id LIMIT 100) l
CROSS JOIN LATERAL (
    SELECT s.id FROM observability_connectionpoint cp JOIN prequal_spu s ON s.connection_point_id = cp.id
    WHERE cp.longitude BETWEEN l.min_lon AND l.max_lon AND cp.latitude BETWEEN l.min_lat AND l.max_lat
    LIMIT 50
) p
"""


def _spus_under_sum_limits() -> list[tuple]:
    """(SPU id, the limit's start, end, direction) for SPUs under a point or area limit."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(UNDER_POINT_SQL)
        rows = cursor.fetchall()
        if connection.vendor == "postgresql":  # LATERAL; the in-process smoke test on SQLite: points only
            cursor.execute(UNDER_AREA_SQL)
            rows += cursor.fetchall()
    return [(pk, _aware(start), _aware(end), direction) for pk, start, end, direction in rows]


def _aware(moment) -> datetime:
    """A timestamp as a UTC datetime (SQLite returns text)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def section(result: dict, *, command: str) -> str:
    """activation_bench's section, under this bench's markers and title, with the register's data."""
    text = report(result, command=command)
    for old, new in zip(benchkit.markers(activation_bench.KEY), benchkit.markers(KEY), strict=True):
        text = text.replace(old, new)
    register, headroom = result["data"]["register"], result["headroom"]
    p50 = f"{headroom['p50_ms']:.1f} ms" if headroom["p50_ms"] is not None else "—"
    return text.replace(
        "## Activation check (SPEC §7 row 3)",
        "## Activation check with area headroom (SPEC §7: + a register of "
        f"{register['records']:,} records)\n\n"
        f"Register: {register['records']:,} records (awards and activations, one to four hours) over "
        f"{register['resources']:,} resources and a year around the checks' week (bench/register_data.py, "
        f"made in {register['seconds']:.0f} s). Every third check asks about one of the "
        f"{register['under_limits']:,} SPUs with a decided case under a limit on their connection point or "
        f"in an area box, while the limit applies. Of a sample of {headroom['checked']} checks, "
        f"{headroom['under']} fell under a limit on a connection point or an area and computed its headroom "
        f"(in-process p50 of those: {p50}).",
        1,
    )


def headroom_rows(result: dict) -> list[dict]:
    records = result["data"]["register"]["records"]
    out = rows(result)
    for row in out:
        row["what"] = row["what"].replace(
            "activation check", f"activation check with area headroom (+ {records:,} register records)", 1
        )
    return out


def main(argv: list[str] | None = None) -> int:
    return activation_bench.main(argv, variant=Headroom())


if __name__ == "__main__":
    raise SystemExit(main())
