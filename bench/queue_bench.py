"""Benchmark SPEC §7 row 2: the SO queue page (50 rows of 600,000 assessments), the case page and
the FSP's SPU list, against the reference data set (bench/refdata.py) on PostgreSQL.

Each page is requested in-process through Django's test Client (force_login), so the time is the
server's: URL routing, middleware, the selectors' SQL, template rendering; no network, no browser.
After a warm-up, every page is requested `--requests` times per run (median, min, max), `--runs`
times. The number of SQL statements per page is counted with CaptureQueriesContext; the floor is
those same statements re-run bare through a psycopg cursor (no ORM, no template).

    scripts/with-postgres .venv/bin/python bench/queue_bench.py --preset full --write docs/PERFORMANCE.md
    scripts/with-postgres .venv/bin/python bench/queue_bench.py --preset quick
    scripts/with-postgres .venv/bin/python bench/queue_bench.py --reuse   # the reference data already there

Budget: ≤ 150 ms server time for the queue page; a constant number of SQL statements whatever
the data size (tests/platform/test_query_counts.py proves that part).
"""

from __future__ import annotations

import shlex
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchkit  # noqa: E402
import refdata  # noqa: E402

BUDGET_MS = 150.0
KEY = "queue-bench"
MARK_START, MARK_END = benchkit.markers(KEY)
WARMUP = benchkit.PAGE_WARMUP


def _personas() -> dict:
    """Who asks: the engineers of the busiest local DSO and of the TSO, the FSP with most SPUs."""
    from django.db.models import Count, Q

    from accounts.models import Membership, User
    from observability.models import SystemOperator
    from prequal.models import Assessment, Case, Fsp

    tso = SystemOperator.objects.get(tier="tso")
    busy = (
        SystemOperator.objects.filter(tier="local_dso")
        .annotate(open=Count("assessments", filter=Q(assessments__status__in=Assessment.OPEN)))
        .order_by("-open", "pk")
        .first()
    )

    def engineer(so) -> User:
        return Membership.objects.filter(organisation_id=so.organisation_id, role="so_engineer").first().user

    fsp = Fsp.objects.annotate(n=Count("spus")).order_by("-n", "pk").first()
    fsp_user = Membership.objects.filter(organisation_id=fsp.organisation_id, role="fsp_user").first().user
    # A decided case with conditions on its assessments: the fullest case page there is.
    case = (
        Case.objects.filter(status="conditionally_approved", assessments__system_operator=tso)
        .annotate(n=Count("assessments", distinct=True))
        .filter(n__gte=3)
        .order_by("pk")
        .first()
    ) or Case.objects.filter(assessments__system_operator=tso).order_by("pk").first()
    product = Assessment.objects.filter(system_operator=tso, status="pending").values_list(
        "case__product_id", flat=True
    ).first()
    return {
        "nra_analyst": User.objects.filter(memberships__role="nra_analyst").order_by("pk").first(),
        "tso": tso, "busy": busy, "tso_engineer": engineer(tso), "busy_engineer": engineer(busy),
        "fsp": fsp, "fsp_user": fsp_user, "case": case, "product": product,
        "tso_open": Assessment.objects.filter(system_operator=tso, status__in=Assessment.OPEN).count(),
        "busy_open": Assessment.objects.filter(system_operator=busy, status__in=Assessment.OPEN).count(),
    }


def pages(p: dict) -> list[dict]:
    """The pages measured: (key, label, user, URL, is the queue budget)."""
    from django.urls import reverse

    queue = reverse("prequal:queue")
    out = [
        {"key": "queue-local", "user": p["busy_engineer"], "url": queue, "queue": True,
         "label": f"SO queue, busy local DSO ({p['busy']}, {p['busy_open']:,} open), default view"},
        {"key": "queue-tso", "user": p["tso_engineer"], "url": queue, "queue": True,
         "label": f"SO queue, TSO ({p['tso_open']:,} open), default view"},
        {"key": "queue-tso-filtered", "user": p["tso_engineer"],
         "url": f"{queue}?status=pending&product={p['product'] or ''}", "queue": True,
         "label": "SO queue, TSO, filtered: pending, one product"},
        {"key": "queue-tso-connecting", "user": p["tso_engineer"],
         "url": f"{queue}?connecting_so={p['busy'].pk}", "queue": True,
         "label": "SO queue, TSO, filtered: one connecting SO"},
        {"key": "queue-tso-page", "user": p["tso_engineer"], "url": f"{queue}?page=20", "queue": True,
         "label": "SO queue, TSO, default view, page 20"},
    ]
    if p["case"] is not None:
        out.append({"key": "case", "user": p["tso_engineer"], "queue": False,
                    "url": reverse("prequal:case-detail", args=[p["case"].pk]),
                    "label": f"case page, case #{p['case'].pk} "
                             f"({p['case'].assessments.count()} assessments), TSO engineer"})
    out.append({"key": "spu-list", "user": p["fsp_user"], "url": reverse("prequal:spu-list"), "queue": False,
                "label": f"FSP SPU list ({p['fsp']}, {p['fsp'].spus.count():,} SPUs)"})
    # SPEC §4 (issue 13): an SO reads the units of the cases it assesses, within the queue's budget.
    out.append({"key": "spu-list-tso", "user": p["tso_engineer"], "url": reverse("prequal:spu-list"),
                "queue": True, "label": "SPU list, TSO engineer (the units of every case the TSO assesses)"})
    out.append({"key": "point-list-tso", "user": p["tso_engineer"],
                "url": reverse("observability:connection-point-list"), "queue": True,
                "label": "connection-point list, TSO engineer (the points of those units)"})
    out.append({"key": "spu-list-local", "user": p["busy_engineer"], "url": reverse("prequal:spu-list"),
                "queue": True, "label": f"SPU list, busy local DSO engineer ({p['busy']})"})
    # Issue 15: the home page's dashboards, within the queue's budget (dashboards/selectors_*.py).
    home = reverse("home")
    out += [
        {"key": "dashboard-tso", "user": p["tso_engineer"], "url": home, "queue": True,
         "label": "home page dashboard, TSO engineer (figures over every open assessment and the month)"},
        {"key": "dashboard-local", "user": p["busy_engineer"], "url": home, "queue": True,
         "label": f"home page dashboard, busy local DSO engineer ({p['busy']})"},
        {"key": "dashboard-fsp", "user": p["fsp_user"], "url": home, "queue": True,
         "label": f"home page dashboard, FSP ({p['fsp']}): figures and the capped resource x product matrix"},
    ]
    if p["nra_analyst"] is not None:
        out.append({"key": "dashboard-nra", "user": p["nra_analyst"], "url": home, "queue": True,
                    "label": "home page dashboard, NRA analyst (this year and last, every operator)"})
    return out


