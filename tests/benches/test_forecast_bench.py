"""The forecast benchmark runs end to end at its tiny preset; its figures live in docs/PERFORMANCE.md."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.services import BASE_DIR, child_env


def test_forecast_bench_measures_its_three_budgets_and_writes_its_section(tmp_path):
    doc = tmp_path / "PERFORMANCE.md"
    doc.write_text("# Performance\n\nAnother benchmark's section stays.\n")
    result = subprocess.run(
        [sys.executable, "bench/forecast_bench.py", "--preset", "tiny",
         "--json", str(tmp_path / "rows.json"), "--write", str(doc)],
        cwd=BASE_DIR, env=child_env(), capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr
    text = doc.read_text()
    assert "Another benchmark's section stays." in text
    assert "<!-- forecast-bench:start -->" in text and "2,304 rows in 3 publications" in text
    data = json.loads((tmp_path / "rows.json").read_text())
    assert data["bench"] == "forecast" and len(data["rows"]) == 3
    for row in data["rows"]:
        assert row["floor"] > 0 and row["ratio"] > 0
