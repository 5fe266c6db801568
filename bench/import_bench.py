"""Benchmark SPEC §7's last row: bulk import of 1,000,000 connection points (≤ 5 min, ≤ 1 GB).

Writes a CSV of N rows (one SPU at a new connection point each; half in WGS84, half in
SWEREF99 TM, two connecting operators), then runs `manage.py import_spus` on it in a child
process against a fresh database, as an operator would, and reports wall time, the child's CPU
time and its peak memory. The floor is the bare load of the same rows: the two tables written
by INSERT (SQLite) or COPY (PostgreSQL) from tuples prepared in memory (bench/shapes/rows.py's
writer), the new points' ids read back per batch as the import does, no parsing or checking.

    .venv/bin/python bench/import_bench.py                             # SQLite, 1,000,000 rows
    .venv/bin/python bench/import_bench.py --preset quick              # 20,000 rows
    scripts/with-postgres .venv/bin/python bench/import_bench.py       # PostgreSQL (DATABASE_URL)
    .venv/bin/python bench/import_bench.py --write docs/PERFORMANCE.md
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchkit  # noqa: E402
from shapes.rows import gsrn_make  # noqa: E402

ROOT = benchkit.ROOT
PRESETS = {"full": 1_000_000, "quick": 20_000}
HEADER = (
    "spu_code,spu_name,technology,max_up_kw,max_down_kw,gsrn,connecting_so_eic,"
    "bidding_zone,voltage_level,crs,x,y\n"
)


def _child_env(url: str) -> dict[str, str]:
    return dict(
        os.environ,
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="bench",
        DJANGO_SECURE="false",
        PYTHONPATH=str(ROOT),
    )


def setup() -> None:
    """In the child: migrate, make the test personas; print the two local DSOs' EIC codes."""
    benchkit.django_setup(settings="config.settings", migrate=True)
    from tests.personas import make_cast

    cast = make_cast()
    print(cast.local.eic_code, cast.other_local.eic_code)


def _ids_by_gsrn(gsrns: list[str]) -> dict[str, int]:
    """The new points' ids, in one query per batch (as the import reads them back)."""
    from django.db import connection

    from observability.models import ConnectionPoint

    if connection.vendor != "postgresql":
        return dict(ConnectionPoint.objects.filter(gsrn__in=gsrns).values_list("gsrn", "id"))
    # One array parameter: psycopg parses a query of 2,000 placeholders slowly.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT gsrn, id FROM {ConnectionPoint._meta.db_table} WHERE gsrn = ANY(%s)", [gsrns])
        return dict(cursor.fetchall())


def floor(n: int) -> float:
    """In the child: the bare load of n points and their SPUs (rolled back); its seconds.

    Per batch of 2,000, as the import writes them: the points, their ids read back, the SPUs.
    """
    benchkit.django_setup(settings="config.settings")
    from decimal import Decimal

    from django.db import transaction
    from django.utils import timezone
    from shapes.rows import POINT_COLUMNS, SPU_COLUMNS, TableWriter

    from observability.models import ConnectionPoint, SystemOperator
    from prequal.models import Fsp, Spu

    so = SystemOperator.objects.get(organisation__name="Local DSO").pk
    fsp = Fsp.objects.get(organisation__name="FSP A").pk
    now = timezone.now()
    points = [(f"73599966{i:010d}", so, 59.3, 18.0, "lv", "SE3", now, now) for i in range(n)]
    spu = (Decimal("500"), Decimal("500"), True, now, now)
    started = time.perf_counter()
    with transaction.atomic():
        for k in range(0, n, 2000):
            batch = points[k : k + 2000]
            TableWriter(ConnectionPoint, POINT_COLUMNS[1:]).write(iter(batch))
            ids = _ids_by_gsrn([p[0] for p in batch])
            units = ((fsp, ids[p[0]], f"F-{k + j}", "Floor", "battery", *spu) for j, p in enumerate(batch))
            TableWriter(Spu, SPU_COLUMNS[1:]).write(units)
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)  # leave the tables empty for the import
    return elapsed


