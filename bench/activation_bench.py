"""Benchmark SPEC §7 row 3: the activation check over HTTP against PostgreSQL.

Generates a scaled data set (`bench/refdata.py`, shape `activation`: SPUs at their own
connection points, SPGs of several members, decided cases with conditions, temporary limits on
SPUs, points, SPGs and area polygons) in a fresh database on the PostgreSQL server named by
DATABASE_URL, starts gunicorn with 4 workers on 127.0.0.1 serving the market platforms' entry
(config/wsgi_lean.py, as production does: README), and drives POST /api/activation-check/ with wrk
(Debian package) from 127.0.0.1 as a market platform client (token auth), each request for
a random resource and period. Reports answers/s, p50/p99 latency, the colours answered, and
the ratio to the floor: the same prepared statements the check runs, sent bare through psycopg
by 4 processes. Each measured run is repeated (`--runs`, median with min and max).

    scripts/with-postgres .venv/bin/python bench/activation_bench.py                 # SPEC §7 scale (~6 min)
    scripts/with-postgres .venv/bin/python bench/activation_bench.py --preset full   # 100,000 SPUs
    scripts/with-postgres .venv/bin/python bench/activation_bench.py --preset quick  # a minute
    scripts/with-postgres .venv/bin/python bench/activation_bench.py --write docs/PERFORMANCE.md

`--preset tiny --in-process` runs without gunicorn and wrk (Django's test client, any database):
the smoke test in tests/benches/test_activation_bench.py uses it.
"""

from __future__ import annotations

import json
import pickle
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchkit  # noqa: E402
import refdata  # noqa: E402
from activation_load import (  # noqa: E402
    cpu_by_pid,
    cpu_spent,
    floor,
    free_port,
    prewarm,
    run_wrk,
    server_pids,
    start_gunicorn,
    stop,
)
from activation_report import report, rows  # noqa: E402
from shapes.activation import PRODUCT, T0, TOKEN  # noqa: E402

__all__ = ["cpu_spent", "report", "rows"]  # read by tests/benches/test_activation_bench.py
PRESETS = refdata.SHAPES["activation"]
KEY = "activation-bench"
BENCH_DB = "gridprequal_activation_bench"


# --- requests ------------------------------------------------------------------------------------


def make_requests(data: dict, *, n: int, seed: int = 11) -> list[dict]:
    """Request bodies: 80 % SPUs (most with a decided case), 20 % SPGs; 15-min to 2-h periods."""
    rng = random.Random(seed)
    bodies = []
    for _ in range(n):
        if rng.random() < 0.8 or not data["spg_ids"]:
            pool = data["spu_case_ids"] if rng.random() < 0.9 else data["spu_ids"]
            resource = {"spu": rng.choice(pool)}
        else:
            pool = data["spg_case_ids"] if rng.random() < 0.9 else data["spg_ids"]
            resource = {"spg": rng.choice(pool)}
        start = T0 + timedelta(minutes=15 * rng.randrange(7 * 96))
        end = start + timedelta(minutes=15 * rng.choice([1, 2, 4, 8]))
        bodies.append(
            {
                "system_operator": data["so_eic"],
                **resource,
                "product": PRODUCT,
                "direction": rng.choice(["up", "up", "down"]),
                "quantity_mw": str(rng.choice([0.1, 0.4, 1, 3])),
                "start": start.isoformat().replace("+00:00", "Z"),
                "end": end.isoformat().replace("+00:00", "Z"),
            }
        )
    return bodies


def in_process(bodies: list[dict]) -> dict:
    """Answer the requests with Django's test client (no server): correctness and colours only."""
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Token {TOKEN}")
    colours: dict[str, int] = {}
    latencies = []
    for body in bodies:
        started = time.perf_counter()
        response = client.post("/api/activation-check/", body, content_type="application/json")
        latencies.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise RuntimeError(f"{response.status_code}: {response.content[:300]!r} for {body}")
        colour = response.json()["color"]
        colours[colour] = colours.get(colour, 0) + 1
    return {"colours": colours, "latencies": latencies}


