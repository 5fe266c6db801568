"""Who hears of what (SPEC §5): e-mails after commit, one per recipient, none to bystanders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from prequal.models import Assessment, Case
from prequal.services.cases import (
    assessment_apply_silence,
    assessment_decide,
    assessment_declare_incomplete,
    case_submit,
    case_supply_information,
    case_withdraw,
)
from prequal.services.resources import spg_member_end
from prequal.services.sweep import deadlines_sweep
from tests.factories import SpgFactory
from tests.workflow_helpers import T0

DUE = datetime(2027, 4, 11, 8, 0, tzinfo=UTC)


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    def run(action):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            action()
        return sorted((m.to[0], m.subject.split(":")[0].removeprefix("[gridprequal] ")) for m in mail.outbox)

    return run


def test_each_event_reaches_those_who_must_act_or_should_know(wf, on_commit):
    with time_machine.travel(T0, tick=False):
        case = wf.submitted()
    local = wf.assessment(case, wf.cast.local)

    sent = on_commit(
        lambda: assessment_declare_incomplete(
            user=wf.cast.local_engineer, assessment=local, missing_information="Diagram"
        )
    )
    assert sent == [("fsp_a_user@example.org", "Information missing")]

    sent = on_commit(lambda: case_supply_information(user=wf.cast.fsp_a_user, case=case, information="Here"))
    assert sent == [
        ("local_engineer@example.org", "Information supplied"),
        ("tso_engineer@example.org", "Information supplied"),
    ]

    sent = on_commit(
        lambda: assessment_decide(
            user=wf.cast.local_engineer, assessment=wf.assessment(case, wf.cast.local), outcome="approved"
        )
    )
    assert sent == [("fsp_a_user@example.org", "Local DSO decided")]

    tso = wf.assessment(case, wf.cast.tso)
    sent = on_commit(
        lambda: assessment_apply_silence(assessment=tso, now=tso.deadline + timedelta(seconds=1))
    )
    assert ("fsp_a_user@example.org", "Approved by silence") in sent
    assert ("tso_engineer@example.org", "Approved by silence") in sent
    assert ("fsp_a_user@example.org", "Outcome Approved") in sent
    assert ("local_engineer@example.org", "Outcome Approved") in sent
    assert not any(address.startswith(("fsp_b", "local_viewer", "regional", "other")) for address, _ in sent)

    valid_until = Case.objects.get(pk=case.pk).valid_until
    sent = on_commit(lambda: deadlines_sweep(now=valid_until))
    assert sent == [("fsp_a_user@example.org", "Expired")]


def test_withdrawal_tells_the_assessing_engineers(wf, on_commit):
    case = wf.submitted()
    sent = on_commit(lambda: case_withdraw(user=wf.cast.fsp_a_user, case=case))
    assert ("local_engineer@example.org", "Withdrawn") in sent
    assert ("tso_engineer@example.org", "Withdrawn") in sent


def test_single_silence_is_idempotent_and_respects_the_deadline(wf):
    with time_machine.travel(T0, tick=False):
        case = wf.submitted()
    local = wf.assessment(case, wf.cast.local)
    assert assessment_apply_silence(assessment=local, now=DUE - timedelta(seconds=1)) is False
    assert assessment_apply_silence(assessment=local, now=DUE) is True
    assert assessment_apply_silence(assessment=local, now=DUE) is False
    assert wf.fresh(local).status == Assessment.Status.APPROVED_BY_SILENCE
    assert local.events.count() == 1


def test_an_spg_without_members_cannot_be_submitted(wf):
    spg = SpgFactory(fsp=wf.cast.fsp_a)
    case = wf.draft(spg=spg)
    with pytest.raises(ValidationError) as exc:
        case_submit(user=wf.cast.fsp_a_user, case=case)
    assert "no current members" in exc.value.message_dict["spg"][0]
    assert Case.objects.get(pk=case.pk).status == Case.Status.DRAFT


def test_a_membership_change_sends_the_group_back_to_assessment(wf, on_commit):
    case = wf.spg_case()
    engineers = {
        wf.cast.local.pk: wf.cast.local_engineer,
        wf.cast.other_local.pk: wf.cast.other_local_engineer,
        wf.cast.tso.pk: wf.cast.tso_engineer,
    }
    for assessment in case.assessments.all():
        assessment_decide(
            user=engineers[assessment.system_operator_id], assessment=assessment, outcome="approved"
        )
    assert Case.objects.get(pk=case.pk).status == Case.Status.APPROVED
    membership = case.spg.memberships.get(spu__connection_point__connecting_so=wf.cast.other_local)
    sent = on_commit(
        lambda: spg_member_end(
            user=wf.cast.fsp_a_user, membership=membership, at=timezone.now() + timedelta(seconds=1)
        )
    )
    case = Case.objects.get(pk=case.pk)
    assert (case.status, case.previous_outcome, case.round) == ("under_assessment", "approved", 2)
    assert ("fsp_a_user@example.org", "Re-assessment") in sent
    assert ("local_engineer@example.org", "Re-assessment") in sent


def test_the_last_member_leaving_ends_the_groups_cases(wf):
    running = wf.spg_case()
    spg = running.spg
    decided_spg = SpgFactory(fsp=wf.cast.fsp_a)
    from tests.factories import SpgMembershipFactory

    member = SpgMembershipFactory(spg=decided_spg, spu=wf.spu, valid_from=timezone.now() - timedelta(days=1))
    decided = wf.submitted(spg=decided_spg)
    for assessment in decided.assessments.all():
        engineer = (
            wf.cast.local_engineer if assessment.system_operator == wf.cast.local else wf.cast.tso_engineer
        )
        assessment_decide(user=engineer, assessment=assessment, outcome="approved")

    spg_member_end(user=wf.cast.fsp_a_user, membership=member)
    decided = Case.objects.get(pk=decided.pk)
    assert decided.status == Case.Status.EXPIRED
    assert "no members left" in decided.events.get(action="expire").reason

    for membership in spg.memberships.all():
        spg_member_end(user=wf.cast.fsp_a_user, membership=membership)
    running = Case.objects.get(pk=running.pk)
    assert running.status == Case.Status.WITHDRAWN
    assert set(running.assessments.values_list("status", flat=True)) == {Assessment.Status.CANCELLED}
