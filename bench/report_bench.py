"""Benchmark SPEC §7 row 5: the annual report for 600,000 assessments as CSV, XLSX and PDF.

Synthetic "Sweden, fully electrified" year: 1 TSO, 5 regional and 160 local DSOs; 200,000
cases (50,000 SPUs applying for four products each), each assessed by its local DSO, the
regional DSO above it and the TSO: 600,000 assessments decided in 2025 (70 % approved, 8 %
by silence, 15 % with a condition, 7 % refused with a justification), 20,000 temporary limits
and 3,000 late refusals (`bench/refdata.py`, shape `report-year`). Generated in bulk into the
database DATABASE_URL names (a throwaway SQLite file when unset), then each format is made
in a fresh process by the same code the download views call (`report_for_user` and the
renderers), as an NRA analyst, so that process's peak RSS is the format's memory.

    scripts/with-postgres .venv/bin/python bench/report_bench.py                # budget sizes
    scripts/with-postgres .venv/bin/python bench/report_bench.py --write docs/PERFORMANCE.md
    .venv/bin/python bench/report_bench.py --preset quick                       # SQLite, seconds

Budgets: CSV ≤ 10 s, XLSX ≤ 60 s, PDF ≤ 30 s, memory ≤ 1 GB. The floor is the bare SQL
aggregate the report cannot do without: assessments counted per operator and outcome.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchkit  # noqa: E402
import refdata  # noqa: E402
from shapes.report_year import YEAR  # noqa: E402

PRESETS = refdata.SHAPES["report-year"]
BUDGETS = {"csv": 10.0, "xlsx": 60.0, "pdf": 30.0}
MEMORY_BUDGET_MB = 1024
KEY = "report-bench"
MARK_START, MARK_END = benchkit.markers(KEY)
ANALYST = "nra-analyst"  # in the reference data set and in the generated year


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_now_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


# --- one measurement per process ----------------------------------------------------------


def _floor(year: int) -> int:
    """The bare aggregate the report cannot do without: assessments per operator and outcome."""
    from django.db import connection

    from reports.selectors import report_year_bounds

    start, end = report_year_bounds(year=year)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT system_operator_id, status, COUNT(*) FROM prequal_assessment "
            "WHERE decided_at >= %s AND decided_at < %s GROUP BY system_operator_id, status",
            [start, end],
        )
        return len(cursor.fetchall())


def _made(fmt: str, year: int) -> int:
    """Make one format as the analyst would download it (the code the download views call); its size."""
    from accounts.models import User
    from reports import pdf, pdf_charts, render
    from reports.annual import report_for_user

    report = report_for_user(user=User.objects.get(username=ANALYST), year=year)
    if fmt == "csv":
        size = 0
        with open(os.devnull, "w", encoding="utf-8") as sink:
            for line in render.report_csv_lines(report):
                size += len(line)
                sink.write(line)
        return size
    path = Path(tempfile.mkstemp(suffix=f".{fmt}")[1])
    try:
        if fmt == "xlsx":
            render.report_xlsx_write(report, path)
        else:
            pdf.report_pdf_write(report, path, charts=pdf_charts.report_charts_png(report))
        return path.stat().st_size
    finally:
        path.unlink()


def measure(fmt: str) -> dict:
    """One format (or the floor) in this process: time, CPU, size and peak memory."""
    year = int(os.environ.get("REPORT_BENCH_YEAR", YEAR))
    baseline = _rss_now_mb()
    cpu_started, started = time.process_time(), time.perf_counter()
    size = _floor(year) if fmt == "floor" else _made(fmt, year)
    return {
        "format": fmt,
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu_started,
        "bytes": size,
        "peak_rss_mb": _peak_rss_mb(),
        "baseline_rss_mb": baseline,
    }


def _run_child(fmt: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--measure", fmt],
        check=True,
        capture_output=True,
        text=True,
        env=os.environ,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure_all(runs: int) -> dict:
    """Each format (and the floor) `runs` times, each in a fresh process: the median run, every run kept."""
    results = {}
    for fmt in ("floor", "csv", "xlsx", "pdf"):
        made = [_run_child(fmt) for _ in range(max(1, runs))]
        r = results[fmt] = benchkit.median_of(made, "seconds", also=("peak_rss_mb",))
        r["runs"], r["peak_runs"] = r.pop("seconds_runs"), r.pop("peak_rss_mb_runs")
        r["peak_rss_mb"] = max(r["peak_runs"])
        print(
            f"{fmt:6} {r['seconds']:8.3f} s  peak {r['peak_rss_mb']:6.0f} MB  {r['bytes']:,} bytes",
            file=sys.stderr,
        )
    return results


# --- the data -------------------------------------------------------------------------------------


def reference_counts() -> tuple[int, dict]:
    """The reference data set as bench/refdata.py left it: the calendar year with most decisions."""
    from django.db.models import Count, Q
    from django.db.models.functions import ExtractYear

    from observability.models import SystemOperator
    from prequal.models import Assessment, Case

    by_year = (
        Assessment.objects.filter(decided_at__isnull=False)
        .annotate(y=ExtractYear("decided_at"))
        .values("y")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    year = by_year[0]["y"] if by_year else YEAR
    decided = Assessment.objects.filter(decided_at__year=year)
    return year, {
        "operators": SystemOperator.objects.count(),
        "cases": Case.objects.count(),
        "assessments": decided.count(),
        "conditional_or_refused": decided.filter(
            Q(status="conditionally_approved") | Q(status="not_approved")
        ).count(),
    }


def prepare(args, tmp: str) -> tuple[int, dict, float]:
    """The database to report on: (year, counts, seconds spent generating it)."""
    if args.reference:
        benchkit.django_setup(url=refdata.database_url())
        return (*reference_counts(), 0.0)
    benchkit.database_recreate("report_bench", sqlite_dir=Path(tmp))
    benchkit.django_setup(migrate=True)
    started = time.perf_counter()
    counts = refdata.make(
        "report-year", **refdata.preset_sizes(args.preset, shape="report-year", cases=args.cases)
    )
    generate_s = time.perf_counter() - started
    print(f"generated {counts} in {generate_s:.1f} s", file=sys.stderr)
    return YEAR, counts, generate_s


# --- report -------------------------------------------------------------------------------


def _data_line(*, counts: dict, year: int, reference: bool, generate_s: float) -> str:
    listed = (f"({counts['conditional_or_refused']:,} conditional or refused, each listed with its "
              "conditions or justification)")
    if reference:
        data = (f"Data: the reference data set (`bench/refdata.py`): {counts['operators']} operators, "
                f"{counts['cases']:,} cases, **{counts['assessments']:,} assessments decided in {year}** "
                f"(the calendar year with most decisions in the reference year) {listed}.")
    else:
        data = (f"Data: {counts['operators']} operators, {counts['cases']:,} cases, "
                f"**{counts['assessments']:,} assessments** decided in {year} {listed[:-1]}), "
                f"{counts['limits']:,} temporary limits, {counts['refusals']:,} late refusals; "
                f"bulk-generated in {generate_s:.0f} s.")
    return (data + " Each format is made in a fresh process by the code the download views call (as an NRA "
            "analyst: every operator); memory is that process's peak RSS (`resource.getrusage`), Django and "
            "the libraries included.")


def _format_rows(results: dict) -> list[str]:
    floor = results["floor"]["seconds"]
    lines = []
    for fmt in ("csv", "xlsx", "pdf"):
        r = results[fmt]
        within = r["seconds"] <= BUDGETS[fmt] and r["peak_rss_mb"] <= MEMORY_BUDGET_MB
        spread = (f" (median of {len(r['runs'])}, {min(r['runs']):.2f}–{max(r['runs']):.2f})"
                  if len(r.get("runs", [])) > 1 else "")
        lines.append(
            f"| {fmt.upper()} | **{r['seconds']:.2f} s**{spread} | {r['cpu_seconds']:.2f} s | "
            f"{r['peak_rss_mb']:.0f} MB (at start {r['baseline_rss_mb']:.0f} MB) | "
            f"{r['bytes'] / 2**20:.1f} MB | ≤ {BUDGETS[fmt]:.0f} s, ≤ 1 GB "
            f"({'within' if within else 'OVER'}) | "
            f"{r['seconds'] / floor:.0f}× |"
        )
    lines.append(f"| floor: bare `SELECT system_operator_id, status, COUNT(*) … GROUP BY` over the year | "
                 f"{floor:.3f} s | — | {results['floor']['peak_rss_mb']:.0f} MB | — | — | 1× |")
    return lines


def section(*, command: str, vendor: str, counts: dict, results: dict, generate_s: float, year: int = YEAR,
            reference: bool = False) -> str:
    lines = [
        MARK_START,
        "## Annual report (SPEC §7 row 5): CSV, XLSX, PDF",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {benchkit.machine_line()}. Database: {vendor}.",
        "",
        _data_line(counts=counts, year=year, reference=reference, generate_s=generate_s),
        "",
        "| what | time | CPU (this process) | peak memory | output | budget | ratio to the floor |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *_format_rows(results),
        "",
        "What the time goes on: on PostgreSQL one scan of the year's decisions gives every "
        "per-operator count, the histogram and the median and 95th percentile (`percentile_cont`; a "
        "sorted single pass on SQLite); limits and refusals are two small grouped queries. Most of each "
        "format's time is the list of conditional and refused decisions: two server-side cursors in the "
        "same order (decisions, and their conditions), merged row by row, inside one read transaction "
        "with in-memory sorts; then the writer (csv, openpyxl through lxml, a reportlab canvas with the "
        "list written as raw text operators). Memory stays flat: nothing holds the list; the PDF's pages "
        "are the largest part of its peak. Times are wall-clock and count waiting for a CPU (the CPU column "
        "is the report process's own time; the database server's is not in it): " + benchkit.busy_note(),
        MARK_END,
    ]
    return "\n".join(lines) + "\n"


def rows_for(results: dict, *, counts: dict, year: int, reference: bool) -> list[dict]:
    """The budget rows for the summary (bench/benchkit.py contract)."""
    floor = results["floor"]["seconds"]
    source = "reference data" if reference else "own generated year"
    out = []
    for fmt in ("csv", "xlsx", "pdf"):
        r = results[fmt]
        out.append(
            benchkit.budget_row(
                what=f"annual report {year}, {fmt.upper()}: {counts['assessments']:,} assessments ({source})",
                budget=f"≤ {BUDGETS[fmt]:.0f} s",
                unit="s",
                runs=r["runs"],
                within=r["seconds"] <= BUDGETS[fmt],
                floor=floor,
                floor_label="bare GROUP BY over the year",
            )
        )
    out.append(
        benchkit.budget_row(
            what="annual report: peak memory of the largest format",
            budget="≤ 1 GB",
            unit="MB",
            runs=[
                max(results[f]["peak_runs"][i] for f in ("csv", "xlsx", "pdf"))
                for i in range(len(results["csv"]["peak_runs"]))
            ],
            within=max(results[f]["peak_rss_mb"] for f in ("csv", "xlsx", "pdf")) <= MEMORY_BUDGET_MB,
        )
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = benchkit.parser(__doc__, presets=PRESETS)
    parser.add_argument("--cases", type=int, help="cases (three assessments each)")
    parser.add_argument(
        "--reference",
        action="store_true",
        help="report on the reference database (bench/refdata.py) instead of generating",
    )
    parser.add_argument("--measure", choices=("csv", "xlsx", "pdf", "floor"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        benchkit.django_setup()
        print(json.dumps(measure(args.measure)))
        return 0
    with tempfile.TemporaryDirectory(prefix="report-bench-") as tmp:
        year, counts, generate_s = prepare(args, tmp)
        from django.db import connection

        vendor = connection.vendor
        connection.close()
        os.environ["REPORT_BENCH_YEAR"] = str(year)
        results = measure_all(args.runs)
    command = (
        "scripts/with-postgres .venv/bin/python bench/report_bench.py"
        + (
            " --reference"
            if args.reference
            else (f" --preset {args.preset}" if args.preset != "full" else "")
        )
        + (f" --runs {args.runs}" if args.runs != 1 else "")
    )
    command += " --write docs/PERFORMANCE.md" if args.write else ""
    text = section(
        command=command,
        vendor=vendor,
        counts=counts,
        results=results,
        generate_s=generate_s,
        year=year,
        reference=args.reference,
    )
    benchkit.finish(
        args,
        bench="report",
        command=command,
        section=text,
        key=KEY,
        rows=lambda: rows_for(results, counts=counts, year=year, reference=args.reference),
    )
    over = [f for f in ("csv", "xlsx", "pdf") if results[f]["seconds"] > BUDGETS[f]]
    over += [f"{f} memory" for f in ("csv", "xlsx", "pdf") if results[f]["peak_rss_mb"] > MEMORY_BUDGET_MB]
    return 1 if over and args.preset == "full" else 0


if __name__ == "__main__":
    sys.exit(main())
