"""Parts of an SPG (R5, R8): an assessing SO approves a group except named members; those members
do not count toward the group's capacity in the activation check, and a member that joins while
the group is re-assessed counts only once its assessing SOs have decided.
(prequal/services/cases/members.py, limits/activation/members.py)"""

from __future__ import annotations

from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from limits.activation import GREEN, YELLOW
from prequal.models import Assessment, Case, ExcludedMember
from prequal.services.cases import assessment_decide, case_create_draft, case_submit
from prequal.services.resources import spg_member_add
from tests.grid import SETUP_TIME
from tests.limit_helpers import START, check


@pytest.fixture
def group(grid):
    """FSP A's group of three 1 MW members in the local DSO's grid."""
    members = [grid.spu, grid.new_spu(code="BAT-2"), grid.new_spu(code="BAT-3")]
    return grid.spg_with_members(members=members), members


def _submitted(grid, spg):
    with time_machine.travel(SETUP_TIME, tick=False):
        case = case_create_draft(user=grid.cast.fsp_a_user, spg=spg, product=grid.mfrr)
        return case_submit(user=grid.cast.fsp_a_user, case=case)


def test_an_approval_that_leaves_a_member_out_counts_only_the_others(grid, group):
    spg, members = group
    case = grid.prequalify(spg=spg, excluded_by_so={grid.cast.local.pk: [members[1]]})
    assert case.status == Case.Status.APPROVED
    assert list(ExcludedMember.objects.values_list("spu_id", flat=True)) == [members[1].pk]
    verdict = check(grid, spg, quantity="3")
    assert (verdict.color, verdict.max_quantity_mw) == (YELLOW, Decimal("2.000"))
    assert any("BAT-2" in reason and "does not count" in reason for reason in verdict.reasons)
    assert check(grid, spg, quantity="2").color == GREEN


def test_without_exclusions_every_member_counts(grid, group):
    spg, _members = group
    grid.prequalify(spg=spg)
    assert check(grid, spg, quantity="3").color == GREEN


@pytest.mark.parametrize(
    ("outcome", "which", "reason", "field"),
    [
        ("approved", "stranger", "Feeder full.", "excluded_members"),  # not a member of the group
        ("approved", "all", "Feeder full.", "excluded_members"),  # every member: that is a refusal
        ("not_approved", "one", "", "excluded_members"),  # a refusal covers the whole group
        ("approved", "one", "", "reason"),  # leaving members out needs a reason
    ],
)
def test_bad_exclusions_are_refused_and_change_nothing(grid, group, outcome, which, reason, field):
    spg, members = group
    case = _submitted(grid, spg)
    assessment = Assessment.objects.get(case=case, system_operator=grid.cast.local)
    chosen = {
        "stranger": [grid.new_spu(code="ELSEWHERE").pk],
        "all": [m.pk for m in members],
        "one": [members[0].pk],
    }[which]
    refusal = {}
    if outcome == "not_approved":
        refusal = {"justification": "Congestion.", "limits_explanation": "Permanent."}
    with time_machine.travel(SETUP_TIME, tick=False), pytest.raises(ValidationError) as caught:
        assessment_decide(
            user=grid.cast.local_engineer, assessment=assessment, outcome=outcome, reason=reason,
            excluded_members=chosen, **refusal,
        )
    assert field in caught.value.message_dict
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.PENDING and not ExcludedMember.objects.exists()


def test_an_spus_case_has_no_members_to_leave_out(grid):
    with time_machine.travel(SETUP_TIME, tick=False):
        case = case_submit(
            user=grid.cast.fsp_a_user,
            case=case_create_draft(user=grid.cast.fsp_a_user, spu=grid.spu, product=grid.mfrr),
        )
        assessment = Assessment.objects.get(case=case, system_operator=grid.cast.local)
        with pytest.raises(ValidationError) as caught:
            assessment_decide(
                user=grid.cast.local_engineer, assessment=assessment, outcome="approved", reason="x",
                excluded_members=[grid.spu.pk],
            )
    assert "excluded_members" in caught.value.message_dict


