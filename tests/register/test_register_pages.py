"""The register's section on an SPU's and an SPG's page: awards, activations and the double
activations refused on the resource, as the user may read them."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from register.services import RecordsRefused, records_cancel, records_ingest
from tests.personas import login
from tests.register.helpers import START, rec

NOW = START - timedelta(hours=2)


@pytest.fixture
def held(world):
    """On SPU A-1: a Nordic award and a cancelled one; a local market's award refused as a double
    activation; on SPG GA: a Nordic award."""
    nordic = [
        rec(world, "n1", quantity_mw="0.4"),
        rec(world, "n2", quantity_mw="0.1", at=START + timedelta(hours=5)),
        rec(world, "g1", spu=None, spg=world.spg.pk, direction="down", at=START + timedelta(hours=1)),
    ]
    flex = [rec(world, "f1", product=world.local_product.code, quantity_mw="0.2")]
    with time_machine.travel(NOW - timedelta(hours=1), tick=False):
        records_ingest(caller=world.nordic, system_operator=world.cast.tso, records=nordic)
        records_cancel(caller=world.nordic, system_operator=world.cast.tso, external_ids=["n2"])
        with pytest.raises(RecordsRefused):
            records_ingest(caller=world.flex, system_operator=world.cast.local, records=flex)


def page(client, user, name, pk):
    with time_machine.travel(NOW, tick=False):
        return login(client, user).get(reverse(name, args=[pk]))


def test_the_fsp_sees_its_units_awards_and_conflicts(world, held, client):
    response = page(client, world.cast.fsp_a_user, "prequal:spu-detail", world.spu.pk)

    assert response.status_code == 200
    records = response.context["register_records"]
    assert [(r.record.external_id, r.status) for r in records] == [("n1", "active"), ("n2", "cancelled")]
    (conflict,) = response.context["register_conflicts"]
    assert (conflict.external_id, conflict.system_operator, conflict.holder_system_operator) == (
        "f1", world.cast.local, world.cast.tso
    )
    html = response.content.decode()
    assert html.count('<table class="register-records">') == 1
    assert html.count('<table class="register-conflicts">') == 1


def test_the_spg_page_shows_the_groups_records(world, held, client):
    response = page(client, world.cast.fsp_a_user, "prequal:spg-detail", world.spg.pk)

    assert [r.record.external_id for r in response.context["register_records"]] == ["g1"]
    assert response.context["register_conflicts"] == []
    assert '<table class="register-conflicts">' not in response.content.decode()


def test_the_connecting_dso_sees_them_too(world, held, client):
    response = page(client, world.cast.local_viewer, "prequal:spu-detail", world.spu.pk)

    assert [r.record.external_id for r in response.context["register_records"]] == ["n1", "n2"]
    assert len(response.context["register_conflicts"]) == 1


def test_records_outside_the_window_are_left_out(world, held, client):
    url = reverse("prequal:spu-detail", args=[world.spu.pk])
    with time_machine.travel(START + timedelta(days=40), tick=False):
        response = login(client, world.cast.fsp_a_user).get(url)

    assert response.context["register_records"] == []
    assert response.context["register_conflicts"] == []
    assert "Nothing awarded or activated in this period." in response.content.decode()