def write_csv(path: Path, rows: int, eics: list[str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        for i in range(rows):
            gsrn = gsrn_make(i, prefix="73599977")
            eic = eics[i % 2]
            if i % 2:
                out.write(
                    f"SPU-{i:07d},Heat pump {i},heat_pump,7.5,3,{gsrn},{eic},SE3,lv,4326,"
                    f"{17 + (i % 1000) / 1000},{59 + (i % 997) / 1000}\n"
                )
            else:
                out.write(
                    f"SPU-{i:07d},Battery {i},battery,500,500,{gsrn},{eic},SE3,lv,3006,"
                    f"{600000 + i % 10000},{6500000 + i % 9000}\n"
                )


# `manage.py import_spus FILE ...`, then the process's own peak memory (kB) on stderr.
IMPORT = """
import resource, sys
from django.core.management import execute_from_command_line
execute_from_command_line(
    ["manage.py", "import_spus", sys.argv[1], "--fsp", "FSP A", "--as", "fsp_a_user", "-v0"]
)
print("maxrss_kb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""


def _child(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, __file__, *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )


def run(rows: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        # A fresh database, so the import starts from empty tables.
        url = benchkit.database_recreate(f"gridprequal_import_bench_{os.getpid()}", sqlite_dir=tmp)
        env = _child_env(url)
        eics = _child(env, "--setup").stdout.split()[-2:]
        path = tmp / "spus.csv"
        write_csv(path, rows, eics)
        size = path.stat().st_size
        floor_s = float(_child(env, "--floor", str(rows)).stdout.strip().splitlines()[-1])
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-c", IMPORT, str(path)], cwd=ROOT, env=env, capture_output=True, text=True
        )
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if result.returncode != 0:
            raise SystemExit(f"import failed:\n{result.stderr[-3000:]}")
        benchkit.database_drop(url)
        return {
            "rows": rows,
            "bytes": size,
            "vendor": "PostgreSQL" if benchkit.is_postgres(url) else "SQLite",
            "summary": result.stdout.strip(),
            "wall": wall,
            "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "peak_mb": int(result.stderr.strip().splitlines()[-1].split()[-1]) / 1024,
            "floor": floor_s,
        }


def run_many(rows: int, runs: int) -> dict:
    """`run` repeated; the run with the median wall time, plus every run's figures."""
    results = sorted((run(rows) for _ in range(max(1, runs))), key=lambda r: r["wall"])
    median = benchkit.median_of(results, "wall", also=("floor",))
    median["peak_runs"] = [r["peak_mb"] for r in results]
    return median


def rows_for(r: dict) -> list[dict]:
    """The budget rows for the summary (bench/benchkit.py contract)."""
    label = f"bulk import of {r['rows']:,} connection points ({r['vendor']})"
    return [
        benchkit.budget_row(
            what=label,
            budget="≤ 5 min",
            unit="s",
            runs=r["wall_runs"],
            within=statistics.median(r["wall_runs"]) <= 300,
            floor=r["floor"],
            floor_label="bare INSERT/COPY of the same rows",
        ),
        benchkit.budget_row(
            what=f"{label}: peak memory",
            budget="≤ 1 GB",
            unit="MB",
            runs=r["peak_runs"],
            within=max(r["peak_runs"]) <= 1024,
        ),
    ]


def markers(vendor: str) -> tuple[str, str]:
    return benchkit.markers(f"import-bench-{vendor.lower()}")


def section(r: dict, command: str) -> str:
    ratio = r["wall"] / r["floor"] if r["floor"] else float("nan")
    wall_ok = "within" if r["wall"] <= 300 else "over"
    mem_ok = "within" if r["peak_mb"] <= 1024 else "over"
    start, end = markers(r["vendor"])
    return "\n".join(
        [
            start,
            f"## Bulk import of connection points (SPEC §7 last row): {r['vendor']}",
            "",
            f"Command: `{command}`",
            "",
            f"Machine: {os.cpu_count()} CPUs, load average at the end {benchkit.load_average()}; Python "
            f"{platform.python_version()}; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
            "",
            f"Data: a CSV of {r['rows']:,} rows ({r['bytes'] / 1e6:.0f} MB), one SPU at a new "
            "connection point per row, half in WGS84 and half in SWEREF99 TM (EPSG:3006), two "
            "connecting operators. Imported by `manage.py import_spus` in a child process: every row "
            "checked (model validators through `full_clean`, EIC/GSRN check characters, coordinates "
            "transformed), all in one transaction.",
            "",
            "| what | measured | budget |",
            "| --- | --- | --- |",
            f"| import, {r['rows']:,} rows | wall **{r['wall']:.1f} s**; CPU of the import process "
            f"{r['cpu']:.1f} s"
            + (
                f"; median of {len(r['wall_runs'])} runs, "
                f"min–max {min(r['wall_runs']):.1f}–{max(r['wall_runs']):.1f} s"
                if len(r.get("wall_runs", [])) > 1
                else ""
            )
            + f" | ≤ 300 s ({wall_ok}) |",
            f"| peak memory (max RSS of the import process) | **{r['peak_mb']:.0f} MB** "
            f"| ≤ 1 GB ({mem_ok}) |",
            f"| floor: bare load of the same rows (INSERT/COPY, tuples prepared in memory) | "
            f"wall {r['floor']:.1f} s | — |",
            f"| **ratio to the floor** | **{ratio:.1f}×** | — |",
            "",
            f"Result line: “{r['summary']}”. Wall time includes waiting for a CPU when other jobs "
            "share the machine (see the load average). "
            + (
                "The PostgreSQL server's own CPU is not in the CPU column."
                if r["vendor"] == "PostgreSQL"
                else "SQLite works inside the import process: its CPU is included."
            ),
            end,
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = benchkit.parser(__doc__, presets=PRESETS)
    parser.add_argument("--rows", type=int, help="rows in the file (overrides the preset)")
    parser.add_argument("--setup", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--floor", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.setup:
        setup()
        return 0
    if args.floor is not None:
        print(floor(args.floor))
        return 0
    rows = args.rows or PRESETS[args.preset]
    result = run_many(rows, args.runs)
    command = ".venv/bin/python bench/import_bench.py" + (
        f" --rows {args.rows}" if args.rows else (" --preset quick" if args.preset == "quick" else "")
    )
    if args.runs != 1:
        command += f" --runs {args.runs}"
    if result["vendor"] == "PostgreSQL":
        command = "scripts/with-postgres " + command
    benchkit.finish(
        args,
        bench=f"import-{result['vendor'].lower()}",
        command=command,
        section=section(result, command),
        key=f"import-bench-{result['vendor'].lower()}",
        rows=lambda: rows_for(result),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
