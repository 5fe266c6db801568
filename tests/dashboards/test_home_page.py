"""The home page with each role's dashboard (issue 15): sections per role (several for a user
with several roles), the no-role message, and a constant number of queries per role."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Membership
from tests.dashboards.helpers import local_cases
from tests.factories import MembershipFactory, UserFactory
from tests.personas import login
from tests.workflow_helpers import approve, refuse

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 2, 20, 9, 0, tzinfo=UTC)
SECTIONS = ("so", "fsp", "nra")


def _sections(client) -> set[str]:
    html = client.get(reverse("home")).content.decode()
    return {name for name in SECTIONS if f'data-dashboard="{name}"' in html}


def test_each_role_sees_its_own_section(wf, client):
    expected = {
        wf.cast.local_engineer: {"so"}, wf.cast.local_viewer: {"so"}, wf.cast.fsp_a_user: {"fsp"},
        wf.cast.nra_analyst: {"nra"}, wf.cast.outsider: set(), wf.cast.admin: set(),
    }
    for user, sections in expected.items():
        assert _sections(login(client, user)) == sections, user.username


def test_a_user_with_several_roles_sees_each_section(wf, client):
    MembershipFactory(user=wf.cast.local_engineer, organisation=wf.cast.fsp_b.organisation,
                      role=Membership.Role.FSP_USER)
    assert _sections(login(client, wf.cast.local_engineer)) == {"so", "fsp"}


def test_no_role_keeps_the_message_and_staff_do_not_get_it(wf, client):
    message = "Your account has no role yet"
    assert message in login(client, wf.cast.outsider).get(reverse("home")).content.decode()
    staff = UserFactory(username="staff", is_staff=True)
    assert message not in login(client, staff).get(reverse("home")).content.decode()


def test_anonymous_users_go_to_the_login_page(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def _queries(client, user) -> int:
    login(client, user)
    client.get(reverse("home"))  # warm the session and the per-process caches
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("home")).status_code == 200
    return len(ctx.captured_queries)


def _decide_some(wf, cases) -> None:
    for i, case in enumerate(cases):
        decide = approve if i % 2 else refuse
        decide(wf.cast.local_engineer, wf.assessment(case, wf.cast.local))


@pytest.mark.parametrize("persona", ["local_engineer", "fsp_a_user", "nra_analyst"])
def test_the_page_costs_the_same_queries_whatever_the_data(wf, client, persona):
    user = getattr(wf.cast, persona)
    with time_machine.travel(NOW, tick=False):
        _decide_some(wf, local_cases(wf, 1, at=NOW))
        few = _queries(client, user)
        _decide_some(wf, local_cases(wf, 6, at=NOW))
        local_cases(wf, 4, at=NOW)
        many = _queries(client, user)
    assert few == many
    # The figures' own share: SO 4 (operators, queue, decisions, limits), FSP 8, NRA a report's few.
    assert many <= {"local_engineer": 12, "fsp_a_user": 16, "nra_analyst": 20}[persona]
