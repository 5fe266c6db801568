"""The dashboards' figures read their indexes on PostgreSQL (issue 15, SPEC §7 queue budget), on
the bulk data set of tests/platform/test_explain.py (120,000 assessments over four years).

An SO's queue figures are counted from `assessment_open_figures` and the FSP's decisions of the
month from `assessment_decided_figures` alone (index-only scans: what the counts filter on rides
in the index); the cases waiting for the FSP's information from the partial `case_fsp_waiting`,
not from every case of the FSP.
"""

from __future__ import annotations

import json

import pytest

from accounts.models import Membership
from tests.platform import test_explain as explain

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

bulk = explain.bulk  # the bulk data set, a fixture here too
FSP = explain.BASE + 3


def test_the_fsps_decisions_this_month_are_counted_from_the_index_alone(bulk):
    from dashboards.selectors_fsp import _decision_figures

    statements = explain._on("prequal_assessment", explain._captured(
        lambda: _decision_figures(fsp_ids=[FSP], now=explain.NOW)
    ))
    assert len(statements) == 1
    plan = explain._plan(statements[0])
    scans = [n for n in explain._nodes(plan) if n.get("Relation Name") == "prequal_assessment"]
    assert [(n["Node Type"], n.get("Index Name")) for n in scans] == [
        ("Index Only Scan", "assessment_decided_figures")
    ], json.dumps(plan, indent=1)


def test_the_cases_waiting_for_the_fsp_are_counted_from_their_partial_index(bulk):
    from prequal.selectors.cases import WAITING_INFORMATION, case_list_for_user

    user = explain._member(explain.BASE + 1000 + 3, Membership.Role.FSP_USER)
    statements = explain._on("prequal_case", explain._captured(
        lambda: case_list_for_user(user=user, waiting=WAITING_INFORMATION).order_by().count()
    ))
    assert len(statements) == 1
    plan = explain._plan(statements[0])
    assert "case_fsp_waiting" in explain._indexes(plan), json.dumps(plan, indent=1)
    assert "prequal_case" not in explain._seq_scanned(plan), json.dumps(plan, indent=1)


def test_an_sos_queue_figures_are_counted_from_the_index_alone(bulk):
    from dashboards.selectors_so import _queue_figures

    user = explain._member(explain.BASE + 1, Membership.Role.SO_ENGINEER)  # the TSO: every case
    statements = explain._on("prequal_assessment", explain._captured(
        lambda: _queue_figures(user=user, now=explain.NOW)
    ))
    assert len(statements) == 1
    plan = explain._plan(statements[0])
    scans = [n for n in explain._nodes(plan) if n.get("Relation Name") == "prequal_assessment"]
    assert [(n["Node Type"], n.get("Index Name")) for n in scans] == [
        ("Index Only Scan", "assessment_open_figures")
    ], json.dumps(plan, indent=1)