def test_a_member_that_joins_during_the_re_assessment_counts_once_decided(grid, group):
    spg, members = group
    grid.prequalify(spg=spg)
    newcomer = grid.new_spu(code="BAT-4")
    with time_machine.travel(SETUP_TIME.replace(day=10), tick=False):
        spg_member_add(user=grid.cast.fsp_a_user, spg=spg, spu=newcomer, valid_from=SETUP_TIME)
    case = Case.objects.get(spg=spg)
    assert case.status == Case.Status.UNDER_ASSESSMENT and case.previous_outcome == Case.Status.APPROVED
    verdict = check(grid, spg, quantity="4")
    assert (verdict.color, verdict.max_quantity_mw) == (YELLOW, Decimal("3.000"))  # the newcomer waits
    assert any("BAT-4" in reason for reason in verdict.reasons)
    with time_machine.travel(SETUP_TIME.replace(day=11), tick=False):
        for assessment in Assessment.objects.filter(case=case, round=case.round, status="pending"):
            assessment_decide(
                user=grid.engineer_for(assessment.system_operator), assessment=assessment, outcome="approved"
            )
    assert Case.objects.get(pk=case.pk).status == Case.Status.APPROVED
    assert check(grid, spg, quantity="4").color == GREEN


def test_the_engineer_leaves_a_member_out_in_the_browser_and_the_api_shows_it(grid, group, client, api_as):
    spg, members = group
    case = _submitted(grid, spg)
    assessment = Assessment.objects.get(case=case, system_operator=grid.cast.local)
    url = reverse("prequal:assessment-decide", args=[assessment.pk])
    with time_machine.travel(SETUP_TIME, tick=False):
        client.force_login(grid.cast.local_engineer)  # sessions expire: log in at the test's time
        page = client.get(url)
        assert page.status_code == 200, page.headers.get("Location")
        choices = {value for value, _label in page.context["form"].fields["excluded_members"].choices}
        assert choices == {m.pk for m in members}
        response = client.post(url, {
            "outcome": "approved", "reason": "Feeder 12 is full.", "excluded_members": [members[2].pk],
            "seen": page.context["form"].initial["seen"],
            "conditions-TOTAL_FORMS": "0", "conditions-INITIAL_FORMS": "0",
        })
    assert response.status_code == 302, response.context["form"].errors
    left_out = list(ExcludedMember.objects.values_list("assessment_id", "spu_id"))
    assert left_out == [(assessment.pk, members[2].pk)]
    detail = api_as(grid.cast.fsp_a_user).get(f"/api/cases/{case.pk}/").json()
    assert [m["spu_code"] for m in detail["excluded_members"]] == ["BAT-3"]
    local = next(a for a in detail["assessments"] if a["id"] == assessment.pk)
    assert [m["spu"] for m in local["excluded_members"]] == [members[2].pk]


def test_the_api_decision_takes_the_members_to_leave_out(grid, group, api_as):
    spg, members = group
    case = _submitted(grid, spg)
    assessment = Assessment.objects.get(case=case, system_operator=grid.cast.local)
    with time_machine.travel(SETUP_TIME, tick=False):
        response = api_as(grid.cast.local_engineer).post(
            f"/api/assessments/{assessment.pk}/decide/",
            {"outcome": "approved", "reason": "Feeder full.", "excluded_members": [members[0].pk]},
            format="json",
        )
        assert response.status_code == 200, response.json()
        assert [m["spu"] for m in response.json()["excluded_members"]] == [members[0].pk]
        stranger = api_as(grid.cast.local_engineer).post(
            f"/api/assessments/{assessment.pk}/decide/",
            {"outcome": "approved", "reason": "x", "excluded_members": [members[0].pk]},
            format="json",
        )
    assert stranger.status_code in (400, 409)  # decided already: nothing changes
    assert START  # the check's period (tests.limit_helpers) lies after SETUP_TIME
