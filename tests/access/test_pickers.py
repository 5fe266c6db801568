"""Pickers' scope (SPEC §4, issue 15): a suggestion or a typed key finds only what the user reads.

An FSP never gets another FSP's units, not even by their exact GSRN or code; an SO those on its
grid and in the cases it assesses; the NRA everything. The same holds for the JSON suggestions
and for the text a form resolves without JavaScript.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from observability.selectors_pickers import CONNECTION_POINT_PICKER
from prequal.selectors.pickers import SPG_PICKER, SPU_PICKER
from tests.factories import SpgFactory, SpgMembershipFactory
from tests.grid import SETUP_TIME

pytestmark = pytest.mark.django_db

# persona: does it read FSP A's SPU (at the local DSO's point), SPG and point?
READS = {
    "fsp_a_user": True,
    "fsp_b_user": False,
    "local_engineer": True,
    "local_viewer": True,
    "other_local_engineer": False,
    "nra_analyst": True,
}


@pytest.fixture
def spg(grid):
    group = SpgFactory(fsp=grid.cast.fsp_a, code="AGG-NORTH", name="North aggregate")
    SpgMembershipFactory(spg=group, spu=grid.spu, valid_from=SETUP_TIME)
    return group


def _suggested(client: Client, url_name: str, term: str) -> list[int]:
    response = client.get(reverse(url_name), {"q": term})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    return [row["id"] for row in response.json()["results"]]


@pytest.mark.parametrize("persona", sorted(READS))
def test_the_suggestions_hold_only_what_the_user_reads(persona, grid, spg, client):
    client.force_login(getattr(grid.cast, persona))
    seen = READS[persona]
    for term in (grid.spu.code, grid.cp.gsrn, grid.cp.gsrn[:10], grid.cast.fsp_a.organisation.name[:5]):
        assert (grid.spu.pk in _suggested(client, "prequal:picker-spu", term)) is seen, term
    for term in (spg.code, "north", grid.cast.fsp_a.organisation.name[:5]):
        assert (spg.pk in _suggested(client, "prequal:picker-spg", term)) is seen, term
    assert (grid.cp.pk in _suggested(client, "observability:picker-connection-point", grid.cp.gsrn)) is seen


@pytest.mark.parametrize("persona", sorted(READS))
def test_a_typed_key_resolves_only_within_the_scope(persona, grid, spg):
    from django import forms

    from common.pickers import PickerField

    user = getattr(grid.cast, persona)
    for lookup, obj, keys in (
        (SPU_PICKER, grid.spu, (grid.spu.code, grid.cp.gsrn, grid.spu.name, str(grid.spu.pk))),
        (SPG_PICKER, spg, (spg.code, spg.name, str(spg.pk))),
        (CONNECTION_POINT_PICKER, grid.cp, (grid.cp.gsrn, str(grid.cp.pk))),
    ):
        field = PickerField(lookup=lookup)
        field.user = user
        for key in keys:
            if READS[persona]:
                assert field.clean((key, "")) == obj, key
            else:
                with pytest.raises(forms.ValidationError) as raised:
                    field.clean((key, ""))
                assert raised.value.code == "unknown", key
        # A picked id (the hidden input) is held to the same scope.
        if not READS[persona]:
            with pytest.raises(forms.ValidationError):
                field.clean((lookup.label(obj), str(obj.pk)))


def test_the_search_endpoints_ask_for_a_login(client):
    for name in ("prequal:picker-spu", "prequal:picker-spg", "observability:picker-connection-point"):
        response = client.get(reverse(name), {"q": "BAT"})
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
