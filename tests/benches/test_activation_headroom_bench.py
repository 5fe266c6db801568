"""Smoke test of bench/activation_headroom_bench.py: the tiny preset with a small register, in
process (no gunicorn, no wrk); and its section and rows from a result."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.services import BASE_DIR, child_env

ROOT = BASE_DIR


def test_the_headroom_bench_runs_with_the_tiny_preset_and_a_register(tmp_path):
    env = child_env(HOME=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path}/bench.sqlite3")
    result = subprocess.run(
        [sys.executable, "bench/activation_headroom_bench.py", "--preset", "tiny", "--in-process",
         "--requests", "60", "--register-records", "2000"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "register: 2,000 records" in result.stdout
    summary = json.loads(result.stdout[result.stdout.index("{") :])
    assert sum(summary["colours"].values()) == 60


def test_the_section_and_rows_name_the_register():
    sys.path.insert(0, str(ROOT / "bench"))
    import activation_headroom_bench as bench

    run = {
        "command": "wrk", "requests": 30000, "bad_status": 0, "socket_errors": 0, "seconds": 30.0,
        "per_second": 1000.0, "p50_ms": 3.0, "p90_ms": 6.0, "p99_ms": 15.0, "max_ms": 40.0,
        "web_cpu_s": 30.0, "db_cpu_s": 6.0, "server_cpu_s": 36.0,
    }
    result = {
        "load_before": "0.1", "worker_class": "gthread", "runs": [run],
        "floors": [{"per_second": 5000, "p50_ms": 0.5, "p99_ms": 2.0}],
        "data": {"seconds": 10, "counts": {"SPUs": 10},
                 "register": {"records": 10_000_000, "resources": 10, "seconds": 400, "under_limits": 7}},
        "colours": {"green": 1}, "workers": 4, "connections": 4, "distinct": 100, "members": 4,
        "floor_samples": 200, "queries": 3.1, "machine": "test machine",
        "headroom": {"checked": 300, "under": 100, "p50_ms": 4.0},
    }
    section = bench.section(result, command="x")
    assert section.startswith("<!-- activation-headroom-bench:start -->")
    assert "+ a register of 10,000,000 records" in section and "100 fell under a limit" in section
    assert all("10,000,000 register records" in row["what"] for row in bench.headroom_rows(result))
