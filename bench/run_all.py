"""Run every benchmark of SPEC §7 and write docs/PERFORMANCE.md: one command.

Generates the reference data set (bench/refdata.py, `--preset`), then runs each benchmark
`--runs` times with `--json` (the result contract in bench/benchkit.py) and `--write` (its own
detailed section), and writes the summary table at the top of the document: per budget the
median with min–max, the budget, within or miss, the floor and the ratio, the machine and the
exact command. A benchmark that fails is listed as "not run" with its reason; the others go on.
Only the full preset writes docs/PERFORMANCE.md by default (`--write` to choose).

    scripts/with-postgres .venv/bin/python bench/run_all.py                       # full, 30–45 min
    scripts/with-postgres .venv/bin/python bench/run_all.py --preset quick --runs 1   # minutes
    make bench                                                                    # the full run

Needs PostgreSQL (DATABASE_URL, as scripts/with-postgres sets it): the queue pages, the report and
the activation check run against it.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchkit import HEADER, ROOT, is_postgres, machine_line, results_read, section_write  # noqa: E402

BENCHES = (
    "resolver", "queue", "activation", "sweep", "report", "import", "area_upload", "register_ingest",
    "forecast",
    "activation_headroom",
)
SUMMARY_START = "<!-- summary:start -->"
SUMMARY_END = "<!-- summary:end -->"

# Per preset: each bench's own size arguments (the reference data set's preset is --preset itself).
SIZES = {
    "full": {
        "resolver": ["--preset", "full"], "activation": ["--preset", "national"],
        "sweep": ["--preset", "full"], "import": ["--preset", "full"], "area_upload": ["--preset", "full"],
        "register_ingest": ["--preset", "full"],
        "forecast": ["--preset", "full"],
        "activation_headroom": ["--preset", "national"],
    },
    "medium": {
        "resolver": ["--points", "100000", "--polygons", "2000", "--vertices", "1000"],
        "activation": ["--preset", "quick", "--seconds", "20"], "sweep": ["--spus", "1250"],
        "import": ["--rows", "100000"], "area_upload": ["--preset", "full", "--points", "100000"],
        "register_ingest": ["--preset", "quick"],
        "forecast": ["--preset", "quick"],
        "activation_headroom": ["--preset", "quick", "--seconds", "20", "--register-records", "1000000"],
    },
    "quick": {
        "resolver": ["--preset", "quick"], "activation": ["--preset", "quick", "--seconds", "10"],
        "sweep": ["--preset", "quick"], "import": ["--preset", "quick"], "area_upload": ["--preset", "quick"],
        "register_ingest": ["--preset", "quick"],
        "forecast": ["--preset", "quick"],
        "activation_headroom": ["--preset", "quick", "--seconds", "10", "--register-records", "1000000"],
    },
    "tiny": {
        "resolver": ["--points", "2000", "--polygons", "20", "--vertices", "40"],
        "activation": ["--preset", "tiny", "--seconds", "3"], "sweep": ["--spus", "20"],
        "import": ["--rows", "300"],
        "area_upload": ["--preset", "quick", "--points", "300", "--polygons", "10", "--vertices", "40",
                        "--hostile", "6000000"],
        "register_ingest": ["--preset", "tiny"],
        "forecast": ["--preset", "tiny"],
        "activation_headroom": ["--preset", "tiny", "--seconds", "3", "--register-records", "20000"],
    },
}
# Where a bench's data comes from, for the summary's notes.
SOURCES = {
    "resolver": "own data, in memory: the reference set's polygons and points (refdata shape `areas`)",
    "queue": "the reference database",
    "activation": "own data set, refdata shape `activation` (at full: 1,000,000 SPUs, 200,000 cases, "
    "100,000 limits)",
    "sweep": "own backlog of due assessments, refdata shape `backlog` (100,000 at full): the reference set "
    "has none overdue",
    "report": "at full: its own calendar year of exactly 600,000 assessments (refdata shape `report-year`); "
    "smaller presets: the reference database (the calendar year with most decisions)",
    "import": "a generated CSV into an empty database",
    "register_ingest": "own data set: refdata shape `activation` (at full: 100,000 SPUs) and a register of "
    "10,000,000 records over a year (bench/register_data.py)",
    "forecast": "own data: 166 operators, 2,000 zones of 1,000 vertices, a year stored for 20 zones "
    "(at full)",
    "activation_headroom": "own data set as `activation`, and a register of 10,000,000 records over a year "
    "(bench/register_data.py; smaller presets: fewer)",
    "area_upload": "own data in SQLite: the reference set's points and the local-DSO polygons of refdata "
    "shape `areas` as a zipped Shapefile; a generated 10,000,000-vertex zip",
}


def bench_command(bench: str, *, preset: str, runs: int, json_path: Path, doc: Path) -> list[str]:
    args = {"queue": ["--reuse"], "report": ["--reference"]}.get(bench) or SIZES[preset][bench]
    if bench == "report" and preset == "full":
        # The budget is for 600,000 assessments in one year; the reference data's year runs across
        # two calendar years, so the report's own generated year (exactly 600,000) is measured.
        args = ["--preset", "full"]
    return [sys.executable, f"bench/{bench}_bench.py", *args, "--runs", str(runs), "--json", str(json_path),
            "--write", str(doc)]


def _reason(result: subprocess.CompletedProcess) -> str:
    lines = [line for line in (result.stderr or "").strip().splitlines() if line.strip()]
    return lines[-1].strip()[:300] if lines else f"exit status {result.returncode}"


def run(*, preset: str, runs: int, only: list[str], doc: Path, out: Path, refdata: bool = True) -> dict:
    """Generate, run, collect. Returns {"refdata": ..., "benches": {name: contract or {"error"}}}."""
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    report: dict = {"refdata": None, "benches": {}}
    needs_reference = {"queue", "report"} & set(only)
    if refdata and needs_reference:
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "bench/refdata.py", "--preset", preset, "--json", str(out / "refdata.json")],
            cwd=ROOT, env=env, stderr=None if sys.stderr.isatty() else subprocess.PIPE, text=True,
            stdout=subprocess.PIPE,
        )
        if result.returncode == 0:
            report["refdata"] = json.loads((out / "refdata.json").read_text())
            report["refdata"]["wall"] = time.perf_counter() - started
        else:
            reason = _reason(result) if result.stderr else f"exit status {result.returncode}"
            for bench in needs_reference:
                report["benches"][bench] = {"error": f"reference data not generated: {reason}"}
    for bench in only:
        if bench in report["benches"]:
            continue
        json_path = out / f"{bench}.json"
        json_path.unlink(missing_ok=True)
        command = bench_command(bench, preset=preset, runs=runs, json_path=json_path, doc=doc)
        print(f"== {bench}: {shlex.join(command[1:])}", file=sys.stderr, flush=True)
        started = time.perf_counter()
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if result.returncode != 0 or not json_path.exists():
            reason = _reason(result) if result.returncode != 0 else "it wrote no --json results"
            report["benches"][bench] = {"error": reason, "wall": wall}
            print(f"   not run: {reason}", file=sys.stderr)
            continue
        report["benches"][bench] = results_read(json_path) | {"wall": wall}
        for row in report["benches"][bench]["rows"]:
            print(f"   {row['what']}: {row['median']:.3g} {row['unit']} ({row['budget']}, "
                  f"{'within' if row['within'] else 'MISS'})", file=sys.stderr)
    return report


def _figure(value: float, unit: str) -> str:
    if unit == "ms":
        return f"{value:.1f} ms" if value >= 1 else f"{value:.2g} ms"
    if unit == "MB":
        return f"{value:.0f} MB"
    return f"{value:.3g} {unit}" if value < 10 else f"{value:.1f} {unit}"


def summary(report: dict, *, command: str, preset: str, runs: int, machine: str) -> str:
    lines = [
        SUMMARY_START,
        "## Summary: every budget of SPEC §7",
        "",
        f"Command: `{command}` (preset `{preset}`, {runs} run{'s' if runs != 1 else ''} of each measurement)",
        "",
        f"Machine: {machine}.",
        "",
    ]
    ref = report.get("refdata")
    if ref:
        c = ref["counts"]
        lines += [
            f"Reference data set (`bench/refdata.py --preset {ref['preset']}`, "
            f"generated in {ref['seconds']:.0f} s): "
            f"{c['system_operators']} system operators, {c['area_polygons']:,} area polygons "
            f"({c['area_vertices']:,} vertices), {c['connection_points']:,} connection points with SPUs, "
            f"{c['cases']:,} cases, {c['assessments']:,} assessments ({c['open_assessments']:,} open), "
            f"{c['case_events']:,} audit entries.",
            "",
        ]
    lines += [
        "| what | measured: median (min–max) | budget | verdict | floor | ratio to the floor |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    notes = []
    for bench in BENCHES:
        if bench not in report["benches"]:
            continue
        result = report["benches"][bench]
        if "error" in result:
            lines.append(f"| {bench} | not run: {result['error'].replace('|', '/')} | | | | |")
            continue
        notes.append(f"{bench}: {SOURCES[bench]}")
        for row in result["rows"]:
            measured = f"**{_figure(row['median'], row['unit'])}**"
            if len(row["runs"]) > 1:
                measured += f" ({_figure(row['min'], row['unit'])}–{_figure(row['max'], row['unit'])})"
            if row["budget"].startswith("≤") or row["budget"].startswith("≥"):
                verdict = "within" if row["within"] else "**MISS**"
            else:
                verdict = "—"
            floor = (f"{_figure(row['floor'], row['unit'])} ({row['floor_label']})"
                     if row.get("floor") is not None else "—")
            ratio = f"{row['ratio']:.2f}×" if row.get("ratio") is not None else "—"
            lines.append(
                f"| {row['what']} | {measured} | {row['budget']} | {verdict} | {floor} | {ratio} |"
            )
    lines += [
        "",
        "Where the data comes from: " + "; ".join(notes) + "." if notes else "",
        "The detailed sections below are each benchmark's own (written by the same run).",
        SUMMARY_END,
        "",
    ]
    return "\n".join(lines)


def summary_write(path: Path, text: str) -> None:
    """The summary goes right under the document's header (above every bench's section)."""
    if path.exists() and SUMMARY_START in path.read_text():
        section_write(path, text, start=SUMMARY_START, end=SUMMARY_END)
        return
    current = path.read_text() if path.exists() else HEADER
    head, sep, rest = current.partition("\n\n<!--")
    path.write_text(head.rstrip("\n") + "\n\n" + text + ("\n<!--" + rest if sep else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", choices=list(SIZES), default="full")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", help=f"comma-separated subset of {','.join(BENCHES)}")
    parser.add_argument(
        "--write", type=Path,
        help="the document to write (default: docs/PERFORMANCE.md for the full preset; a smaller preset "
             "writes var/bench/PERFORMANCE-<preset>.md, so a quick check never replaces the full figures)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench" / "results",
                        help="folder for each bench's JSON")
    args = parser.parse_args(argv)
    if args.write is None:
        args.write = (ROOT / "docs" / "PERFORMANCE.md" if args.preset == "full"
                      else ROOT / "var" / "bench" / f"PERFORMANCE-{args.preset}.md")
        args.write.parent.mkdir(parents=True, exist_ok=True)
    only = [b.strip() for b in args.only.split(",")] if args.only else list(BENCHES)
    unknown = set(only) - set(BENCHES)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}; choose from {', '.join(BENCHES)}")
    if not is_postgres():
        print("run_all: DATABASE_URL does not name PostgreSQL; the queue, report and activation benches "
              "need it (run under scripts/with-postgres).", file=sys.stderr)
    shown = sys.argv[1:] if argv is None else argv
    command = "scripts/with-postgres .venv/bin/python bench/run_all.py"
    command += " " + shlex.join(shown) if shown else ""
    started = time.perf_counter()
    report = run(preset=args.preset, runs=args.runs, only=only, doc=args.write, out=args.out)
    (args.out / "summary.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    text = summary(report, command=command, preset=args.preset, runs=args.runs, machine=machine_line())
    summary_write(args.write, text)
    print(text)
    print(f"run_all: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    failed = [b for b, r in report["benches"].items() if "error" in r]
    return 1 if failed and len(failed) == len(only) else 0


if __name__ == "__main__":
    raise SystemExit(main())
