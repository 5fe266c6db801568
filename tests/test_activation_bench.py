"""Smoke test of bench/activation_bench.py: the tiny preset, in process (no gunicorn, no wrk)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_benchmark_script_runs_with_the_tiny_preset(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/bench.sqlite3",
    }
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
