"""observability.selectors.user_operator_ids: the operators a user works for, one home for the
rule every scoped read of an SO user starts from (queue, SPU/SPG/point lists, register, forecasts,
dashboard, the activation check's caller)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.models import Membership
from observability.selectors import user_operator_ids

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("persona", "operators"), [
    ("local_engineer", ["local"]), ("local_viewer", ["local"]), ("tso_engineer", ["tso"]),
    ("fsp_a_user", []), ("nra_analyst", []), ("outsider", []),
])
def test_engineers_and_viewers_work_for_their_operator_others_for_none(cast, persona, operators):
    assert user_operator_ids(user=getattr(cast, persona)) == frozenset(getattr(cast, o).pk for o in operators)


def test_a_member_of_two_operators_works_for_both(cast):
    user = cast.local_viewer
    Membership.objects.create(user=user, organisation=cast.regional.organisation,
                              role=Membership.Role.SO_ENGINEER)

    assert user_operator_ids(user=user) == {cast.local.pk, cast.regional.pk}


def test_anonymous_works_for_none(db):
    assert user_operator_ids(user=AnonymousUser()) == frozenset()


def test_one_query_per_request_user(cast, django_assert_num_queries):
    user = cast.local_engineer
    with django_assert_num_queries(2):  # the roles, then the operators
        first = user_operator_ids(user=user)
    with django_assert_num_queries(0):
        assert user_operator_ids(user=user) is first


def test_no_other_module_derives_the_ids_itself():
    pattern = re.compile(
        r"SystemOperator\.objects\.filter\(\s*organisation_id__in=roles\.so_org_ids\s*\)\s*\.values"
    )
    found = [
        str(path.relative_to(ROOT))
        for app in ("accounts", "observability", "prequal", "forecasts", "register", "limits", "reports",
                    "dashboards", "notices", "attachments", "demo")
        for path in (ROOT / app).rglob("*.py")
        if pattern.search(path.read_text())
    ]
    assert found == ["observability/selectors.py"]
