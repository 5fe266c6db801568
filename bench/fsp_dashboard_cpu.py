"""The FSP's home page dashboard in process: its own Python (CPU time) beside its SQL (issue 15).

The queue bench times the page's wall clock against its bare-SQL floor; on a shared host the
difference is mostly waiting for a CPU. This one counts what the page itself costs: the process's
CPU time per request (time.process_time), the wall time, the wall time inside SQL and the page's
statements run bare (the floor, as the queue bench measures it), for the user
of the FSP with most SPUs (as bench/queue_bench.py picks it), with an optional cProfile listing.

    scripts/with-postgres sh -c '.venv/bin/python bench/fsp_dashboard_cpu.py --preset quick --build-only &&
        .venv/bin/python bench/fsp_dashboard_cpu.py --reuse --requests 40 --profile 25'

Before/after a change: copy the old tree (git archive) with this script into it, and run both
alternately with --reuse against the same database (the figures are medians per run).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import statistics
import sys
import time

import benchkit
import refdata


def _fsp_user():
    from django.db.models import Count

    from accounts.models import Membership
    from prequal.models import Fsp

    fsp = Fsp.objects.annotate(n=Count("spus")).order_by("-n", "pk").first()
    return fsp, Membership.objects.filter(organisation_id=fsp.organisation_id, role="fsp_user").first().user


def measure(*, requests: int, profile: int) -> dict:
    from django.db import connection
    from django.test import Client

    fsp, user = _fsp_user()
    client = Client()
    client.force_login(user)
    for _ in range(benchkit.PAGE_WARMUP):
        assert client.get("/").status_code == 200
    sql_wall, statements, page_sql = [0.0], [0], []

    def timed_sql(execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            sql_wall[0] += time.perf_counter() - start
            statements[0] += 1
            if len(page_sql) < statements[0]:  # the first request's statements: the floor's
                page_sql.append(connection.ops.last_executed_query(context["cursor"], sql, params))

    cpu, wall, sql = [], [], []
    with connection.execute_wrapper(timed_sql):
        for _ in range(requests):
            sql_wall[0], statements[0] = 0.0, 0
            c0, w0 = time.process_time(), time.perf_counter()
            client.get("/")
            cpu.append((time.process_time() - c0) * 1000)
            wall.append((time.perf_counter() - w0) * 1000)
            sql.append(sql_wall[0] * 1000)
    listing = ""
    if profile:
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for _ in range(10):
            client.get("/")
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(profile)
        listing = out.getvalue()
    return {
        "fsp": str(fsp), "spus": fsp.spus.count(), "statements": statements[0],
        "cpu_ms": round(statistics.median(cpu), 2), "wall_ms": round(statistics.median(wall), 2),
        "sql_ms": round(statistics.median(sql), 2),
        "floor_ms": round(benchkit.sql_floor_ms(page_sql, repeat=10), 2),
        "load": benchkit.load_average(), "profile": listing,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", choices=sorted(refdata.PRESETS), default="quick")
    parser.add_argument("--reuse", action="store_true", help="use the reference database as it is")
    parser.add_argument("--build-only", action="store_true", help="build the data set and stop")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--profile", type=int, default=0, help="print cProfile's top N (CPU time)")
    parser.add_argument("--label", default="", help="a name for this tree in the output line")
    args = parser.parse_args(argv)
    if args.reuse:
        benchkit.django_setup(url=refdata.database_url())
    else:
        refdata.build(preset=args.preset, progress=sys.stderr.isatty())
        benchkit.analyze(vacuum=True)
    if args.build_only:
        return 0
    result = measure(requests=args.requests, profile=args.profile)
    listing = result.pop("profile")
    if listing:
        print(listing, file=sys.stderr)
    print(json.dumps({"label": args.label, **result}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
