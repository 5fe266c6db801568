"""R5 with R6/R8/R9: a condition keeps its validity period and its note wherever it is shown.

A condition valid only for three months of cable works must never read as a permanent block:
the case outcome, the case page, the e-mails, the API, the activation check's reasons and the
annual report (CSV, XLSX, PDF) all carry its validity and note (issue 13).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from limits.activation import GREEN, RED
from prequal.models import Case, Condition
from tests.limit_helpers import check, conditional
from tests.rules.test_r9_annual_report import parse_csv, parse_xlsx, pdf_text
from tests.workflow_helpers import T0, api_url, approve, approve_conditionally, case_page

# Three months of cable works, 1 February – 1 May 2027 in Stockholm (CET: UTC+1 in winter).
VALID_FROM = datetime(2027, 1, 31, 23, 0, tzinfo=UTC)
VALID_TO = datetime(2027, 4, 30, 22, 0, tzinfo=UTC)  # 00:00 CEST on 1 May
NOTE = "Cable works on feeder F12"
VALIDITY = "valid 2027-02-01 00:00 – 2027-05-01 00:00 (Europe/Stockholm)"
NIGHTLY_BLOCK = {"start_time": "22:00", "end_time": "06:00", "valid_from": VALID_FROM, "valid_to": VALID_TO,
                 "note": NOTE}


@pytest.fixture
def decided(wf, django_capture_on_commit_callbacks):
    """A case the local DSO approves with a nightly block during the cable works; the TSO approves."""
    mail.outbox.clear()
    with time_machine.travel(T0, tick=False), django_capture_on_commit_callbacks(execute=True):
        case = wf.submitted()
        approve_conditionally(wf.cast.local_engineer, wf.assessment(case, wf.cast.local), [NIGHTLY_BLOCK])
        approve(wf.cast.tso_engineer, wf.assessment(case, wf.cast.tso))
    case = wf.fresh(case)
    assert case.status == Case.Status.CONDITIONALLY_APPROVED
    return case


def test_the_description_carries_validity_and_note():
    condition = Condition(start_time=time(22), end_time=time(6), time_zone="Europe/Stockholm",
                          valid_from=VALID_FROM, valid_to=VALID_TO, note=NOTE)
    parts = condition.describe().split("; ")
    assert parts == ["not allowed", "22:00–06:00 (Europe/Stockholm)", VALIDITY, f"note: {NOTE}"]
    only_end = Condition(max_up_mw=Decimal(1), time_zone="Europe/Stockholm", valid_to=VALID_TO)
    assert only_end.describe().split("; ")[-1] == "valid until 2027-05-01 00:00 (Europe/Stockholm)"
    only_start = Condition(max_up_mw=Decimal(1), time_zone="Europe/Stockholm", valid_from=VALID_FROM)
    assert only_start.describe().split("; ")[-1] == "valid from 2027-02-01 00:00 (Europe/Stockholm)"
    assert Condition(max_up_mw=Decimal(1)).describe() == "up ≤ 1 MW"  # for good: no validity part


def _items(html: str, testid: str) -> list[str]:
    return [re.sub(r"\s+", " ", m) for m in re.findall(rf'<li data-testid="{testid}">(.*?)</li>', html, re.S)]


def test_the_case_page_shows_validity_and_note_in_the_assessment_and_the_outcome(client, wf, decided):
    client.force_login(wf.cast.fsp_a_user)
    html = client.get(case_page(decided)).content.decode()
    for testid in ("condition", "outcome-condition"):
        (item,) = _items(html, testid)
        assert VALIDITY in item and NOTE in item, testid


def test_the_outcome_email_lists_the_conditions_with_validity_and_note(wf, decided):
    outcome_mails = [m for m in mail.outbox if "Outcome" in m.subject and m.to == ["fsp_a_user@example.org"]]
    decided_mails = [m for m in mail.outbox if "Local DSO decided" in m.subject]
    assert outcome_mails and decided_mails
    for message in (outcome_mails[0], decided_mails[0]):
        line = next(line for line in message.body.splitlines() if line.startswith("- Local DSO: "))
        assert VALIDITY in line and NOTE in line


def test_the_api_gives_the_outcome_conditions_with_validity_and_note(api_as, wf, decided):
    body = api_as(wf.cast.fsp_a_user).get(api_url("case-detail", decided.pk)).json()
    (condition,) = body["outcome_conditions"]
    assert condition["system_operator"]["id"] == wf.cast.local.pk
    assert (condition["valid_from"], condition["valid_to"], condition["note"]) == (
        "2027-02-01T00:00:00+01:00", "2027-05-01T00:00:00+02:00", NOTE)
    assert VALIDITY in condition["description"]
    local = next(a for a in body["assessments"] if a["system_operator"]["id"] == wf.cast.local.pk)
    assert VALIDITY in local["conditions"][0]["description"]


def test_the_annual_report_shows_validity_and_note_in_all_three_formats(client, wf, decided, tmp_path):
    client.force_login(wf.cast.nra_analyst)

    def body(fmt: str) -> bytes:
        response = client.get(reverse("reports:report-download", args=[fmt]), {"year": 2027})
        return b"".join(response.streaming_content)

    rows = {
        "csv": parse_csv(body("csv"))["conditional_and_refused"],
        "xlsx": parse_xlsx(body("xlsx"))["conditional_and_refused"],
    }
    for fmt, table in rows.items():
        (row,) = table
        assert VALIDITY in row[-1] and f"note: {NOTE}" in row[-1], fmt
    text = " ".join(pdf_text(body("pdf"), tmp_path).split())
    for word in ("2027-02-01", "2027-05-01", "F12"):
        assert word in text


def test_the_activation_check_names_the_validity_and_ignores_the_condition_outside_it(grid):
    conditional(grid, **NIGHTLY_BLOCK | {"valid_from": datetime(2027, 6, 1, tzinfo=UTC),
                                         "valid_to": datetime(2027, 9, 1, tzinfo=UTC)})
    night_in_works = datetime(2027, 6, 10, 22, 0, tzinfo=UTC)  # 00:00 CEST
    verdict = check(grid, start=night_in_works)
    assert verdict.color == RED
    assert any("valid 2027-06-01 02:00 – 2027-09-01 02:00" in r and NOTE in r for r in verdict.reasons)
    # The same night after the works: the condition no longer applies.
    assert check(grid, start=night_in_works + timedelta(days=120)).color == GREEN
    assert check(grid, start=datetime(2027, 5, 20, 22, 0, tzinfo=UTC)).color == GREEN  # before them
