"""The NRA dashboard's selector before and after the decisions' rollup, interleaved on one data set.

`dashboards.selectors_nra.nra_dashboard` is called as the analyst's home page calls it, two ways
in turn (A B, then B A, …) so the host's load falls on both alike:
- **before**: this year's and last year's decisions counted directly, one grouped count per year
  over the assessments (`reports.builder.decision_counts(reports.selectors.report_decisions(…))`,
  the code before the rollup);
- **after**: both years read from the rollup (`reports.selectors.report_decision_counts`).
Both must give the same dashboard (checked). Per call: wall time, this process's CPU time
(time.process_time) and the PostgreSQL backend's CPU time (/proc/<pid>/stat of the connection's
server process), and the SQL statements.

    scripts/with-postgres .venv/bin/python bench/nra_rollup_bench.py --preset quick
    scripts/with-postgres .venv/bin/python bench/nra_rollup_bench.py --reuse   # reference data there
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from contextlib import nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchkit  # noqa: E402
import refdata  # noqa: E402

TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


def _backend_cpu_ms(pid: int) -> float:
    """utime + stime of the PostgreSQL backend serving this connection (SQLite: 0)."""
    if not pid:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * TICK_MS


def _direct(*, operators, years):
    from reports.builder import decision_counts
    from reports.selectors import report_decisions

    return {year: decision_counts(report_decisions(operators=operators, year=year)) for year in years}


def _call(user, *, before: bool, pid: int):
    """(wall ms, CPU ms here, CPU ms in the database, statements, dashboard)."""
    from unittest import mock

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dashboards import selectors_nra

    patch = mock.patch.object(selectors_nra, "report_decision_counts", _direct) if before else nullcontext()
    with patch, CaptureQueriesContext(connection) as captured:
        db0, cpu0, wall0 = _backend_cpu_ms(pid), time.process_time(), time.perf_counter()
        dashboard = selectors_nra.nra_dashboard(user=user)
        wall, cpu = (time.perf_counter() - wall0) * 1000, (time.process_time() - cpu0) * 1000
        db = _backend_cpu_ms(pid) - db0
    return wall, cpu, db, len(captured.captured_queries), dashboard


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", choices=list(refdata.PRESETS), default="quick")
    parser.add_argument("--reuse", action="store_true", help="use the reference database as it is")
    parser.add_argument("--cases", type=int, help="override the preset's cases")
    parser.add_argument("--runs", type=int, default=5, help="interleaved rounds (each: before and after)")
    parser.add_argument("--requests", type=int, default=5, help="calls per way per round")
    args = parser.parse_args(argv)
    if args.reuse:
        benchkit.django_setup(url=refdata.database_url())
    else:
        refdata.build(preset=args.preset, progress=sys.stderr.isatty(), cases=args.cases)

    from django.db import connection

    from accounts.models import User
    from prequal.models import Assessment, DecisionRollup

    user = User.objects.filter(memberships__role="nra_analyst").order_by("pk").first()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()" if connection.vendor == "postgresql" else "SELECT 0")
        pid = cursor.fetchone()[0]
    times: dict[bool, list[tuple]] = {True: [], False: []}
    seen: dict[bool, object] = {}
    for way in (True, False):  # warm-up, and the two dashboards compared
        seen[way] = _call(user, before=way, pid=pid)[4]
    if seen[True] != seen[False]:
        raise SystemExit("the rollup's dashboard differs from the direct count's")
    for run in range(args.runs):
        for way in ((True, False) if run % 2 == 0 else (False, True)):
            times[way] += [_call(user, before=way, pid=pid)[:4] for _ in range(args.requests)]
    decided = Assessment.objects.filter(status__in=Assessment.DECIDED).count()
    print(f"{decided:,} decided assessments, {DecisionRollup.objects.count():,} rollup rows; "
          f"{args.runs} interleaved rounds × {args.requests} calls; load average {benchkit.load_average()}")
    print("| NRA dashboard selector | wall median (min–max) | CPU here | CPU in PostgreSQL | statements |")
    print("| --- | --- | --- | --- | --- |")
    labels = {True: "before: two grouped counts over the assessments", False: "after: the rollup"}
    for way, label in labels.items():
        rows = times[way]
        wall = [r[0] for r in rows]
        cpu, db = statistics.median(r[1] for r in rows), statistics.median(r[2] for r in rows)
        print(f"| {label} | {statistics.median(wall):.1f} ms ({min(wall):.1f}–{max(wall):.1f}) | "
              f"{cpu:.1f} ms | {db:.1f} ms | {rows[0][3]} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
