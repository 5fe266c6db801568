"""The demo's activation register (demo/register.py): awards and activations over the last 30
days and the next 48 hours on Mälarenergi's units, one double activation refused, one area
limit the awards in it reach; My grid shows them to the DSO."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Max, Min
from django.test import Client
from django.urls import reverse

from accounts.models import User
from demo.register import CONFLICT_ID, LIMIT_REASON, LOCAL_DSO, demo_register_load
from limits.models import TargetKind, TemporaryLimit
from register.models import RecordKind, RecordRevision, RegisterConflict

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.fixture
def demo(db):
    with time_machine.travel(NOW, tick=False):
        out = StringIO()
        call_command("demo_data", "--force", stdout=out)
        yield out.getvalue()


def test_records_cover_the_last_30_days_and_the_next_48_hours(demo):
    assert "Activation register:" in demo
    held = RecordRevision.objects.filter(is_current=True)
    span = held.aggregate(first=Min("period_start"), last=Max("period_end"))
    assert span["first"] < NOW - timedelta(days=29) and span["last"] > NOW + timedelta(hours=24)
    assert {r.kind for r in held} == {RecordKind.AWARD, RecordKind.ACTIVATION}
    assert {r.product.code for r in held} == {"mfrr-capacity", "mfrr-energy", "sthlmflex-vattenfall"}


def test_one_double_activation_is_refused_and_kept(demo):
    (conflict,) = RegisterConflict.objects.all()
    assert conflict.external_id == CONFLICT_ID
    assert not RecordRevision.objects.filter(record__external_id=CONFLICT_ID).exists()


def test_the_area_limit_is_reached_by_the_awards_in_it(demo):
    limit = TemporaryLimit.objects.get(reason=LIMIT_REASON)
    assert limit.target_kind == TargetKind.AREA and limit.direction == "up"
    awarded = sum(
        (r.quantity_mw for r in RecordRevision.objects.filter(
            is_current=True, kind=RecordKind.AWARD, period_start__lt=limit.end, period_end__gt=limit.start,
            spu__connection_point__connecting_so=limit.system_operator,
        )),
        Decimal(0),
    )
    assert awarded == limit.quantity_mw > 0


def test_loading_again_the_same_day_adds_nothing(demo):
    def counts():
        return tuple(model.objects.count() for model in (RecordRevision, RegisterConflict, TemporaryLimit))

    before = counts()
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        again = demo_register_load()
    assert again["records"] == 0
    assert counts() == before


def test_the_dso_sees_them_in_my_grid(demo):
    client = Client()
    client.force_login(User.objects.get(username="engineer-malarenergi"))
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("register:my-grid"))
        past = client.get(reverse("register:my-grid"), {"period": "last30"})
    assert response.status_code == 200
    assert response.context["so"].organisation.name == LOCAL_DSO
    assert any(row.award_up > 0 for row in response.context["rows"])
    assert response.context["map_config"]["data"]["features"]
    assert [c.external_id for c in response.context["conflicts"]] == [CONFLICT_ID]
    assert any(row.activation_up > 0 for row in past.context["rows"])
