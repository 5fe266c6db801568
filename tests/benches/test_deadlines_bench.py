"""The sweep benchmark runs end to end on a tiny backlog; its figures live in docs/PERFORMANCE.md."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.services import BASE_DIR, child_env

ROOT = BASE_DIR
ROW_KEYS = {
    "what", "budget", "unit", "runs", "median", "min", "max", "within", "floor", "floor_label", "ratio",
}


def test_sweep_bench_applies_every_deadline_once_and_writes_its_section(tmp_path):
    doc = tmp_path / "PERFORMANCE.md"
    doc.write_text("# Performance\n\nAnother benchmark's section stays.\n")
    env = child_env()  # no DATABASE_URL: its own SQLite file
    result = subprocess.run(
        [sys.executable, "bench/sweep_bench.py", "--spus", "25", "--runs", "2",
         "--json", str(tmp_path / "rows.json"), "--write", str(doc)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    # Exit 2 would mean a deadline was missed or applied twice.
    assert result.returncode == 0, result.stderr
    text = doc.read_text()
    assert "Another benchmark's section stays." in text
    assert "<!-- sweep-bench:start -->" in text and "**200 pending assessments past their deadline**" in text
    assert "200 approved by silence + 100 case outcomes, 300 audit entries" in text
    # --runs and --json: every run kept, the summary's contract (bench/benchkit.py) written.
    data = json.loads((tmp_path / "rows.json").read_text())
    assert data["bench"] == "sweep" and data["command"] and data["machine"]
    for row in data["rows"]:
        assert set(row) >= ROW_KEYS and len(row["runs"]) == 2
        assert row["min"] <= row["median"] <= row["max"]
