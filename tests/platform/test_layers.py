"""Dependencies run one way (issue 12, STYLE "Layers without back doors"): scripts/house-report --check.

common < (accounts, notices) < observability < prequal < limits < (reports, demo) < config: an app imports
only from its own layer and below, and never from another app inside a function.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from importlib.machinery import SourceFileLoader
from importlib.util import module_from_spec, spec_from_loader
from pathlib import Path

import pytest

from tests.services import BASE_DIR

ROOT = BASE_DIR
SCRIPT = ROOT / "scripts" / "house-report"
APPS = (
    "common", "accounts", "notices", "observability", "prequal", "forecasts", "register", "attachments",
    "limits", "reports", "dashboards", "demo", "config",
)


def _house_report():
    loader = SourceFileLoader("house_report", str(SCRIPT))
    module = module_from_spec(spec_from_loader("house_report", loader))
    loader.exec_module(module)
    return module


def _run(script: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, timeout=120
    )


def test_no_import_runs_against_the_layers():
    result = _run(SCRIPT)

    assert result.returncode == 0, result.stdout
    assert "Imports against the layers (0):" in result.stdout


def test_the_report_reads_every_app():
    scanned = {path.relative_to(ROOT).parts[0] for path in _house_report().app_modules()}

    assert set(APPS) <= scanned


@pytest.mark.parametrize(
    ("path", "source", "finding"),
    [
        ("prequal/bad.py", "from limits import x\n",
         "up the layers: prequal/bad.py:1 (prequal imports limits)"),
        ("observability/bad.py", "import prequal.models\n", "observability imports prequal"),
        ("common/bad.py", "from config.celery import app\n", "common imports config"),
        ("limits/bad.py", "def f():\n    from observability import x\n",
         "inside a function: limits/bad.py:2 (f imports observability)"),
    ],
)
def test_an_import_against_the_layers_fails_the_check(tmp_path, path, source, finding):
    (tmp_path / "scripts").mkdir()
    script = tmp_path / "scripts" / "house-report"
    shutil.copy(SCRIPT, script)
    for app in APPS:
        (tmp_path / app).mkdir()
        (tmp_path / app / "__init__.py").write_text("")
    # Its own app and the layers below: no finding.
    (tmp_path / "prequal" / "fine.py").write_text("from observability import x\nfrom prequal import y\n")
    (tmp_path / path).write_text(source)

    result = _run(script)

    assert result.returncode == 1
    assert finding in result.stdout
    assert "fine.py" not in result.stdout
