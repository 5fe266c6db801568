"""The resolver benchmark runs (tiny preset); its figures live in docs/PERFORMANCE.md."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.services import BASE_DIR, child_env

ROOT = BASE_DIR
ROW_KEYS = {
    "what", "budget", "unit", "runs", "median", "min", "max", "within", "floor", "floor_label", "ratio",
}


def test_bench_script_runs_with_a_tiny_preset(tmp_path):
    doc = tmp_path / "PERFORMANCE.md"
    doc.write_text("# Performance\n\nAnother benchmark's section stays.\n")
    result = subprocess.run(
        [
            sys.executable,
            "bench/resolver_bench.py",
            "--preset",
            "quick",
            "--points",
            "3000",
            "--polygons",
            "20",
            "--vertices",
            "60",
            "--runs",
            "2",
            "--json",
            str(tmp_path / "rows.json"),
            "--write",
            str(doc),
        ],
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    text = doc.read_text()
    assert "Another benchmark's section stays." in text
    assert "all 3,000 points" in text and "ratio to the floor" in text
    # Writing again replaces the section instead of appending a second one.
    subprocess.run(
        [
            sys.executable,
            "bench/resolver_bench.py",
            "--points",
            "2000",
            "--polygons",
            "20",
            "--vertices",
            "60",
            "--write",
            str(doc),
        ],
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    text = doc.read_text()
    assert text.count("resolver-bench:start") == 1 and "all 2,000 points" in text
    # --runs and --json: every run kept, the summary's contract (bench/benchkit.py) written.
    data = json.loads((tmp_path / "rows.json").read_text())
    assert data["bench"] == "resolver" and data["command"] and data["machine"]
    assert [row["budget"] for row in data["rows"]] == ["≤ 20 s", "≤ 5 ms"]
    for row in data["rows"]:
        assert set(row) >= ROW_KEYS and len(row["runs"]) == 2
        assert row["min"] <= row["median"] <= row["max"]
    assert data["rows"][0]["floor"] > 0 and data["rows"][0]["ratio"] > 0
