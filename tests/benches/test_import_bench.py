"""The import benchmark runs end to end on a small file; its figures live in docs/PERFORMANCE.md."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.services import BASE_DIR, child_env

ROOT = BASE_DIR
ROW_KEYS = {
    "what", "budget", "unit", "runs", "median", "min", "max", "within", "floor", "floor_label", "ratio",
}


def test_bench_script_imports_a_small_file(tmp_path):
    doc = tmp_path / "PERFORMANCE.md"
    doc.write_text("# Performance\n\nAnother benchmark's section stays.\n")
    env = child_env()  # no DATABASE_URL: its own SQLite file
    result = subprocess.run(
        [sys.executable, "bench/import_bench.py", "--rows", "1000", "--runs", "2",
         "--json", str(tmp_path / "rows.json"), "--write", str(doc)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    text = doc.read_text()
    assert "Another benchmark's section stays." in text
    assert "<!-- import-bench-sqlite:start -->" in text
    assert "1000 SPUs and 1000 new connection points imported" in text
    assert "| import, 1,000 rows | wall **" in text and "**ratio to the floor**" in text
    # --runs and --json: every run kept, the summary's contract (bench/benchkit.py) written.
    data = json.loads((tmp_path / "rows.json").read_text())
    assert data["bench"] == "import-sqlite" and data["command"] and data["machine"]
    for row in data["rows"]:
        assert set(row) >= ROW_KEYS and len(row["runs"]) == 2
        assert row["min"] <= row["median"] <= row["max"]
