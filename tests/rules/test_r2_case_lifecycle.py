"""The grid prequalification workflow through its services (SPEC R1–R6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from common.exceptions import ApplicationError
from prequal.models import Assessment, Case, CaseEvent, Condition, ImmutableRecordError
from prequal.services.cases import (
    CaseChangedMeanwhile,
    assessment_decide,
    assessment_declare_incomplete,
    case_delete_draft,
    case_preview_assessing_sos,
    case_submit,
    case_supply_information,
    case_update_draft,
    case_withdraw,
)
from prequal.services.resources import spu_update
from prequal.services.sweep import deadlines_sweep
from tests import workflow_helpers
from tests.factories import ProductFactory, SpuFactory

wf = workflow_helpers.wf  # the fixture

C = Case.Status
A = Assessment.Status
T0 = datetime(2027, 1, 11, 9, 0, tzinfo=UTC)  # Monday 10:00 in Stockholm

CONDITION = {
    "max_up_mw": Decimal("2"),
    "months": [12, 1, 2],
    "weekdays": [0, 1, 2, 3, 4],
    "start_time": "07:00",
    "end_time": "09:00",
}


def approve(user, assessment):
    return assessment_decide(user=user, assessment=assessment, outcome="approved")


def approve_conditionally(user, assessment, conditions=(CONDITION,)):
    return assessment_decide(
        user=user,
        assessment=assessment,
        outcome="conditionally_approved",
        reason="Congestion on the 10 kV feeder in winter mornings.",
        conditions=list(conditions),
    )


def refuse(user, assessment):
    return assessment_decide(
        user=user,
        assessment=assessment,
        outcome="not_approved",
        justification="The transformer is at its limit.",
        limits_explanation="The congestion is structural, not temporary.",
    )


@pytest.fixture
def at_t0():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


# --- drafts, submission, who assesses -------------------------------------------------------


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


def test_preview_shows_who_assesses_and_by_when_without_writing(wf, at_t0):
    case = wf.draft()
    plans = case_preview_assessing_sos(case=case)
    assert [(p.system_operator, p.reasons) for p in plans] == [
        (wf.cast.tso, ["procuring"]),
        (wf.cast.local, ["connecting"]),
    ] or [(p.system_operator, p.reasons) for p in plans] == [
        (wf.cast.local, ["connecting"]),
        (wf.cast.tso, ["procuring"]),
    ]
    assert {p.deadline for p in plans} == {datetime(2027, 4, 11, 8, 0, tzinfo=UTC)}
    assert not Assessment.objects.exists()
    assert wf.fresh(case).status == C.DRAFT


def test_spg_case_is_assessed_by_every_members_connecting_so(wf):
    case = wf.spg_case()
    assert set(case.assessments.values_list("system_operator", flat=True)) == {
        wf.cast.local.pk,
        wf.cast.other_local.pk,
        wf.cast.tso.pk,
    }


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


# --- decisions and outcome (R5, R6) ---------------------------------------------------------


def test_all_approved_gives_approved_with_a_validity_period(wf, at_t0):
    case = wf.submitted()
    approve(wf.cast.local_engineer, wf.assessment(case, wf.cast.local))
    assert wf.fresh(case).status == C.UNDER_ASSESSMENT  # one still open
    approve(wf.cast.tso_engineer, wf.assessment(case, wf.cast.tso))
    case = wf.fresh(case)
    assert case.status == C.APPROVED
    assert case.decided_at == T0
    assert case.valid_until == datetime(2032, 1, 11, 9, 0, tzinfo=UTC)  # 60 months, same local time
    assert case.events.filter(action="approve", from_state=C.UNDER_ASSESSMENT, actor=None).count() == 1


def test_any_conditional_gives_conditionally_approved_with_the_union_of_conditions(wf):
    case = wf.spg_case()
    approve_conditionally(wf.cast.local_engineer, wf.assessment(case, wf.cast.local))
    approve_conditionally(
        wf.cast.other_local_engineer,
        wf.assessment(case, wf.cast.other_local),
        conditions=[{"max_down_mw": "1.5"}, {"months": [7], "max_up_mw": 0}],
    )
    approve(wf.cast.tso_engineer, wf.assessment(case, wf.cast.tso))
    case = wf.fresh(case)
    assert case.status == C.CONDITIONALLY_APPROVED
    assert Condition.objects.filter(assessment__case=case).count() == 3
    local_condition = Condition.objects.get(assessment__system_operator=wf.cast.local)
    assert local_condition.time_zone == "Europe/Stockholm"
    assert str(local_condition.start_time) == "07:00:00"


def test_any_refusal_gives_not_approved(wf):
    case = wf.spg_case()
    approve_conditionally(wf.cast.local_engineer, wf.assessment(case, wf.cast.local))
    refuse(wf.cast.other_local_engineer, wf.assessment(case, wf.cast.other_local))
    approve(wf.cast.tso_engineer, wf.assessment(case, wf.cast.tso))
    assert wf.fresh(case).status == C.NOT_APPROVED


def test_silence_counts_as_approval(wf, at_t0):
    case = wf.submitted()
    approve(wf.cast.local_engineer, wf.assessment(case, wf.cast.local))
    at_t0.move_to(datetime(2027, 4, 11, 8, 0, tzinfo=UTC))
    result = deadlines_sweep()
    assert result.silenced == 1
    assert wf.assessment(case, wf.cast.tso).status == A.APPROVED_BY_SILENCE
    assert wf.fresh(case).status == C.APPROVED


@pytest.mark.parametrize(
    ("decision", "errors"),
    [
        ({"outcome": "conditionally_approved", "reason": "Winter peak"}, {"conditions"}),
        ({"outcome": "conditionally_approved", "conditions": [CONDITION]}, {"reason"}),
        ({"outcome": "conditionally_approved"}, {"conditions", "reason"}),
        ({"outcome": "not_approved", "limits_explanation": "Structural"}, {"justification"}),
        ({"outcome": "not_approved", "justification": "Transformer full"}, {"limits_explanation"}),
        (
            {"outcome": "not_approved", "justification": "  ", "limits_explanation": ""},
            {"justification", "limits_explanation"},
        ),
        ({"outcome": "approved", "conditions": [CONDITION]}, {"conditions"}),
        ({"outcome": "maybe"}, {"outcome"}),
        (
            {"outcome": "conditionally_approved", "reason": "x", "conditions": [{"note": "nothing"}]},
            {"conditions"},
        ),
        (
            {
                "outcome": "conditionally_approved",
                "reason": "x",
                "conditions": [{"max_up_mw": 1, "months": [13], "start_time": "07:00"}],
            },
            {"conditions"},
        ),
    ],
)
def test_r6_incomplete_decisions_are_refused_and_change_nothing(wf, decision, errors):
    case = wf.submitted()
    assessment = wf.assessment(case, wf.cast.local)
    events_before = CaseEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        assessment_decide(user=wf.cast.local_engineer, assessment=assessment, **decision)
    assert set(exc.value.message_dict) == errors
    assert wf.fresh(assessment).status == A.PENDING
    assert CaseEvent.objects.count() == events_before
    assert not Condition.objects.exists()


def test_bad_condition_messages_name_the_condition_and_field(wf):
    case = wf.submitted()
    with pytest.raises(ValidationError) as exc:
        approve_conditionally(
            wf.cast.local_engineer,
            wf.assessment(case, wf.cast.local),
            conditions=[CONDITION, {"max_up_mw": 1, "months": [13]}],
        )
    messages = exc.value.message_dict["conditions"]
    assert any(m.startswith("Condition 2: months:") for m in messages), messages


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


def test_engineer_deciding_a_copy_the_sweep_has_silenced_is_told(wf, at_t0):
    case = wf.submitted()
    stale = wf.assessment(case, wf.cast.local)
    at_t0.move_to(datetime(2027, 4, 11, 8, 0, 1, tzinfo=UTC))
    assert deadlines_sweep().silenced == 2
    with pytest.raises(CaseChangedMeanwhile):
        approve_conditionally(wf.cast.local_engineer, stale)
    assert wf.fresh(stale).status == A.APPROVED_BY_SILENCE
    assert not Condition.objects.exists()


def test_sweep_leaves_an_assessment_decided_a_moment_before_alone(wf, at_t0):
    case = wf.submitted()
    at_t0.move_to(datetime(2027, 4, 11, 8, 0, 1, tzinfo=UTC))
    refuse(wf.cast.local_engineer, wf.assessment(case, wf.cast.local))  # decided just in time
    assert deadlines_sweep().silenced == 1  # only the TSO's
    assert wf.assessment(case, wf.cast.local).status == A.NOT_APPROVED
    assert wf.fresh(case).status == C.NOT_APPROVED


# --- completeness (R3) ----------------------------------------------------------------------


def test_incomplete_stops_the_clocks_and_supplying_restarts_them(
    wf, at_t0, django_capture_on_commit_callbacks
):
    case = wf.submitted()
    local = wf.assessment(case, wf.cast.local)
    at_t0.move_to(datetime(2027, 2, 1, 9, 0, tzinfo=UTC))
    with django_capture_on_commit_callbacks(execute=True):
        assessment_declare_incomplete(
            user=wf.cast.local_engineer,
            assessment=local,
            missing_information="Single-line diagram of the site.",
        )
    case = wf.fresh(case)
    assert wf.assessment(case, wf.cast.local).status == A.INCOMPLETE
    assert list(case.assessments.values_list("deadline", flat=True)) == [None, None]
    assert case.supplement_due == datetime(2027, 3, 1, 9, 0, tzinfo=UTC)  # 4 weeks
    assert [m.to[0] for m in mail.outbox if "Information missing" in m.subject] == ["fsp_a_user@example.org"]

    # A stopped clock is not swept, however late.
    at_t0.move_to(datetime(2027, 2, 20, 9, 0, tzinfo=UTC))
    assert deadlines_sweep().silenced == 0

    case_supply_information(user=wf.cast.fsp_a_user, case=case, information="Diagram uploaded.")
    case = wf.fresh(case)
    assert case.supplement_due is None
    assert set(case.assessments.values_list("status", flat=True)) == {A.PENDING}
    # Three months from the completed application, 10:00 Stockholm both times.
    assert set(case.assessments.values_list("deadline", flat=True)) == {
        datetime(2027, 5, 20, 8, 0, tzinfo=UTC)
    }
    with pytest.raises(ApplicationError, match="only once"):
        assessment_declare_incomplete(
            user=wf.cast.local_engineer,
            assessment=wf.assessment(case, wf.cast.local),
            missing_information="More",
        )
    with pytest.raises(ApplicationError, match="No operator is waiting"):
        case_supply_information(user=wf.cast.fsp_a_user, case=case, information="again")


def test_incomplete_needs_a_list_of_what_is_missing(wf):
    case = wf.submitted()
    with pytest.raises(ValidationError) as exc:
        assessment_declare_incomplete(
            user=wf.cast.local_engineer,
            assessment=wf.assessment(case, wf.cast.local),
            missing_information=" ",
        )
    assert "missing_information" in exc.value.message_dict


def test_no_supply_within_the_supplement_period_withdraws_the_case(wf, at_t0):
    case = wf.submitted()
    assessment_declare_incomplete(
        user=wf.cast.local_engineer,
        assessment=wf.assessment(case, wf.cast.local),
        missing_information="Diagram",
    )
    at_t0.move_to(T0 + timedelta(days=28) - timedelta(seconds=1))
    assert deadlines_sweep().withdrawn == 0
    at_t0.move_to(T0 + timedelta(days=28))
    assert deadlines_sweep().withdrawn == 1
    case = wf.fresh(case)
    assert case.status == C.WITHDRAWN
    event = case.events.get(action="withdraw")
    assert (event.actor, event.via) == (None, CaseEvent.Via.DEADLINE)
    assert set(case.assessments.values_list("status", flat=True)) == {A.CANCELLED}
    assert deadlines_sweep().withdrawn == 0


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


def test_each_assessment_says_whether_its_so_connects_a_point_of_the_case(wf):
    """`connects` mirrors the "connecting" reason: what the queue's connecting-SO filter reads."""
    case = wf.submitted()
    flags = {a.system_operator_id: a.connects for a in case.assessments.all()}
    assert flags[wf.cast.local.pk] is True
    assert flags[wf.cast.tso.pk] is False
    spg = wf.spg_case()
    connecting = {a.system_operator_id for a in spg.assessments.filter(connects=True)}
    assert connecting == {wf.cast.local.pk, wf.cast.other_local.pk}
    for a in Assessment.objects.all():
        assert a.connects == ("connecting" in a.reasons)


def test_the_migration_backfills_connects_from_the_reasons(wf):
    import importlib

    from django.apps import apps

    wf.spg_case()
    Assessment.objects.update(connects=False)
    importlib.import_module("prequal.migrations.0009_assessment_connects").backfill(apps, None)
    assert Assessment.objects.filter(connects=True).count() == 2
    for a in Assessment.objects.all():
        assert a.connects == ("connecting" in a.reasons)
