"""The SO engineer's and viewer's dashboard (issue 15): each figure counts exactly the rows its
link lists, for the user's own operator only; "this month" is the local (Stockholm) month and
"within 7 days" runs from now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from dashboards.selectors_so import so_dashboard
from prequal.models import Assessment
from prequal.services.cases import (
    assessment_apply_silence,
    assessment_declare_incomplete,
    case_supply_information,
)
from prequal.services.resources import spu_update
from tests.dashboards.helpers import by_key, counts, listed, local_cases, set_deadline
from tests.personas import login
from tests.workflow_helpers import approve, approve_conditionally, refuse

pytestmark = pytest.mark.django_db

S = Assessment.Status
NOW = datetime(2027, 2, 20, 9, 0, tzinfo=UTC)


def test_due_and_overdue_count_the_rows_their_links_list(wf, client):
    cases = local_cases(wf, 5)
    due = [set_deadline(wf, case, NOW + timedelta(days=d)) for case, d in ((cases[0], 1), (cases[1], 6))]
    set_deadline(wf, cases[2], NOW + timedelta(days=8))
    overdue = set_deadline(wf, cases[3], NOW - timedelta(hours=1))  # the sweep has not run yet
    with time_machine.travel(NOW, tick=False):
        dashboard = so_dashboard(user=wf.cast.local_engineer)
        assert counts(dashboard.queue) == {"open": 5, "due": 2, "overdue": 1}
        login(client, wf.cast.local_engineer)
        assert {a.pk for a in listed(client, by_key(dashboard.queue, "due").url)} == {a.pk for a in due}
        assert [a.pk for a in listed(client, by_key(dashboard.queue, "overdue").url)] == [overdue.pk]
        assert len(listed(client, by_key(dashboard.queue, "open").url)) == 5
        # The TSO assesses the same cases on its own clock (three months): nothing due.
        assert counts(so_dashboard(user=wf.cast.tso_engineer).queue) == {"open": 5, "due": 0, "overdue": 0}


def test_a_deadline_just_past_seven_days_is_not_due(wf):
    [case] = local_cases(wf, 1)
    set_deadline(wf, case, NOW + timedelta(days=7))
    with time_machine.travel(NOW, tick=False):
        assert counts(so_dashboard(user=wf.cast.local_engineer).queue)["due"] == 0
    with time_machine.travel(NOW + timedelta(seconds=1), tick=False):
        assert counts(so_dashboard(user=wf.cast.local_engineer).queue)["due"] == 1


def test_what_comes_back_to_the_engineer(wf, client):
    supplied, waiting, returned = local_cases(wf, 3)
    with time_machine.travel(NOW, tick=False):
        for case in (supplied, waiting):
            assessment_declare_incomplete(
                user=wf.cast.local_engineer, assessment=wf.assessment(case, wf.cast.local),
                missing_information="Single-line diagram",
            )
        case_supply_information(user=wf.cast.fsp_a_user, case=supplied, information="Attached.")
        approve(wf.cast.local_engineer, wf.assessment(returned, wf.cast.local))
        spu_update(user=wf.cast.fsp_a_user, spu=returned.spu, max_up_kw=Decimal("900"))  # R2: round 2
        needs_you = so_dashboard(user=wf.cast.local_engineer).needs_you
        assert counts(needs_you) == {"supplied": 1, "returned": 1, "waiting": 1}
        login(client, wf.cast.local_engineer)
        for key, case in (("supplied", supplied), ("returned", returned), ("waiting", waiting)):
            assert [a.case_id for a in listed(client, by_key(needs_you, key).url)] == [case.pk], key


def _decide_at(at: datetime, decide, user, assessment) -> None:
    with time_machine.travel(at, tick=False):
        decide(user, assessment)


def test_decided_this_month_is_the_stockholm_month(wf, client):
    late_january, early_february, refused, other = local_cases(wf, 4)
    engineer, local = wf.cast.local_engineer, wf.cast.local
    # 23:30 on 31 January in Stockholm, and 00:30 on 1 February: both in January in UTC.
    jan_31 = datetime(2027, 1, 31, tzinfo=UTC)
    _decide_at(jan_31.replace(hour=22, minute=30), approve, engineer, wf.assessment(late_january, local))
    _decide_at(jan_31.replace(hour=23, minute=30), approve, engineer, wf.assessment(early_february, local))
    _decide_at(datetime(2027, 2, 10, 9, 0, tzinfo=UTC), refuse, engineer, wf.assessment(refused, local))
    # The TSO's decision is not the local DSO's.
    _decide_at(datetime(2027, 2, 10, 9, 0, tzinfo=UTC), approve_conditionally, wf.cast.tso_engineer,
               wf.assessment(other, wf.cast.tso))

    with time_machine.travel(datetime(2027, 1, 31, 22, 45, tzinfo=UTC), tick=False):  # 23:45 in Stockholm
        assert counts(so_dashboard(user=engineer).decided)[S.APPROVED] == 1
    with time_machine.travel(NOW, tick=False):
        decided = so_dashboard(user=wf.cast.local_viewer).decided
        assert counts(decided) == {
            S.APPROVED: 1, S.CONDITIONALLY_APPROVED: 0, S.NOT_APPROVED: 1, S.APPROVED_BY_SILENCE: 0,
        }
        login(client, wf.cast.local_viewer)
        assert [c.pk for c in listed(client, by_key(decided, S.APPROVED).url)] == [early_february.pk]
        assert [c.pk for c in listed(client, by_key(decided, S.NOT_APPROVED).url)] == [refused.pk]
        assert listed(client, by_key(decided, S.CONDITIONALLY_APPROVED).url) == []
        assert counts(so_dashboard(user=wf.cast.tso_engineer).decided)[S.CONDITIONALLY_APPROVED] == 1
    # In March, February is last month.
    with time_machine.travel(datetime(2027, 3, 1, 8, 0, tzinfo=UTC), tick=False):
        assert set(counts(so_dashboard(user=engineer).decided).values()) == {0}


def test_approval_by_silence_counts_as_tacit(wf):
    [case] = local_cases(wf, 1)
    assessment = set_deadline(wf, case, NOW - timedelta(days=1))
    with time_machine.travel(NOW, tick=False):
        assessment_apply_silence(assessment=Assessment.objects.get(pk=assessment.pk))
        assert counts(so_dashboard(user=wf.cast.local_engineer).decided)[S.APPROVED_BY_SILENCE] == 1


def test_users_of_no_operator_get_no_section(wf):
    assert so_dashboard(user=wf.cast.fsp_a_user) is None
    assert so_dashboard(user=wf.cast.nra_analyst) is None
