"""The demo's market side (demo/market.py): a platform client registered for Svenska kraftnät
asks the activation check with its token, and the Nordic Flex pool is approved except one
member, which then does not count."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from rest_framework.test import APIClient

from demo import sweden
from demo.market import GROUP_CODE
from observability.models import SystemOperator
from prequal.models import Case, ExcludedMember, Spg

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.fixture
def demo(db):
    with time_machine.travel(NOW, tick=False):
        out = StringIO()
        call_command("demo_data", "--force", stdout=out)
        yield out.getvalue()


def _ask(token: str, so: SystemOperator, spg: Spg):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    start = NOW + timedelta(days=1)
    return client.post(
        "/api/activation-check/",
        {
            "system_operator": so.organisation.eic_code,
            "spg": spg.pk,
            "product": "mfrr-energy",
            "direction": "up",
            "quantity_mw": "0.1",
            "start": start.isoformat(),
            "end": (start + timedelta(hours=1)).isoformat(),
        },
        format="json",
    )


def test_the_platform_asks_about_the_partly_approved_group(demo):
    token = re.search(r"token ([0-9a-f]{40})", demo).group(1)
    spg = Spg.objects.get(code=GROUP_CODE)
    case = Case.objects.get(spg=spg, product__code="mfrr-energy")
    assert case.status == Case.Status.APPROVED
    [left_out] = ExcludedMember.objects.filter(assessment__case=case)
    tso = SystemOperator.objects.get(organisation__name=sweden.TSO.name)
    with time_machine.travel(NOW, tick=False):
        answer = _ask(token, tso, spg)
        assert answer.status_code == 200, answer.json()
        assert any(left_out.spu.code in reason for reason in answer.json()["reasons"])
        local = SystemOperator.objects.exclude(pk=tso.pk).first()
        assert _ask(token, local, spg).status_code == 404  # not registered for it


def test_a_second_run_keeps_the_client_and_the_case(demo):
    with time_machine.travel(NOW, tick=False):
        call_command("demo_data", "--force", stdout=StringIO())
    assert Case.objects.filter(spg__code=GROUP_CODE).count() == 1
    assert ExcludedMember.objects.count() == 1
