"""Smoke test of bench/activation_bench.py: the tiny preset, in process (no gunicorn, no wrk)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.services import BASE_DIR, child_env

ROOT = BASE_DIR


def test_the_benchmark_script_runs_with_the_tiny_preset(tmp_path):
    env = child_env(HOME=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path}/bench.sqlite3")
    result = subprocess.run(
        [sys.executable, "bench/activation_bench.py", "--preset", "tiny", "--in-process", "--requests", "60"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout[result.stdout.index("{") :])
    assert summary["counts"]["SPUs"] == 200 and summary["counts"]["temporary limits"] == 60
    # Every colour shows up: the data set exercises the whole traffic light.
    assert set(summary["colours"]) == {"green", "yellow", "red"}
    assert sum(summary["colours"].values()) == 60


def test_the_report_and_the_summary_rows_take_every_run():
    sys.path.insert(0, str(ROOT / "bench"))
    import activation_bench

    def run(rate, p99):
        return {
            "command": "wrk -t 2 -c 4 -d 30s --latency check.lua http://127.0.0.1:1",
            "requests": int(rate * 30), "bad_status": 0, "socket_errors": 0, "seconds": 30.0,
            "per_second": rate, "p50_ms": 3.0, "p90_ms": 6.0, "p99_ms": p99, "max_ms": 40.0,
            "web_cpu_s": rate * 0.03, "db_cpu_s": rate * 0.006, "server_cpu_s": rate * 0.036,
        }

    result = {
        "load_before": "0.1, 0.1, 0.1", "worker_class": "gthread",
        "runs": [run(1100, 12.0), run(950, 25.0), run(1200, 15.0)],
        "floors": [{"per_second": 5000, "p50_ms": 0.5, "p99_ms": 2.0}] * 3,
        "data": {"seconds": 10, "counts": {"SPUs": 10}}, "colours": {"green": 1}, "workers": 4,
        "connections": 4, "distinct": 100, "members": 4, "floor_samples": 200, "queries": 2.2,
        "machine": "test machine",
    }
    rate, p99 = activation_bench.rows(result)
    assert (rate["median"], rate["min"], rate["max"], rate["within"]) == (1100, 950, 1200, True)
    assert rate["ratio"] == 1100 / 5000
    assert (p99["median"], p99["within"]) == (15.0, True)
    section = activation_bench.report(result, command="scripts/with-postgres x")
    assert "**1,100 (950–1,200)**" in section and "≥ 1,000 (within)" in section
    assert "**15.00 (12.00–25.00) ms**" in section and "The budget is met." in section


def test_cpu_spent_counts_new_processes_whole_and_never_subtracts_ended_ones():
    sys.path.insert(0, str(ROOT / "bench"))
    import activation_bench

    before = {1: 10.0, 2: 5.0, 3: 7.0}  # 3 ends before the second reading
    after = {1: 12.5, 2: 5.0, 4: 0.75}  # 4 started in between
    assert activation_bench.cpu_spent(before, after) == 2.5 + 0.0 + 0.75
