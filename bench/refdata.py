"""The one reference-data generator of the benchmarks: SPEC §7's data set, and the shapes benches need.

Shapes (bench/shapes/), each with its presets in SHAPES:

- `reference` (the default): SPEC §7's "Sweden, fully electrified": 1 TSO, 5 regional and 160
  local DSOs, 2,000 observability-area polygons of about 1,000 vertices, 1,000,000 connection
  points with one SPU each, and a year of prequalification: 200,000 cases with 600,000
  assessments, decisions, approvals by silence, incomplete applications, withdrawals, open
  assessments with running deadlines, and their audit trail. Read by the queue and report benches.
- `report-year`: one calendar year of decided assessments (600,000 at full) with temporary limits
  and late refusals (bench/report_bench.py at full);
- `backlog`: pending assessments past their deadline (100,000 at full; bench/sweep_bench.py);
- `activation`: decided SPUs and SPGs, conditions and temporary limits (bench/activation_bench.py);
- `areas`: the polygons alone, with their operators (bench/resolver_bench.py).

    scripts/with-postgres .venv/bin/python bench/refdata.py                 # full, a few minutes
    scripts/with-postgres .venv/bin/python bench/refdata.py --preset quick  # ~1/100, seconds
    .venv/bin/python bench/refdata.py --preset tiny                         # SQLite file, a smoke test

With DATABASE_URL naming PostgreSQL, the database `gridprequal_reference` on that server is
dropped and recreated (`--database` to name another); without it, var/bench/gridprequal_reference.sqlite3
is. Tables are filled with COPY (PostgreSQL) or executemany (SQLite), then ANALYZEd. The URL of
the generated database is printed last, for the benches that read it (bench/queue_bench.py,
bench/run_all.py).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchkit  # noqa: E402
from shapes.operators import TSO_EIC  # noqa: E402, F401 - the TSO's EIC code, read by the tests
from shapes.reference import Reference, generate  # noqa: E402, F401 - the reference shape itself
from shapes.rows import eic_make, gsrn_make  # noqa: E402, F401 - identifiers, read by the tests

SHAPES = {
    "reference": {
        "full": {"points": 1_000_000, "cases": 200_000, "polygons": 2_000, "vertices": 1_000, "fsps": 200},
        "medium": {"points": 100_000, "cases": 20_000, "polygons": 2_000, "vertices": 1_000, "fsps": 100},
        "quick": {"points": 10_000, "cases": 2_000, "polygons": 400, "vertices": 200, "fsps": 20},
        "tiny": {"points": 400, "cases": 120, "polygons": 166, "vertices": 24, "fsps": 4},
    },
    "report-year": {
        "full": {"cases": 200_000, "limits": 20_000, "refusals": 3_000},
        "quick": {"cases": 2_000, "limits": 200, "refusals": 30},
    },
    "backlog": {"full": {"spus": 12_500}, "quick": {"spus": 250}},
    "activation": {
        # SPEC §7's scale: a million SPUs (each at its own point), 200,000 cases.
        "national": {"spus": 1_000_000, "spgs": 50_000, "members": 4, "cases": 200_000, "limits": 100_000},
        "full": {"spus": 100_000, "spgs": 5_000, "members": 4, "cases": 50_000, "limits": 20_000},
        "quick": {"spus": 10_000, "spgs": 500, "members": 4, "cases": 5_000, "limits": 2_000},
        "tiny": {"spus": 200, "spgs": 10, "members": 3, "cases": 120, "limits": 60},
    },
    "areas": {
        "full": {"points": 1_000_000, "polygons": 2_000, "vertices": 1_000},
        "quick": {"points": 20_000, "polygons": 60, "vertices": 200},
    },
}
PRESETS = SHAPES["reference"]
# Another name (tests running side by side): GRIDPREQUAL_REFERENCE_DB.
DATABASE_NAME = os.environ.get("GRIDPREQUAL_REFERENCE_DB", "gridprequal_reference")


def preset_sizes(preset: str, *, shape: str = "reference", **overrides) -> dict:
    """The sizes of a shape's preset, with the overrides that are not None."""
    return SHAPES[shape][preset] | {k: v for k, v in overrides.items() if v is not None}


def make(shape: str, **sizes):
    """Generate `shape` into the (migrated, empty) database Django is connected to."""
    if shape == "reference":
        return generate(**sizes)
    if shape == "report-year":
        from shapes.report_year import generate as report_year

        return report_year(**sizes)
    if shape == "backlog":
        from shapes.backlog import generate as backlog

        return backlog(**sizes)
    if shape == "activation":
        from shapes.activation import generate as activation

        return activation(**sizes)
    raise ValueError(f"unknown shape {shape!r}; the areas are made by shapes.areas")


def database_url(*, name: str = DATABASE_NAME) -> str:
    """The reference database's URL on the server DATABASE_URL names (without recreating it)."""
    return benchkit.database_url(name)


def django_setup() -> None:
    benchkit.django_setup()


def build(
    *, preset: str, database: str = DATABASE_NAME, seed: int = 7, progress: bool = True, **overrides
) -> tuple[str, Reference]:
    """Recreate the reference database, migrate it and generate the preset. Returns (URL, what)."""
    url = benchkit.database_recreate(database)
    benchkit.django_setup(migrate=True)
    return url, generate(seed=seed, progress=progress, **preset_sizes(preset, **overrides))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", choices=list(PRESETS), default="full")
    parser.add_argument("--points", type=int, help="connection points (one SPU each)")
    parser.add_argument("--cases", type=int, help="cases (three assessments each)")
    parser.add_argument("--database", default=DATABASE_NAME, help="PostgreSQL database to (re)create")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="write the counts and timings here")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    url, ref = build(
        preset=args.preset,
        database=args.database,
        seed=args.seed,
        points=args.points,
        cases=args.cases,
        progress=not args.no_progress,
    )
    counts = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in ref.counts.items())
    print(f"reference data ({args.preset}) in {ref.seconds:.1f} s: {counts}", file=sys.stderr)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {"preset": args.preset, "seconds": ref.seconds, "counts": ref.counts, "url": url}, indent=2
            )
            + "\n"
        )
    print(url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
