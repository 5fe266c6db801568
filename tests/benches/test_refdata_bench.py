"""The reference data set (bench/refdata.py) is consistent and the benches that read it run.

The generator at preset `tiny` fills the test database; its rows must pass the models' own
validation and follow the workflow's rules (a case's status is what its assessments make it),
so the real pages work on it. The queue bench and `bench/run_all.py` run end to end on
PostgreSQL (their own databases, dropped and recreated).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.services import BASE_DIR, child_env

ROOT = BASE_DIR
sys.path.insert(0, str(ROOT / "bench"))

import refdata  # noqa: E402

ROW_KEYS = {
    "what", "budget", "unit", "runs", "median", "min", "max", "within", "floor", "floor_label", "ratio",
}
TINY = refdata.PRESETS["tiny"]


@pytest.fixture
def reference(db):
    return refdata.generate(**TINY, seed=3, progress=False)


def test_tiny_preset_makes_the_counts_of_each_model(reference):
    from accounts.models import Membership, Organisation
    from observability.models import ConnectionPoint, ObservabilityArea, SystemOperator
    from prequal.models import Assessment, Case, CaseEvent, Condition, Fsp, Spu

    assert SystemOperator.objects.filter(tier="tso").count() == 1
    assert SystemOperator.objects.filter(tier="regional_dso").count() == 5
    assert SystemOperator.objects.filter(tier="local_dso").count() == 160
    assert SystemOperator.objects.get(tier="tso").name == "Svenska kraftnät"
    # Every DSO subscribes to a regional DSO, every regional DSO to the TSO.
    assert not SystemOperator.objects.filter(tier="local_dso").exclude(upstream__tier="regional_dso").exists()
    assert not SystemOperator.objects.filter(tier="regional_dso").exclude(upstream__tier="tso").exists()
    assert ObservabilityArea.objects.count() == 166
    assert reference.counts["area_polygons"] == 166
    assert Fsp.objects.count() == TINY["fsps"]
    assert ConnectionPoint.objects.count() == Spu.objects.count() == TINY["points"]
    assert Case.objects.count() == TINY["cases"]
    assert Assessment.objects.count() == 3 * TINY["cases"]
    assert Condition.objects.count() == Assessment.objects.filter(status="conditionally_approved").count() > 0
    assert CaseEvent.objects.count() == reference.counts["case_events"] >= 2 * TINY["cases"]
    # The counts it reports (the summary quotes them) are the database's.
    open_ = Assessment.objects.filter(status__in=Assessment.OPEN)
    assert reference.counts["open_assessments"] == open_.count() > 0
    assert reference.counts["refusals"] == Assessment.objects.filter(status="not_approved").count() > 0
    # Every operator and FSP has someone to log in as.
    assert Membership.objects.filter(role="so_engineer").count() == 166
    assert Membership.objects.filter(role="fsp_user").count() == TINY["fsps"]
    assert Organisation.objects.filter(kind="regulator").count() == 1
    # A realistic mix: decisions of every kind, open assessments, a few stopped clocks.
    statuses = set(Assessment.objects.values_list("status", flat=True))
    decisions = {"approved", "approved_by_silence", "conditionally_approved", "not_approved"}
    assert decisions | {"pending"} <= statuses
    assert Case.objects.filter(status="under_assessment").exists()


def test_a_sample_of_every_model_passes_full_clean(reference):
    from accounts.models import Organisation
    from observability.models import ConnectionPoint, ObservabilityArea, SystemOperator
    from prequal.models import Assessment, Case, Condition, Fsp, Spu

    rng = random.Random(1)
    for model in (Organisation, SystemOperator, ObservabilityArea, Fsp, ConnectionPoint, Spu, Case,
                  Assessment, Condition):
        ids = list(model.objects.values_list("pk", flat=True))
        assert ids, model
        for obj in model.objects.filter(pk__in=rng.sample(ids, min(25, len(ids)))):
            # EIC, GSRN, bidding zones, capacities, condition windows... The FSM status is protected
            # (full_clean would set it): checked against its choices below.
            obj.full_clean(exclude=["status"] if model in (Case, Assessment) else None)
    assert set(Case.objects.values_list("status", flat=True)) <= set(Case.Status.values)
    assert set(Assessment.objects.values_list("status", flat=True)) <= set(Assessment.Status.values)
    for area in ObservabilityArea.objects.all():
        assert area.geometry.is_valid


def test_each_case_status_follows_from_its_assessments(reference):
    from prequal.models import Assessment, Case, CaseEvent
    from prequal.services.cases import outcome_method

    method_status = {"approve": "approved", "approve_conditionally": "conditionally_approved",
                     "refuse": "not_approved"}
    now = timezone.now()
    by_case: dict[int, list[Assessment]] = {}
    for a in Assessment.objects.order_by("case_id", "pk"):
        by_case.setdefault(a.case_id, []).append(a)
    actions = {}
    for case_id, action in CaseEvent.objects.values_list("case_id", "action"):
        actions.setdefault(case_id, set()).add(action)
    for case in Case.objects.all():
        assessments = by_case[case.pk]
        statuses = [a.status for a in assessments]
        assert len({a.system_operator_id for a in assessments}) == 3
        assert {"submit", "open_assessment"} <= actions[case.pk]
        if case.status == "withdrawn":
            assert "cancelled" in statuses and not set(statuses) & set(Assessment.OPEN)
            assert "withdraw" in actions[case.pk]
        elif case.status == "under_assessment":
            assert set(statuses) & set(Assessment.OPEN)
            assert case.decided_at is None
        else:
            assert method_status[outcome_method(statuses)] == case.status
            assert case.decided_at == max(a.decided_at for a in assessments)
            assert case.valid_until > case.decided_at
        for a in assessments:
            if a.status == "pending":
                # The sweep has nothing to do: a running clock is in the future, a stopped one empty.
                assert a.deadline is None or a.deadline > now
                assert a.deadline is not None or case.supplement_due is not None
            if a.status == "incomplete":
                assert a.deadline is None and a.missing_information and case.supplement_due > now
            if a.status in Assessment.DECIDED:
                assert a.decided_at <= now
                assert (a.decided_by_id is None) == (a.status == "approved_by_silence")
            if a.status == "not_approved":
                assert a.justification and a.limits_explanation


def test_the_real_pages_work_on_the_generated_data(reference, client):
    from accounts.models import User
    from prequal.models import Case

    engineer = User.objects.get(pk=reference.engineer_by_so[reference.tso_id])
    client.force_login(engineer)
    response = client.get(reverse("prequal:queue"))
    assert response.status_code == 200
    assert len(response.context["page_obj"].object_list) > 0
    case = Case.objects.filter(status="conditionally_approved").first()
    assert client.get(reverse("prequal:case-detail", args=[case.pk])).status_code == 200
    fsp_user = User.objects.get(pk=reference.fsp_user_by_fsp[case.fsp_id])
    client.force_login(fsp_user)
    response = client.get(reverse("prequal:spu-list"))
    assert response.status_code == 200 and len(response.context["page_obj"].object_list) > 0


def test_identifiers_are_valid_and_unique():
    from common.validators import is_valid_eic, is_valid_gsrn

    eics = {refdata.eic_make("44X", n) for n in range(300)}
    assert len(eics) == 300 and all(is_valid_eic(e) and len(e) == 16 for e in eics)
    assert is_valid_eic(refdata.TSO_EIC)
    gsrns = {refdata.gsrn_make(n) for n in range(1, 500)}
    assert len(gsrns) == 499 and all(is_valid_gsrn(g) for g in gsrns)


def _env(name: str) -> dict:
    return child_env(DATABASE_URL=os.environ["DATABASE_URL"], GRIDPREQUAL_REFERENCE_DB=name)


@pytest.mark.postgres
def test_queue_bench_runs_end_to_end_on_the_tiny_preset(tmp_path):
    doc = tmp_path / "PERFORMANCE.md"
    doc.write_text("# Performance\n\nAnother benchmark's section stays.\n")
    result = subprocess.run(
        [sys.executable, "bench/queue_bench.py", "--preset", "tiny", "--runs", "2", "--requests", "20",
         "--json", str(tmp_path / "queue.json"), "--write", str(doc)],
        cwd=ROOT, env=_env("gridprequal_reference_queue_test"), capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    data = json.loads((tmp_path / "queue.json").read_text())
    assert data["bench"] == "queue" and "PostgreSQL" in data["machine"]
    keys = [row["key"] for row in data["rows"]]
    assert keys[:2] == ["queue-local", "queue-tso"] and "case" in keys and "spu-list" in keys
    assert {"dashboard-tso", "dashboard-local", "dashboard-fsp"} <= set(keys)  # issue 15
    for row in data["rows"]:
        assert set(row) >= ROW_KEYS and len(row["runs"]) == 2
        assert row["floor"] > 0 and row["ratio"] > 0 and row["queries"] > 0
    queue = [row for row in data["rows"] if row["key"].startswith("queue")]
    assert all(row["budget"] == "≤ 150 ms" for row in queue)
    text = doc.read_text()
    assert "Another benchmark's section stays." in text and "<!-- queue-bench:start -->" in text
    assert "EXPLAIN (ANALYZE, BUFFERS)" in text


@pytest.mark.postgres
def test_run_all_writes_the_summary_at_the_top(tmp_path):
    doc = tmp_path / "PERFORMANCE.md"
    doc.write_text("# Performance\n\nMeasured by the scripts in `bench/` (SPEC §7).\n\n"
                   "<!-- older:start -->\nAn older section stays.\n<!-- older:end -->\n")
    result = subprocess.run(
        [sys.executable, "bench/run_all.py", "--preset", "tiny", "--runs", "1", "--only", "report,sweep",
         "--write", str(doc), "--out", str(tmp_path / "out")],
        cwd=ROOT, env=_env("gridprequal_reference_run_all_test"), capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    text = doc.read_text()
    # The summary sits under the header, above every bench's own section.
    assert text.index("<!-- summary:start -->") < text.index("<!-- older:start -->")
    assert text.index("<!-- summary:end -->") < text.index("<!-- report-bench:start -->")
    summary = text.split("<!-- summary:start -->")[1].split("<!-- summary:end -->")[0]
    assert "bench/run_all.py --preset tiny --runs 1 --only report,sweep" in summary
    assert "annual report" in summary and "(reference data)" in summary and "≤ 10 s" in summary
    assert "deadline sweep" in summary and "≤ 60 s" in summary
    assert "Reference data set" in summary and "PostgreSQL" in summary
    assert "An older section stays." in text and "<!-- sweep-bench:start -->" in text
    report = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert set(report["benches"]) == {"report", "sweep"}
    assert all("rows" in r for r in report["benches"].values())


def test_run_all_reports_a_failing_bench_as_not_run(tmp_path, monkeypatch):
    import run_all

    monkeypatch.setattr(run_all, "bench_command", lambda bench, **kw: [
        sys.executable, "-c", "import sys; sys.exit('activation_bench.py: error: unrecognized arguments')"])
    report = run_all.run(
        preset="tiny", runs=1, only=["activation"], doc=tmp_path / "P.md", out=tmp_path / "o"
    )
    assert report["benches"]["activation"]["error"].endswith("unrecognized arguments")
    text = run_all.summary(report, command="x", preset="tiny", runs=1, machine="m")
    assert "| activation | not run: activation_bench.py: error: unrecognized arguments |" in text


def test_the_reference_fill_counts_its_decisions_in_the_rollup(reference):
    """The history is written past the decision services: the fill rebuilds the decisions'
    rollup, and it reads what the report counts directly (the NRA dashboard reads it)."""
    from observability.models import SystemOperator
    from prequal.models import DecisionRollup
    from reports.builder import decision_counts
    from reports.selectors import report_decision_counts, report_decisions

    operators = SystemOperator.objects.all()
    year = timezone.localtime(reference.now).year
    read = report_decision_counts(operators=operators, years=(year - 1, year))
    assert DecisionRollup.objects.exists()
    for y in (year - 1, year):
        assert read[y] == decision_counts(report_decisions(operators=operators, year=y)), y
