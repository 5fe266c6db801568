"""R2 Lifecycle of a case, through its services: drafts, submission, withdrawal, who decides,
re-assessment after a material change, expiry, the audit trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from common.exceptions import ApplicationError
from prequal.models import Assessment, Case, CaseEvent, Condition, ImmutableRecordError
from prequal.services.cases import (
    CaseChangedMeanwhile,
    case_delete_draft,
    case_submit,
    case_update_draft,
    case_withdraw,
)
from prequal.services.resources import spu_update
from prequal.services.sweep import deadlines_sweep
from tests.factories import ProductFactory, SpuFactory
from tests.workflow_helpers import T0, approve, approve_conditionally, refuse

C = Case.Status
A = Assessment.Status
# --- drafts, submission, withdrawal ---------------------------------------------------------


def test_submit_opens_one_assessment_per_assessing_so_with_deadlines(
    wf, at_t0, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = wf.submitted()

    assert case.status == C.UNDER_ASSESSMENT
    assert case.submitted_at == T0 and case.round == 1
    assessments = {a.system_operator_id: a for a in case.assessments.all()}
    assert set(assessments) == {wf.cast.local.pk, wf.cast.tso.pk}
    assert assessments[wf.cast.local.pk].reasons == ["connecting"]
    assert assessments[wf.cast.tso.pk].reasons == ["procuring"]
    for assessment in assessments.values():
        assert assessment.status == A.PENDING
        assert assessment.deadline_rule.legal_basis == "SO GL Art. 182(3)"
        assert assessment.deadline == datetime(2027, 4, 11, 8, 0, tzinfo=UTC)  # 10:00 CEST
    assert [(e.action, e.from_state, e.to_state, e.actor) for e in case.events.all()] == [
        ("submit", C.DRAFT, C.SUBMITTED, wf.cast.fsp_a_user),
        ("open_assessment", C.SUBMITTED, C.UNDER_ASSESSMENT, None),
    ]
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == ["local_engineer@example.org", "tso_engineer@example.org"]
    assert "SO GL Art. 182(3)" not in mail.outbox[0].subject and "New assessment" in mail.outbox[0].subject


def test_draft_can_be_edited_and_deleted_but_a_submitted_case_cannot(wf):
    case = wf.draft()
    other = ProductFactory(procuring_so=wf.cast.tso)
    case_update_draft(user=wf.cast.fsp_a_user, case=case, product=other)
    assert wf.fresh(case).product == other
    case_submit(user=wf.cast.fsp_a_user, case=wf.fresh(case))
    with pytest.raises(ApplicationError, match="Only a draft can be deleted"):
        case_delete_draft(user=wf.cast.fsp_a_user, case=wf.fresh(case))
    second = wf.draft()
    case_delete_draft(user=wf.cast.fsp_a_user, case=second)
    assert not Case.objects.filter(pk=second.pk).exists()


def test_a_second_application_for_the_same_resource_and_product_is_refused(wf):
    first = wf.submitted()
    with pytest.raises(ValidationError) as exc:
        wf.draft()
    assert f"case #{first.pk}" in exc.value.message_dict["product"][0]


def test_another_fsps_user_cannot_act_on_the_case(wf):
    case = wf.draft()
    with pytest.raises(PermissionDenied):
        case_submit(user=wf.cast.fsp_b_user, case=case)
    with pytest.raises(PermissionDenied):
        case_delete_draft(user=wf.cast.local_engineer, case=case)
    spu_b = SpuFactory(fsp=wf.cast.fsp_b, connection_point=wf.spu.connection_point, code="B-1")
    with pytest.raises((PermissionDenied, ValidationError)):
        wf.draft(spu=spu_b)


def test_withdraw_cancels_open_assessments_and_is_refused_once_decided(wf):
    case = wf.submitted()
    case_withdraw(user=wf.cast.fsp_a_user, case=case, reason="Unit sold")
    case = wf.fresh(case)
    assert case.status == C.WITHDRAWN
    assert set(case.assessments.values_list("status", flat=True)) == {A.CANCELLED}
    assert case.events.filter(action="withdraw", actor=wf.cast.fsp_a_user, reason="Unit sold").exists()
    assert not Assessment.objects.filter(case=case, deadline__isnull=False).exists()

    decided = wf.submitted()  # withdrawn cases do not block a new application
    approve(wf.cast.local_engineer, wf.assessment(decided, wf.cast.local))
    approve(wf.cast.tso_engineer, wf.assessment(decided, wf.cast.tso))
    with pytest.raises(ApplicationError, match="approved"):
        case_withdraw(user=wf.cast.fsp_a_user, case=wf.fresh(decided))


# --- who decides ----------------------------------------------------------------------------


def test_only_an_engineer_of_the_assessing_so_decides(wf):
    case = wf.submitted()
    assessment = wf.assessment(case, wf.cast.local)
    for user in (wf.cast.local_viewer, wf.cast.tso_engineer, wf.cast.fsp_a_user, wf.cast.nra_analyst):
        with pytest.raises(PermissionDenied):
            approve(user, assessment)
    assert wf.fresh(assessment).status == A.PENDING


def test_deciding_an_already_decided_assessment_says_so(wf):
    case = wf.submitted()
    approve(wf.cast.local_engineer, wf.assessment(case, wf.cast.local))
    with pytest.raises(ApplicationError, match="approved"):
        approve(wf.cast.local_engineer, wf.assessment(case, wf.cast.local))


# --- concurrency ----------------------------------------------------------------------------


def test_two_engineers_deciding_at_once_one_wins_the_other_is_told(wf):
    case = wf.submitted()
    colleague = wf.cast.local_engineer.__class__.objects.create(username="colleague")
    from tests.factories import MembershipFactory

    MembershipFactory(user=colleague, organisation=wf.cast.local.organisation, role="so_engineer")
    mine = wf.assessment(case, wf.cast.local)
    theirs = wf.assessment(case, wf.cast.local)  # a second copy of the same row

    approve(wf.cast.local_engineer, mine)
    with pytest.raises(CaseChangedMeanwhile) as exc:
        refuse(colleague, theirs)

    assert "changed meanwhile" in exc.value.message and "reload" in exc.value.message
    assessment = wf.fresh(mine)
    assert (assessment.status, assessment.decided_by) == (A.APPROVED, wf.cast.local_engineer)
    assert CaseEvent.objects.filter(assessment=assessment).count() == 1


# --- material change and expiry (R2) --------------------------------------------------------


def test_material_change_sends_a_decided_case_back_keeping_the_previous_outcome(wf, at_t0):
    case = wf.submitted()
    approve_conditionally(wf.cast.local_engineer, wf.assessment(case, wf.cast.local))
    approve(wf.cast.tso_engineer, wf.assessment(case, wf.cast.tso))
    decided_at = wf.fresh(case).decided_at

    at_t0.move_to(datetime(2027, 6, 1, 9, 0, tzinfo=UTC))
    spu_update(user=wf.cast.fsp_a_user, spu=wf.spu, max_up_kw=Decimal("900"))

    case = wf.fresh(case)
    assert case.status == C.UNDER_ASSESSMENT
    assert case.round == 2
    assert (case.previous_outcome, case.previous_decided_at) == (C.CONDITIONALLY_APPROVED, decided_at)
    assert case.valid_until is None
    new = case.assessments.filter(round=2)
    assert set(new.values_list("status", flat=True)) == {A.PENDING}
    assert set(new.values_list("deadline", flat=True)) == {
        datetime(2027, 9, 1, 9, 0, tzinfo=UTC)
    }  # summer time both
    # The previous round stays as decided, conditions and all.
    assert Condition.objects.filter(assessment__round=1, assessment__case=case).count() == 1
    event = case.events.get(action="reassess")
    assert (event.from_state, event.actor) == (C.CONDITIONALLY_APPROVED, wf.cast.fsp_a_user)

    approve(wf.cast.local_engineer, wf.assessment(case, wf.cast.local))
    approve(wf.cast.tso_engineer, wf.assessment(case, wf.cast.tso))
    case = wf.fresh(case)
    assert (case.status, case.previous_outcome) == (C.APPROVED, "")


def test_a_name_change_is_not_material(wf):
    case = wf.submitted()
    approve(wf.cast.local_engineer, wf.assessment(case, wf.cast.local))
    approve(wf.cast.tso_engineer, wf.assessment(case, wf.cast.tso))
    spu_update(user=wf.cast.fsp_a_user, spu=wf.spu, name="Renamed battery")
    assert wf.fresh(case).status == C.APPROVED


def test_decided_case_expires_after_its_validity_period(wf, at_t0):
    case = wf.submitted()
    approve(wf.cast.local_engineer, wf.assessment(case, wf.cast.local))
    approve(wf.cast.tso_engineer, wf.assessment(case, wf.cast.tso))
    valid_until = wf.fresh(case).valid_until
    at_t0.move_to(valid_until - timedelta(seconds=1))
    assert deadlines_sweep().expired == 0
    at_t0.move_to(valid_until)
    assert deadlines_sweep().expired == 1
    case = wf.fresh(case)
    assert case.status == C.EXPIRED
    assert case.events.get(action="expire").via == CaseEvent.Via.DEADLINE
    wf.draft()  # the FSP may apply again


# --- audit trail ----------------------------------------------------------------------------


def test_the_audit_trail_is_immutable(wf):
    case = wf.submitted()
    event = case.events.first()
    event.reason = "rewritten"
    with pytest.raises(ImmutableRecordError):
        event.save()
    with pytest.raises(ImmutableRecordError):
        event.delete()
    with pytest.raises(ImmutableRecordError):
        CaseEvent.objects.filter(case=case).update(reason="x")
    with pytest.raises(ImmutableRecordError):
        CaseEvent.objects.filter(case=case).delete()
    assert CaseEvent.objects.get(pk=event.pk).reason == ""


def test_decisions_notify_the_fsp(wf, django_capture_on_commit_callbacks):
    case = wf.submitted()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        refuse(wf.cast.local_engineer, wf.assessment(case, wf.cast.local))
    assert [m.to for m in mail.outbox] == [["fsp_a_user@example.org"]]
    assert "The transformer is at its limit." in mail.outbox[0].body


def test_the_database_holds_one_live_application_per_resource_and_product(wf):
    from django.db import IntegrityError, transaction

    first = wf.submitted()
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.create(fsp=wf.cast.fsp_a, spu=wf.spu, product=wf.product)  # racing past the check
    case_withdraw(user=wf.cast.fsp_a_user, case=first)
    assert wf.draft().status == C.DRAFT  # a withdrawn one no longer counts


