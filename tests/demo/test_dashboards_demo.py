"""The demo's dashboards (demo/dashboards.py, issue 15): on `make run` every demo role's home
page has figures to show, and the demo engineer has something due and something back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from accounts.models import User
from dashboards.selectors_fsp import fsp_dashboard
from dashboards.selectors_nra import nra_dashboard
from dashboards.selectors_so import so_dashboard
from demo import sweden
from demo.dashboards import demo_dashboard_load
from demo.load import demo_data_load

NOW = datetime(2026, 11, 22, 9, tzinfo=UTC)


@pytest.fixture
def demo(db):
    with time_machine.travel(NOW, tick=False):
        demo_data_load()
        assert len(demo_dashboard_load()) == 3
        assert demo_dashboard_load() == []  # once


def _figures(dashboard) -> dict[str, int]:
    groups = [g for g in vars(dashboard).values() if isinstance(g, list) and g and hasattr(g[0], "count")]
    return {f.key: f.count for group in groups for f in group}


def test_every_demo_role_has_figures(demo):
    with time_machine.travel(NOW, tick=False):
        for spec in sweden.USERS:
            user = User.objects.get(username=spec.username)
            sections = [d for d in (f(user=user) for f in (so_dashboard, fsp_dashboard, nra_dashboard)) if d]
            if spec.role in ("so_engineer", "so_viewer", "fsp_user", "nra_analyst"):
                assert len(sections) == 1, spec.username
                assert any(_figures(sections[0]).values()), spec.username


def test_the_demo_engineer_has_work_due_and_back(demo):
    with time_machine.travel(NOW, tick=False):
        figures = _figures(so_dashboard(user=User.objects.get(username="engineer-malarenergi")))
        assert figures["due"] >= 1 and figures["supplied"] == 1 and figures["waiting"] == 1
        asked = sum(
            _figures(fsp_dashboard(user=User.objects.get(username=spec.username)))["information"]
            for spec in sweden.USERS if spec.role == "fsp_user"
        )
        assert asked == 1
        matrix = fsp_dashboard(user=User.objects.get(username="fsp-nordicflex"))
        assert any(case for row in matrix.rows for case in row.cells)