def measure(*, runs: int, requests: int) -> dict:
    p = _personas()
    results = [benchkit.page_measure(page, runs=runs, requests=requests) for page in pages(p)]
    return {"pages": results, "personas": {k: str(v) for k, v in p.items()}}


def rows(result: dict) -> list[dict]:
    out = []
    for r in result["pages"]:
        median = statistics.median(r["runs"])
        out.append(benchkit.budget_row(
            what=r["label"], budget="≤ 150 ms" if r["queue"] else "— (constant queries)", unit="ms",
            runs=r["runs"], within=median <= BUDGET_MS if r["queue"] else True,
            floor=r["floor_ms"], floor_label=f"the page's {r['queries']} SQL statements run bare",
        ) | {"queries": r["queries"], "key": r["key"]})
    return out


def section(*, result: dict, command: str, machine: str, counts: dict, requests: int) -> str:
    lines = [
        MARK_START,
        "## SO queue page, case page, SPU list (SPEC §7 row 2)",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {machine}.",
        "",
        "Data: the reference data set (`bench/refdata.py`): "
        + ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in counts.items()) + ".",
        "",
        f"Each page requested in-process through Django's test Client as the user shown (after {WARMUP} "
        f"warm-up requests), {requests} times per run; the figure is the median of the runs' medians, "
        "with the runs' min–max. Floor: the page's own SQL statements (captured) re-run bare through a "
        "psycopg cursor.",
        "",
        "| page | server time median (min–max of runs) | SQL statements | floor (bare SQL) | ratio "
        "| budget |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows(result):
        verdict = ("within" if row["within"] else "MISS") if row["budget"].startswith("≤") else ""
        lines.append(
            f"| {row['what']} | **{row['median']:.1f} ms** ({row['min']:.1f}–{row['max']:.1f}) | "
            f"{row['queries']} | {row['floor']:.1f} ms | {row['ratio']:.1f}× | {row['budget']} {verdict} |"
        )
    # The plans worth reading: the TSO's default queue, and every page whose SQL alone takes a
    # third of the budget or more.
    shown = [r for r in result["pages"] if r["explain"] and (r["key"] == "queue-tso" or r["floor_ms"] >= 50)]
    for r in shown:
        lines += [
            "",
            f"<details><summary>{r['label']}: the slowest statement and its <code>EXPLAIN (ANALYZE, BUFFERS)"
            "</code></summary>",
            "",
            "```sql",
            r["slowest_sql"][:3000],
            "```",
            "",
            "```",
            r["explain"],
            "```",
            "",
            "</details>",
        ]
    lines += [MARK_END, ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = benchkit.parser(__doc__, presets=refdata.PRESETS)
    parser.set_defaults(runs=3)
    parser.add_argument("--reuse", action="store_true", help="use the reference database as it is")
    parser.add_argument("--points", type=int, help="override the preset's connection points")
    parser.add_argument("--cases", type=int, help="override the preset's cases (three assessments each)")
    parser.add_argument("--requests", type=int, default=20, help="requests per page per run (≥ 20)")
    args = parser.parse_args(argv)
    command = "scripts/with-postgres .venv/bin/python bench/queue_bench.py " + shlex.join(
        sys.argv[1:] if argv is None else argv)
    if args.reuse:
        benchkit.django_setup(url=refdata.database_url())
    else:
        refdata.build(preset=args.preset, progress=sys.stderr.isatty(), points=args.points, cases=args.cases)
    from observability.models import ConnectionPoint
    from prequal.models import Assessment, Case

    counts = {"connection points": ConnectionPoint.objects.count(), "cases": Case.objects.count(),
              "assessments": Assessment.objects.count(),
              "open assessments": Assessment.objects.filter(status__in=Assessment.OPEN).count()}
    result = measure(runs=args.runs, requests=args.requests)
    machine = benchkit.machine_line()
    for row in rows(result):
        print(f"{row['what']}: {row['median']:.1f} ms ({row['min']:.1f}–{row['max']:.1f}), "
              f"{row['queries']} queries, floor {row['floor']:.1f} ms", file=sys.stderr)
    text = section(result=result, command=command, machine=machine, counts=counts, requests=args.requests)
    benchkit.finish(args, bench="queue", command=command, section=text, key=KEY, rows=lambda: rows(result),
                    machine=machine, echo=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
