"""The area-upload benchmark runs (tiny sizes); its figures live in docs/PERFORMANCE.md."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.services import BASE_DIR, child_env


def test_bench_script_runs_with_tiny_sizes(tmp_path):
    doc = tmp_path / "PERFORMANCE.md"
    doc.write_text("# Performance\n\nAnother benchmark's section stays.\n")
    result = subprocess.run(
        [sys.executable, "bench/area_upload_bench.py", "--preset", "quick", "--points", "300",
         "--polygons", "10", "--vertices", "40", "--hostile", "6000000",
         "--json", str(tmp_path / "rows.json"), "--write", str(doc)],
        cwd=BASE_DIR, env=child_env(), capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    text = doc.read_text()
    assert "Another benchmark's section stays." in text
    assert text.count("area-upload-bench:start") == 1 and "ratio to the floor" in text
    data = json.loads((tmp_path / "rows.json").read_text())
    assert data["bench"] == "area_upload" and data["command"] and data["machine"]
    assert [row["budget"] for row in data["rows"]] == ["≤ 30 s", "≤ 500 MB", "≤ 5 s"]
    assert all(row["within"] for row in data["rows"])  # tiny sizes: far inside every budget
