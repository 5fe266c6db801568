"""Smoke test of bench/activation_forecast_bench.py: the tiny preset with a few grid zones and a
day of forecasts, in process (no gunicorn, no wrk); its requests fall in the forecast day; and its
section and rows from a result."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta

from tests.services import BASE_DIR, child_env

ROOT = BASE_DIR


def test_the_forecast_bench_runs_with_the_tiny_preset_and_zones(tmp_path):
    env = child_env(HOME=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path}/bench.sqlite3")
    result = subprocess.run(
        [sys.executable, "bench/activation_forecast_bench.py", "--preset", "tiny", "--in-process",
         "--requests", "40", "--zones", "30"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "forecasts: 30 zones, 5,760 rows" in result.stdout
    summary = json.loads(result.stdout[result.stdout.index("{") :])
    assert sum(summary["colours"].values()) == 40


def test_the_requests_fall_in_the_forecast_day():
    sys.path.insert(0, str(ROOT / "bench"))
    import activation_forecast_bench as bench

    bodies = [{"start": "2030-06-05T10:00:00Z", "end": "2030-06-05T12:00:00Z"} for _ in range(50)]
    for body in bench.Forecasts.requests(bodies, {}):
        start, end = bench._parse(body["start"]), bench._parse(body["end"])
        assert bench.T0 <= start and end <= bench.T0 + timedelta(days=1)
        assert end - start == timedelta(hours=2)


def test_the_section_and_rows_name_the_zones():
    sys.path.insert(0, str(ROOT / "bench"))
    import activation_forecast_bench as bench

    run = {
        "command": "wrk", "requests": 30000, "bad_status": 0, "socket_errors": 0, "seconds": 30.0,
        "per_second": 1000.0, "p50_ms": 3.0, "p90_ms": 6.0, "p99_ms": 15.0, "max_ms": 40.0,
        "web_cpu_s": 30.0, "db_cpu_s": 6.0, "server_cpu_s": 36.0,
    }
    result = {
        "load_before": "0.1", "worker_class": "gthread", "runs": [run],
        "floors": [{"per_second": 5000, "p50_ms": 0.5, "p99_ms": 2.0}],
        "data": {"seconds": 10, "counts": {"SPUs": 10},
                 "forecasts": {"zones": 2000, "rows": 384_000, "seconds": 60}},
        "colours": {"green": 1}, "workers": 4, "connections": 4, "distinct": 100, "members": 4,
        "floor_samples": 200, "queries": 4.0, "machine": "test machine",
        "forecast_sample": {"checked": 300, "flagged": 120, "p50_ms": 4.0},
    }
    section = bench.section(result, command="x")
    assert section.startswith("<!-- activation-forecast-bench:start -->")
    assert "2,000 grid zones" in section and "120 carried a forecast's reason" in section
    assert all("forecasts consulted (2,000 zones)" in row["what"] for row in bench.forecast_rows(result))
