"""Case pages in the browser (server side): FSP applications, the SO queue, decisions (SPEC R2–R6, §4)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from prequal.models import Assessment, Case, CaseEvent, Condition
from tests.factories import ConnectionPointFactory, SpuFactory
from tests.personas import login
from tests.workflow_helpers import case_page, decide_by_form, decide_page

pytestmark = pytest.mark.django_db

# --- FSP: apply, preview, submit, withdraw, supply -------------------------------------------


def test_fsp_creates_a_draft_sees_who_assesses_and_by_when_then_submits(client, wf):
    login(client, wf.cast.fsp_a_user)

    response = client.post(reverse("prequal:case-create"), {
        "fsp": wf.cast.fsp_a.pk, "kind": "spu", "code": "BAT-1", "product": wf.product.pk,
    })

    case = Case.objects.get()
    assert response.status_code == 302 and response.url == case_page(case)
    assert case.status == Case.Status.DRAFT
    page = client.get(case_page(case)).content.decode()
    assert "Who will assess this application, and by when" in page
    assert "Local DSO" in page and "Svenska kraftnät" in page
    assert "SO GL Art. 182(3)" in page
    assert "Connecting SO" in page and "Procuring SO" in page

    response = client.post(reverse("prequal:case-submit", kwargs={"pk": case.pk}), follow=True)

    case.refresh_from_db()
    assert case.status == Case.Status.UNDER_ASSESSMENT
    assert "submitted" in response.content.decode()
    assert set(case.assessments.values_list("system_operator_id", flat=True)) == {
        wf.cast.local.pk, wf.cast.tso.pk,
    }


def test_an_unknown_code_is_refused_on_its_field_and_creates_nothing(client, wf):
    login(client, wf.cast.fsp_a_user)

    response = client.post(reverse("prequal:case-create"), {
        "fsp": wf.cast.fsp_a.pk, "kind": "spu", "code": "NOPE-9", "product": wf.product.pk,
    })

    assert response.status_code == 200
    # The picker's answer (prequal.selectors.pickers): nothing the FSP may choose has that key.
    assert "No SPU you may choose matches “NOPE-9”" in response.content.decode()
    assert "NOPE-9" in response.context["form"].errors["code"][0]
    assert not Case.objects.exists()


def test_a_second_open_application_for_the_same_unit_and_product_is_refused(client, wf):
    wf.submitted()
    login(client, wf.cast.fsp_a_user)

    response = client.post(reverse("prequal:case-create"), {
        "fsp": wf.cast.fsp_a.pk, "kind": "spu", "code": "BAT-1", "product": wf.product.pk,
    })

    assert response.status_code == 200
    assert "already has case" in response.content.decode()
    assert Case.objects.count() == 1


def test_fsp_withdraws_an_undecided_case(client, wf):
    case = wf.submitted()
    login(client, wf.cast.fsp_a_user)

    client.post(reverse("prequal:case-withdraw", kwargs={"pk": case.pk}), {"reason": "Sold the battery"})

    case.refresh_from_db()
    assert case.status == Case.Status.WITHDRAWN
    assert not case.assessments.filter(status__in=Assessment.OPEN).exists()
    assert "Sold the battery" in client.get(case_page(case)).content.decode()


def test_incomplete_then_supplied_restarts_the_clocks(client, wf):
    case = wf.submitted()
    local = wf.assessment(case, wf.cast.local)
    login(client, wf.cast.local_engineer)
    client.post(
        reverse("prequal:assessment-declare-incomplete", kwargs={"pk": local.pk}),
        {"missing_information": "Single-line diagram of the site"},
    )
    local.refresh_from_db()
    assert local.status == Assessment.Status.INCOMPLETE

    login(client, wf.cast.fsp_a_user)
    page = client.get(case_page(case)).content.decode()
    assert "Single-line diagram of the site" in page
    assert "Supply the information" in page
    client.post(reverse("prequal:case-supply-information", kwargs={"pk": case.pk}),
                {"information": "Diagram sent as SLD-2026-1.pdf"})

    local.refresh_from_db()
    case.refresh_from_db()
    assert local.status == Assessment.Status.PENDING
    assert local.deadline is not None and case.supplement_due is None
    assert "Information supplied" in client.get(case_page(case)).content.decode()


# --- SO: queue and decisions ------------------------------------------------------------------


def test_queue_lists_own_open_assessments_by_deadline_with_days_left(client, wf):
    first = wf.submitted()
    other_spu = SpuFactory(
        fsp=wf.cast.fsp_a, connection_point=ConnectionPointFactory(connecting_so=wf.cast.local)
    )
    second = wf.submitted(spu=other_spu)
    soon = timezone.now() + timedelta(days=3)
    Assessment.objects.filter(case=second).update(deadline=soon)
    login(client, wf.cast.local_engineer)

    response = client.get(reverse("prequal:queue"))

    page = response.content.decode()
    assert response.status_code == 200
    rows = list(response.context["page_obj"])
    assert [a.case_id for a in rows] == [second.pk, first.pk]
    assert all(a.system_operator_id == wf.cast.local.pk for a in rows)
    assert 'class="soon"' in page
    assert "SO GL Art. 182(3)" in page


def test_queue_filters_by_status_and_product(client, wf):
    case = wf.submitted()
    login(client, wf.cast.local_engineer)

    assert len(client.get(reverse("prequal:queue"), {"status": "incomplete"}).context["page_obj"]) == 0
    assert len(client.get(reverse("prequal:queue"), {"status": "pending"}).context["page_obj"]) == 1
    assert len(client.get(reverse("prequal:queue"), {"product": wf.product.pk}).context["page_obj"]) == 1
    by_so = client.get(reverse("prequal:queue"), {"connecting_so": wf.cast.other_local.pk})
    assert len(by_so.context["page_obj"]) == 0
    assert case.pk


def test_queue_runs_a_constant_number_of_queries(client, wf):
    wf.submitted()
    login(client, wf.cast.local_engineer)
    client.get(reverse("prequal:queue"))  # warm caches (sessions, content types)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("prequal:queue"))
    for _ in range(4):
        wf.submitted(spu=SpuFactory(fsp=wf.cast.fsp_a,
                                    connection_point=ConnectionPointFactory(connecting_so=wf.cast.local)))
    with CaptureQueriesContext(connection) as five:
        response = client.get(reverse("prequal:queue"))
    assert len(response.context["page_obj"]) == 5
    assert len(five.captured_queries) == len(one.captured_queries)


def test_engineer_approves_with_a_condition_in_local_time(client, wf):
    case = wf.submitted()
    local = wf.assessment(case, wf.cast.local)
    login(client, wf.cast.local_engineer)

    response = decide_by_form(
        client, local, outcome="conditionally_approved", reason="Feeder F12 is congested on winter mornings",
        **{"conditions-0-max_up_mw": "0.2", "conditions-0-months": ["12", "1", "2"],
           "conditions-0-weekdays": ["0", "1", "2", "3", "4"],
           "conditions-0-start_time": "07:00", "conditions-0-end_time": "09:00",
           "conditions-0-valid_to": "2030-03-31T00:00"},
    )

    assert response.status_code == 302
    local.refresh_from_db()
    assert local.status == Assessment.Status.CONDITIONALLY_APPROVED
    condition = Condition.objects.get(assessment=local)
    assert condition.months == [12, 1, 2] or sorted(condition.months) == [1, 2, 12]
    assert condition.weekdays == [0, 1, 2, 3, 4]
    assert f"{condition.start_time:%H:%M}-{condition.end_time:%H:%M}" == "07:00-09:00"
    # 2030-03-31 00:00 in Stockholm is still winter time (UTC+1): 23:00 UTC the day before.
    assert condition.valid_to.isoformat() == "2030-03-30T23:00:00+00:00"
    page = client.get(case_page(case)).content.decode()
    assert "Feeder F12 is congested on winter mornings" in page
    assert "07:00–09:00" in page


def test_a_refusal_without_justification_is_refused_with_the_reason_and_changes_nothing(client, wf):
    case = wf.submitted()
    local = wf.assessment(case, wf.cast.local)
    login(client, wf.cast.local_engineer)

    response = decide_by_form(client, local, outcome="not_approved")

    assert response.status_code == 200
    page = response.content.decode()
    assert "A refusal needs a justification." in page
    assert "A refusal must explain why temporary limits cannot resolve the issue" in page
    local.refresh_from_db()
    assert local.status == Assessment.Status.PENDING
    assert not CaseEvent.objects.filter(assessment=local).exists()


def test_a_conditional_approval_without_conditions_is_refused(client, wf):
    case = wf.submitted()
    local = wf.assessment(case, wf.cast.local)
    login(client, wf.cast.local_engineer)

    response = decide_by_form(client, local, outcome="conditionally_approved", reason="Congestion")

    assert "A conditional approval needs at least one condition." in response.content.decode()
    assert Assessment.objects.get(pk=local.pk).status == Assessment.Status.PENDING


def test_a_decision_on_a_copy_that_changed_meanwhile_is_refused(client, wf):
    case = wf.submitted()
    local = wf.assessment(case, wf.cast.local)
    stale_seen = local.updated_at.isoformat()
    # A colleague decides first.
    from prequal.services.cases import assessment_decide

    colleague = wf.cast.local_engineer
    assessment_decide(user=colleague, assessment=local, outcome="approved")
    login(client, wf.cast.local_engineer)

    response = client.post(decide_page(local), {
        "seen": stale_seen, "outcome": "not_approved", "justification": "x", "limits_explanation": "y",
        "conditions-TOTAL_FORMS": "0", "conditions-INITIAL_FORMS": "0",
    }, follow=True)

    assert "changed meanwhile" in response.content.decode()
    assert Assessment.objects.get(pk=local.pk).status == Assessment.Status.APPROVED


def test_approved_by_silence_is_shown_on_the_case_page(client, wf):
    from prequal.services.sweep import deadlines_sweep

    case = wf.submitted()
    Assessment.objects.filter(case=case).update(deadline=timezone.now() - timedelta(minutes=1))
    deadlines_sweep()
    login(client, wf.cast.fsp_a_user)

    page = client.get(case_page(case)).content.decode()

    assert page.count("Approved by silence") >= 2
    assert "no decision by the deadline" in page
    assert "Deadline" in page


def test_the_case_page_shows_points_other_assessments_and_timeline_to_an_engineer(client, wf):
    case = wf.submitted()
    login(client, wf.cast.local_engineer)

    response = client.get(case_page(case))

    page = response.content.decode()
    point = wf.spu.connection_point
    assert point.gsrn in page
    assert f"{point.latitude:.5f}" in page
    assert "Svenska kraftnät" in page  # the TSO's assessment, read-only for the local DSO
    assert "Submitted" in page and "Assessments opened" in page
    assert response.context["map_config"]["data"]["features"]


def test_the_application_list_shows_approvals_by_silence(client, wf):
    from prequal.services.sweep import deadlines_sweep

    case = wf.submitted()
    Assessment.objects.filter(case=case).update(deadline=timezone.now() - timedelta(minutes=1))
    deadlines_sweep()
    login(client, wf.cast.fsp_a_user)

    page = client.get(reverse("prequal:case-list")).content.decode()

    assert f"#{case.pk}" in page
    assert "2 approvals by silence" in page


def test_the_menu_leads_fsps_to_applications_and_sos_to_the_queue(client, cast):
    login(client, cast.fsp_a_user)
    fsp_page = client.get(reverse("prequal:case-list")).content.decode()
    assert reverse("prequal:case-list") in fsp_page and reverse("prequal:queue") not in fsp_page

    login(client, cast.local_engineer)
    so_page = client.get(reverse("prequal:queue")).content.decode()
    assert f'href="{reverse("prequal:queue")}"' in so_page


def test_an_spg_case_lists_its_members_and_every_connection_point(client, wf):
    case = wf.spg_case()
    login(client, wf.cast.other_local_engineer)

    response = client.get(case_page(case))

    assert response.status_code == 200
    page = response.content.decode()
    members = list(case.spg.memberships.select_related("spu__connection_point"))
    assert len(members) == 2
    for membership in members:
        assert membership.spu.code in page
        assert membership.spu.connection_point.gsrn in page
    assert "Other local DSO" in page and "Local DSO" in page


def test_a_draft_group_without_members_says_why_no_one_can_assess_it(client, wf):
    from tests.factories import SpgFactory

    draft = wf.draft(spg=SpgFactory(fsp=wf.cast.fsp_a, code="EMPTY-1"))
    login(client, wf.cast.fsp_a_user)

    page = client.get(case_page(draft)).content.decode()

    assert "The SPG has no current members: add SPUs to it before applying." in page


def test_conditions_typed_into_an_approval_are_refused_not_dropped(client, wf):
    case = wf.submitted()
    local = wf.assessment(case, wf.cast.local)
    login(client, wf.cast.local_engineer)

    response = decide_by_form(client, local, outcome="approved", **{"conditions-0-max_up_mw": "1"})

    assert response.status_code == 200
    assert "Only a conditional approval carries conditions." in response.content.decode()
    assert Assessment.objects.get(pk=local.pk).status == Assessment.Status.PENDING


def test_a_reassessed_case_keeps_its_previous_outcome_visible(client, wf):
    from prequal.services.cases import assessment_decide, resource_material_change

    case = wf.submitted()
    assessment_decide(user=wf.cast.local_engineer, assessment=wf.assessment(case, wf.cast.local),
                      outcome="approved")
    assessment_decide(user=wf.cast.tso_engineer, assessment=wf.assessment(case, wf.cast.tso),
                      outcome="approved")
    resource_material_change(spu=wf.spu, reason="Capacity raised to 900 kW")
    login(client, wf.cast.fsp_a_user)

    page = client.get(case_page(case)).content.decode()

    assert "Under re-assessment after a material change of the resource" in page
    assert "Approved (decided" in page
    assert "Earlier assessment rounds" in page
    assert "Capacity raised to 900 kW" in page


def test_fsp_applies_for_a_group_by_its_code(client, wf):
    from tests.factories import SpgFactory, SpgMembershipFactory

    spg = SpgFactory(fsp=wf.cast.fsp_a, code="GRP-9")
    SpgMembershipFactory(spg=spg, spu=wf.spu, valid_from=timezone.now() - timedelta(days=1))
    login(client, wf.cast.fsp_a_user)

    response = client.post(reverse("prequal:case-create"), {
        "fsp": wf.cast.fsp_a.pk, "kind": "spg", "code": "GRP-9", "product": wf.product.pk,
    })

    case = Case.objects.get()
    assert response.status_code == 302
    assert (case.spg_id, case.spu_id, case.status) == (spg.pk, None, Case.Status.DRAFT)
    # Another FSP's group is not found under that FSP's code.
    login(client, wf.cast.fsp_b_user)
    response = client.post(reverse("prequal:case-create"), {
        "fsp": wf.cast.fsp_b.pk, "kind": "spg", "code": "GRP-9", "product": wf.product.pk,
    })
    assert "No SPG you may choose matches “GRP-9”" in response.content.decode()
    assert Case.objects.count() == 1
