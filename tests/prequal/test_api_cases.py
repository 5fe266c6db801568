"""The workflow over the REST API: journeys, errors, the queue.

Who may do what over the API: tests/access/test_cases_api.py."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from prequal.models import Assessment, Case
from prequal.services.cases import assessment_decide
from tests.factories import ProductFactory
from tests.workflow_helpers import T0, decide_body
from tests.workflow_helpers import api_url as url

# --- FSP journey ----------------------------------------------------------------------------


def test_fsp_creates_previews_submits_and_follows_a_case(wf, api_as):
    fsp = api_as(wf.cast.fsp_a_user)
    with time_machine.travel(T0, tick=False):
        response = fsp.post(url("case-list"), {"spu": wf.spu.pk, "product": "mfrr-energy"}, format="json")
        assert response.status_code == 201, response.json()
        case_id = response.json()["id"]
        assert response.json()["status"] == "draft"

        preview = fsp.get(url("case-assessing-sos", case_id)).json()
        assert sorted((p["system_operator"]["name"], p["reasons"][0]) for p in preview) == [
            ("Local DSO", "connecting"),
            ("Svenska kraftnät", "procuring"),
        ]
        assert {p["legal_basis"] for p in preview} == {"SO GL Art. 182(3)"}
        assert {p["deadline"] for p in preview} == {"2027-04-11T10:00:00+02:00"}  # 08:00 UTC

        response = fsp.post(url("case-submit", case_id), {}, format="json")
        assert response.status_code == 200, response.json()
    detail = response.json()
    assert detail["status"] == "under_assessment"
    assert {a["legal_basis"] for a in detail["assessments"]} == {"SO GL Art. 182(3)"}
    assert [e["action"] for e in detail["timeline"]] == ["submit", "open_assessment"]
    assert detail["timeline"][0]["actor"] == "fsp_a_user"

    local = next(a for a in detail["assessments"] if a["system_operator"]["name"] == "Local DSO")
    engineer = api_as(wf.cast.local_engineer)
    response = engineer.post(
        url("assessment-decide", local["id"]),
        {
            "outcome": "conditionally_approved",
            "reason": "Winter peak",
            "conditions": [
                {
                    "max_up_mw": 2,
                    "months": [12, 1, 2],
                    "weekdays": [0, 1, 2, 3, 4],
                    "start_time": "07:00",
                    "end_time": "09:00",
                }
            ],
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["conditions"][0]["time_zone"] == "Europe/Stockholm"

    listing = fsp.get(url("case-list"), {"status": "under_assessment", "product": "mfrr-energy"}).json()
    assert [c["id"] for c in listing["results"]] == [case_id]
    assert fsp.get(url("case-list"), {"status": "approved"}).json()["count"] == 0
    detail = fsp.get(url("case-detail", case_id)).json()
    assert {a["status"] for a in detail["assessments"]} == {"conditionally_approved", "pending"}
    assert detail["assessments"][0]["conditions"] or detail["assessments"][1]["conditions"]


def test_fsp_edits_and_deletes_a_draft(wf, api_as):
    fsp = api_as(wf.cast.fsp_a_user)
    case_id = fsp.post(url("case-list"), {"spu": wf.spu.pk, "product": "mfrr-energy"}, format="json").json()[
        "id"
    ]
    other = ProductFactory(code="fcr-n", procuring_so=wf.cast.tso)
    response = fsp.patch(url("case-detail", case_id), {"product": other.code}, format="json")
    assert response.status_code == 200 and response.json()["product"] == "fcr-n"
    assert fsp.delete(url("case-detail", case_id)).status_code == 204
    assert not Case.objects.filter(pk=case_id).exists()


def test_bad_input_gets_a_message_per_field(wf, api_as):
    fsp = api_as(wf.cast.fsp_a_user)
    response = fsp.post(url("case-list"), {"spu": wf.spu.pk, "spg": 1, "product": "nope"}, format="json")
    assert response.status_code == 400 and "spu" in response.json()["errors"]
    response = fsp.post(url("case-list"), {"spu": wf.spu.pk, "product": "nope"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["product"] == ["No product has the code nope."]
    response = fsp.post(
        url("case-list"), {"spu": wf.spu.pk, "product": "mfrr-energy", "colour": 1}, format="json"
    )
    assert response.json()["errors"]["colour"] == ["Unknown field."]


def test_withdraw_and_supply_information(wf, api_as):
    case = wf.submitted()
    local = wf.assessment(case, wf.cast.local)
    engineer = api_as(wf.cast.local_engineer)
    response = engineer.post(
        url("assessment-declare-incomplete", local.pk),
        {"missing_information": "Single-line diagram"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["status"] == "incomplete"
    assert response.json()["deadline"] is None
    response = engineer.post(
        url("assessment-declare-incomplete", local.pk), {"missing_information": "More"}, format="json"
    )
    assert response.status_code == 409 and "only once" in response.json()["detail"]

    fsp = api_as(wf.cast.fsp_a_user)
    assert fsp.get(url("case-detail", case.pk)).json()["supplement_due"] is not None
    response = fsp.post(url("case-supply-information", case.pk), {"information": ""}, format="json")
    assert response.status_code == 400 and "information" in response.json()["errors"]
    response = fsp.post(url("case-supply-information", case.pk), {"information": "Uploaded"}, format="json")
    assert response.status_code == 200
    assert {a["status"] for a in response.json()["assessments"]} == {"pending"}

    response = fsp.post(url("case-withdraw", case.pk), {"reason": "Sold"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    response = fsp.post(url("case-withdraw", case.pk), {}, format="json")
    assert response.status_code == 409


# --- decisions ------------------------------------------------------------------------------


def test_refusal_without_justification_is_refused_with_field_messages(wf, api_as):
    case = wf.submitted()
    local = wf.assessment(case, wf.cast.local)
    engineer = api_as(wf.cast.local_engineer)
    response = engineer.post(url("assessment-decide", local.pk), {"outcome": "not_approved"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"justification", "limits_explanation"}
    assert Assessment.objects.get(pk=local.pk).status == "pending"
    response = engineer.post(
        url("assessment-decide", local.pk),
        {
            "outcome": "not_approved",
            "justification": "Transformer full",
            "limits_explanation": "Structural, not temporary",
        },
        format="json",
    )
    assert response.status_code == 200 and response.json()["status"] == "not_approved"


def test_bad_condition_is_reported_on_its_field(wf, api_as):
    case = wf.submitted()
    local = wf.assessment(case, wf.cast.local)
    response = api_as(wf.cast.local_engineer).post(
        url("assessment-decide", local.pk),
        {
            "outcome": "conditionally_approved",
            "reason": "x",
            "conditions": [{"months": [13], "max_up_mw": -1}],
        },
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]["conditions"]["0"]) == {"months", "max_up_mw"}


def test_a_stale_decision_gets_409_changed_meanwhile(wf, api_as):
    case = wf.submitted()
    local = wf.assessment(case, wf.cast.local)
    assessment_decide(user=wf.cast.local_engineer, assessment=local, outcome="approved")
    response = api_as(wf.cast.local_engineer).post(
        url("assessment-decide", local.pk), decide_body(), format="json"
    )
    assert response.status_code == 409
    assert "approved" in response.json()["detail"]


# --- SO queue -------------------------------------------------------------------------------


def test_queue_lists_own_open_assessments_by_deadline_with_filters(wf, api_as):
    with time_machine.travel(T0, tick=False):
        first = wf.submitted()
    with time_machine.travel(datetime(2027, 1, 1, 9, 0, tzinfo=UTC), tick=False):
        earlier = wf.spg_case()
    engineer = api_as(wf.cast.local_engineer)
    rows = engineer.get(url("assessment-queue")).json()["results"]
    assert [r["case"]["id"] for r in rows] == [earlier.pk, first.pk]
    assert {r["system_operator"]["name"] for r in rows} == {"Local DSO"}
    assert rows[0]["legal_basis"] == "SO GL Art. 182(3)"

    only_spu = engineer.get(url("assessment-queue"), {"connecting_so": wf.cast.other_local.pk}).json()
    assert [r["case"]["id"] for r in only_spu["results"]] == [earlier.pk]
    assert engineer.get(url("assessment-queue"), {"product": "other"}).json()["count"] == 0
    assert engineer.get(url("assessment-queue"), {"status": "incomplete"}).json()["count"] == 0
    assert engineer.get(url("assessment-queue"), {"status": "approved"}).status_code == 400

    assessment_decide(
        user=wf.cast.local_engineer, assessment=wf.assessment(first, wf.cast.local), outcome="approved"
    )
    rows = engineer.get(url("assessment-queue")).json()["results"]
    assert [r["case"]["id"] for r in rows] == [earlier.pk]
    assert api_as(wf.cast.fsp_a_user).get(url("assessment-queue")).json()["count"] == 0


def test_queue_query_count_does_not_grow_with_the_data(wf, api_as):
    engineer = api_as(wf.cast.local_engineer)
    wf.submitted()
    engineer.get(url("assessment-queue"))
    with CaptureQueriesContext(connection) as small:
        assert engineer.get(url("assessment-queue")).status_code == 200
    for _ in range(4):
        wf.spg_case()
    with CaptureQueriesContext(connection) as large:
        assert engineer.get(url("assessment-queue")).json()["count"] == 5
    assert len(large) == len(small)


