"""Codes and names in one Unicode normal form (NFC), unique whatever form was typed, and no
direction-control or control characters (issue 13): the form, the API, the CSV import, the
models and the data migration's helper (common/text.py).
"""

from __future__ import annotations

import unicodedata

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from accounts.models import Organisation
from common.text import normalize_stored_rows
from prequal.models import Spg, Spu
from tests.factories import ConnectionPointFactory
from tests.personas import login
from tests.prequal.test_imports import csv_bytes, errors_of, row, run
from tests.registry_helpers import post_spu, spu_form_data, spu_payload

pytestmark = pytest.mark.django_db

NFC = "ÅSE-1"  # Å as one character
NFD = unicodedata.normalize("NFD", NFC)  # A and a combining ring
RLO = "\u202e"  # right-to-left override: "Trojan Source"
assert NFC != NFD


def test_the_api_stores_nfc_and_refuses_the_same_code_in_the_other_form(cast, api_as):
    fsp = api_as(cast.fsp_a_user)
    response = post_spu(fsp, spu_payload(cast, code=NFD, name=f"Batteri {NFD}"))
    assert response.status_code == 201, response.json()
    spu = Spu.objects.get(fsp=cast.fsp_a)
    assert (spu.code, spu.name) == (NFC, f"Batteri {NFC}")

    again = post_spu(fsp, spu_payload(cast, code=NFC))
    assert again.status_code == 400
    assert list(again.json()["errors"]) == ["code"]
    assert Spu.objects.filter(fsp=cast.fsp_a).count() == 1


@pytest.mark.parametrize("character", [RLO, "\u2066", "\u202a", "\x07"])
def test_the_api_refuses_direction_and_control_characters(cast, api_as, character):
    response = post_spu(api_as(cast.fsp_a_user), spu_payload(cast, name=f"Battery{character}1"))
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["name"]
    assert f"U+{ord(character):04X}" in response.json()["errors"]["name"][0]
    assert not Spu.objects.filter(fsp=cast.fsp_a).exists()


def test_the_spg_api_refuses_a_bidi_code(cast, api_as):
    response = api_as(cast.fsp_a_user).post(
        reverse("api:spg-list"), {"code": f"G{RLO}1", "name": "South", "bidding_zone": "SE3"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["code"]
    assert not Spg.objects.exists()


def test_the_form_stores_nfc_and_refuses_bidi(client, cast):
    login(client, cast.fsp_a_user)
    point = {"connecting_so": cast.local.pk, "x": "18.0686", "y": "59.3293", "voltage_level": "lv",
             "bidding_zone": "SE3"}
    response = client.post(reverse("prequal:spu-create"), spu_form_data(code=NFD, **point))
    assert response.status_code == 302
    assert Spu.objects.get(fsp=cast.fsp_a).code == NFC

    response = client.post(reverse("prequal:spu-create"), spu_form_data(code="B-2", name=f"x{RLO}y", **point))
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["name"]
    assert "U+202E" in response.context["form"].errors["name"][0]
    assert Spu.objects.filter(fsp=cast.fsp_a).count() == 1


def test_the_import_reads_codes_in_nfc_and_refuses_bidi(cast):
    result = run(cast, csv_bytes([
        row(cast, 1, spu_code=NFD),
        row(cast, 2, spu_code=NFC),  # the same code, typed the other way
        row(cast, 3, spu_name=f"Battery {RLO}3"),
        row(cast, 4, spu_code=f"IMP{RLO}4"),
    ]))
    assert errors_of(result) == [(3, "spu_code"), (4, "spu_name"), (5, "spu_code")]
    assert "already used on line 2" in result.errors[0].message
    assert "U+202E" in result.errors[1].message

    result = run(cast, csv_bytes([row(cast, 1, spu_code=NFD, spu_name=NFD)]))
    assert result.ok, result.errors
    assert Spu.objects.get(fsp=cast.fsp_a).code == NFC
    again = run(cast, csv_bytes([row(cast, 2, spu_code=NFC)]))
    assert "already has an SPU with the code" in again.errors[0].message


def test_the_database_holds_uniqueness_whatever_the_form(cast):
    Organisation.objects.create(name=f"Kraft {NFD}", kind="fsp", country="SE")
    assert Organisation.objects.filter(name=f"Kraft {NFC}").exists()  # lookups compare in NFC
    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.create(name=f"Kraft {NFC}", kind="fsp", country="SE")


def test_existing_rows_are_normalised_by_the_migrations_helper(cast):
    spu = Spu.objects.create(
        fsp=cast.fsp_a, connection_point=ConnectionPointFactory(connecting_so=cast.local), code="OLD",
        name="old", technology="battery", max_up_kw=1, max_down_kw=1,
    )
    with connection.cursor() as cursor:  # as rows stored before NFC was enforced
        cursor.execute("UPDATE prequal_spu SET code = %s WHERE id = %s", [NFD, spu.pk])
    assert normalize_stored_rows(Spu, ("code", "name")) == 1
    spu.refresh_from_db()
    assert spu.code == NFC
    assert normalize_stored_rows(Spu, ("code", "name")) == 0