def capture_statements(body: dict) -> list[tuple[str, list]]:
    """The statements one check runs (resource + cases, limits, conditions, members), with their
    parameters, as the app sends them: common.db.fetch_all's prepared statements."""
    from django.test import Client

    from common.db import fetch_all_recorded

    client = Client(HTTP_AUTHORIZATION=f"Token {TOKEN}")
    client.post("/api/activation-check/", body, content_type="application/json")  # warm: token, caches
    with fetch_all_recorded() as captured:
        client.post("/api/activation-check/", body, content_type="application/json")
    return captured


# --- measuring -----------------------------------------------------------------------------------


def prepare(args, tmp: str, variant=None) -> tuple[str, dict]:
    """A fresh database with the preset's data set; (its URL, what was generated). A `variant`
    (bench/activation_headroom_bench.py) adds to it. With `--keep PATH` (PostgreSQL) what was
    generated is pickled to PATH and the database left in place; a later run with the same PATH
    migrates that database and measures it again instead of generating (a 10,000,000-record
    register takes minutes to build)."""
    keep = getattr(args, "keep", None)
    if keep is not None and keep.exists():
        url = benchkit.database_url(BENCH_DB)
        benchkit.django_setup(url=url, settings="config.settings", migrate=True)
        print(f"reusing {url} and {keep}", flush=True)
        return url, pickle.loads(keep.read_bytes())
    url = benchkit.database_recreate(BENCH_DB, sqlite_dir=Path(tmp))
    benchkit.django_setup(url=url, settings="config.settings", migrate=True)
    sizes = refdata.preset_sizes(args.preset, shape="activation")
    print(f"generating {sizes} ...", flush=True, file=sys.stderr if args.in_process else sys.stdout)
    data = refdata.make("activation", **sizes)
    if variant is not None:
        variant.prepare(args, data)
    if keep is not None:
        keep.write_bytes(pickle.dumps(data))
    return url, data


def measure_http(args, *, url: str, bodies: list[dict]) -> list[dict]:
    """gunicorn on 127.0.0.1, a warm-up, then `--runs` wrk runs with the server's CPU from /proc."""
    runs = []
    with tempfile.TemporaryDirectory(prefix="activation-bench-") as tmp:
        workdir = Path(tmp)
        bodies_path = workdir / "bodies.jsonl"
        bodies_path.write_text("\n".join(json.dumps(b) for b in bodies) + "\n")
        port = free_port()
        server = start_gunicorn(
            database_url=url,
            workers=args.workers,
            port=port,
            log=workdir / "gunicorn.log",
            worker_class=args.worker_class,
            app=args.wsgi,
        )
        wrk = {
            "port": port,
            "bodies_path": bodies_path,
            "connections": args.connections,
            "threads": 2,
            "workdir": workdir,
        }
        try:
            prewarm(port=port, bodies=bodies, connections=args.workers * 2)
            run_wrk(seconds=5, **wrk)  # warm-up: connections, caches, prepared statements
            web_pids, db_pids = server_pids(server.pid)  # re-read per run: backends come and go
            print(f"measuring CPU of {len(web_pids)} web and {len(db_pids)} database processes", flush=True)
            for k in range(args.runs):
                web_before, db_before = (cpu_by_pid(p) for p in server_pids(server.pid))
                http = run_wrk(seconds=args.seconds, **wrk)
                web_after, db_after = (cpu_by_pid(p) for p in server_pids(server.pid))
                http["web_cpu_s"] = cpu_spent(web_before, web_after)
                http["db_cpu_s"] = cpu_spent(db_before, db_after)
                http["server_cpu_s"] = http["web_cpu_s"] + http["db_cpu_s"]
                runs.append(http)
                print(
                    f"run {k + 1}/{args.runs}: {http['per_second']:,.0f} answers/s, "
                    f"p99 {http['p99_ms']:.2f} ms",
                    flush=True,
                )
        finally:
            stop(server)
    return runs


