"""What My grid's holdings (register.services.grid_holdings) cost the register's ingest: batches
of 10,000 awards through the batch API (bench/register_ingest_bench.py's bodies and client),
sent alternately with the holdings' upkeep on and off (patched out), in one process on the same
data, so the two are measured interleaved under the same load.

The activation shape makes no reader rows (its SPUs would hold nothing in My grid): here every
SPU gets three readers (the first three operators) before the batches, as at the TSO, a regional
and a local DSO, and My grid's summary and holdings are made again for them.

    scripts/with-postgres .venv/bin/python bench/mygrid_upkeep_bench.py --records 100000 --pairs 4
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchkit  # noqa: E402
import register_ingest_bench as ingest  # noqa: E402


def readers_add() -> int:
    """Three reader rows per SPU (the first three operators), then My grid's figures made again."""
    from django.db import connection

    from register.services.grid_holdings import grid_holdings_rebuild
    from register.services.grid_slots import grid_slots_rebuild

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO prequal_spureader"
            " (system_operator_id, spu_id, spu_code, is_active, connection_point_id)"
            " SELECT so.id, s.id, s.code, s.is_active, s.connection_point_id FROM prequal_spu s"
            " CROSS JOIN (SELECT id FROM observability_systemoperator ORDER BY id LIMIT 3) so"
            " ON CONFLICT DO NOTHING"
        )
        added = cursor.rowcount
    grid_slots_rebuild()
    grid_holdings_rebuild()
    benchkit.analyze(vacuum=True)
    return added


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000, help="records filled before the batches")
    parser.add_argument("--pairs", type=int, default=4, help="batches with the upkeep and without, each")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        made = ingest.prepare({"shape": "quick", "records": args.records}, tmp)
        print(f"reader rows added: {readers_add():,}", file=sys.stderr)
        import register.services.writes as writes

        kept = writes.grid_holdings_change
        bodies = ingest.batches_make(made, batches=2 * args.pairs + 1, size=10_000)
        ingest.send(bodies[:1])  # warm-up: caches, the first month's pages
        results: dict[str, list[tuple[float, float]]] = {"with upkeep": [], "without": []}
        for i, body in enumerate(bodies[1:]):
            on = i % 2 == 0
            writes.grid_holdings_change = kept if on else (lambda **kwargs: None)
            seconds, cpu = ingest.send([body])
            results["with upkeep" if on else "without"].append((seconds[0], cpu[0]))
        writes.grid_holdings_change = kept
    print(benchkit.machine_line(), file=sys.stderr)
    for label, runs in results.items():
        wall, cpu = [w for w, _c in runs], [c for _w, c in runs]
        print(f"{label}: wall per batch median {statistics.median(wall):.3f} s {[round(w, 3) for w in wall]},"
              f" app CPU median {statistics.median(cpu):.3f} s {[round(c, 3) for c in cpu]}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
