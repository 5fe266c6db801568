"""Smoke test of bench/register_ingest_bench.py: the tiny preset on SQLite, its result contract
and its PERFORMANCE.md section."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.services import BASE_DIR, child_env


def test_the_benchmark_script_runs_with_the_tiny_preset(tmp_path):
    env = child_env(HOME=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path}/bench.sqlite3")
    doc = tmp_path / "PERFORMANCE.md"
    result = subprocess.run(
        [sys.executable, "bench/register_ingest_bench.py", "--preset", "tiny",
         "--json", str(tmp_path / "r.json"), "--write", str(doc)],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=600,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    contract = json.loads((tmp_path / "r.json").read_text())
    assert contract["bench"] == "register_ingest"
    (row,) = contract["rows"]
    assert row["unit"] == "records/s" and len(row["runs"]) == 2 and row["floor"] > 0 and row["ratio"] > 0
    text = doc.read_text()
    assert "<!-- register-ingest-bench:start -->" in text and "ratio to the floor" in text
    assert "were equal" in text  # the annual figures before and after retention at the bench's scale