def measure(args, *, url: str, data: dict, load_before: str, variant=None) -> dict:
    from django.db import connections

    bodies = make_requests(data, n=args.requests)
    if variant is not None:
        bodies = variant.requests(bodies, data)
    sample = in_process(bodies[:300])
    extra = variant.sample(bodies[:300]) if variant is not None else {}
    samples = bodies[:200]
    statements = [capture_statements(b) for b in samples]
    connections.close_all()
    runs = measure_http(args, url=url, bodies=bodies)
    floors = []
    for k in range(args.runs):
        floors.append(floor(url, statements, processes=args.workers, seconds=min(args.seconds, 15)))
        print(f"floor {k + 1}/{args.runs}: {floors[-1]['per_second']:,.0f} sets/s", flush=True)
    return {
        "load_before": load_before,
        "worker_class": args.worker_class,
        "wsgi": args.wsgi,
        "runs": runs,
        "floors": floors,
        "data": data,
        "colours": sample["colours"],
        "workers": args.workers,
        "connections": args.connections,
        "distinct": len(bodies),
        "members": PRESETS[args.preset]["members"],
        "floor_samples": len(samples),
        "queries": round(statistics.mean(len(s) for s in statements), 1),
        "machine": benchkit.machine_line(),
        **extra,
    }


def main(argv: list[str] | None = None, *, variant=None) -> int:
    """`variant`: another bench on this one's data and load (its own data, section and rows)."""
    parser = benchkit.parser(__doc__, presets=PRESETS, default_preset="national", runs=3)
    if variant is not None:
        variant.arguments(parser)
    parser.add_argument("--seconds", type=int, default=30, help="measured wrk run")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--worker-class", default="sync", choices=["sync", "gthread"],
        help="sync: as README's production set-up (a connection per request behind the proxy)",
    )
    parser.add_argument(
        "--wsgi",
        default="config.wsgi_lean:application",
        help="the app gunicorn serves: the market platforms' entry, or config.wsgi:application (full stack)",
    )
    parser.add_argument("--requests", type=int, default=20_000, help="distinct request bodies")
    parser.add_argument("--in-process", action="store_true", help="no gunicorn/wrk: Django's test client")
    parser.add_argument("--keep", type=Path, help="keep the database; reuse it when this pickle exists")
    args = parser.parse_args(argv)
    if not args.in_process and not benchkit.is_postgres():
        print(
            "Run against PostgreSQL: scripts/with-postgres .venv/bin/python bench/activation_bench.py",
            file=sys.stderr,
        )
        return 2
    if not args.in_process and shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install -y wrk).", file=sys.stderr)
        return 2
    load_before = benchkit.load_average()
    with tempfile.TemporaryDirectory(prefix="activation-bench-") as tmp:
        url, data = prepare(args, tmp, variant)
        if args.in_process:
            result = in_process(make_requests(data, n=min(args.requests, 300)))
            print(
                json.dumps(
                    {
                        "counts": data["counts"],
                        "colours": result["colours"],
                        "p50_ms": 1000 * statistics.median(result["latencies"]),
                    },
                    indent=1,
                )
            )
            return 0
        print(f"generated in {data['seconds']:.0f} s: {data['counts']}", flush=True)
        result = measure(args, url=url, data=data, load_before=load_before, variant=variant)
    if variant is not None:
        return variant.finish(args, argv, result)
    command = benchkit.shown_command("activation_bench.py", argv, postgres=True)
    benchkit.finish(
        args,
        bench="activation",
        command=command,
        section=report(result, command=command),
        key=KEY,
        rows=lambda: rows(result),
        machine=result["machine"],
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
