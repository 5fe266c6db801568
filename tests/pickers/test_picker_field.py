"""The picker field (common.pickers) and its lookups: how typed text resolves without JavaScript,
what unknown and ambiguous text answers, the suggestions' shape, cap and query count."""

from __future__ import annotations

import pytest
import time_machine
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.selectors import user_roles
from common.pickers import SUGGESTIONS_MAX, PickerField
from limits.models import TemporaryLimit
from prequal.selectors.pickers import SPU_PICKER
from tests.limit_helpers import NOW, check_page_query
from tests.limits.test_limits_views import form_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]


def _field(user, lookup=SPU_PICKER) -> PickerField:
    field = PickerField(lookup=lookup, required=False)
    field.user = user
    return field


def test_a_code_beats_an_id_and_the_gsrn_beats_a_name(grid):
    user = grid.cast.fsp_a_user
    other = grid.new_spu(code=str(grid.spu.pk), name=grid.cp.gsrn)
    field = _field(user)
    # "12" is both the code of `other` and the id of grid.spu: the code wins.
    assert field.clean((str(grid.spu.pk), "")) == other
    # The GSRN of grid.cp is also `other`'s name: the GSRN wins.
    assert field.clean((grid.cp.gsrn, "")) == grid.spu
    assert field.clean(("bat-1", "")) == grid.spu  # codes ignore case
    assert field.clean(("", "")) is None


def test_unknown_text_is_refused_with_what_to_type(grid):
    with pytest.raises(forms.ValidationError) as raised:
        _field(grid.cast.fsp_a_user).clean(("NO-SUCH-UNIT", ""))
    assert raised.value.code == "unknown"
    assert "NO-SUCH-UNIT" in raised.value.messages[0] and "SPU" in raised.value.messages[0]


def test_ambiguous_text_names_the_candidates(grid):
    # Two units behind one connection point: its GSRN names both.
    second = grid.new_spu(cp=grid.cp, code="BAT-2")
    with pytest.raises(forms.ValidationError) as raised:
        _field(grid.cast.fsp_a_user).clean((grid.cp.gsrn, ""))
    assert raised.value.code == "ambiguous"
    assert "BAT-1" in raised.value.messages[0] and "BAT-2" in raised.value.messages[0]
    # Its code is not.
    assert _field(grid.cast.fsp_a_user).clean(("BAT-2", "")) == second


def test_a_picked_id_counts_only_while_the_text_reads_as_it(grid):
    other = grid.new_spu(code="BAT-9")
    field = _field(grid.cast.fsp_a_user)
    assert field.clean((SPU_PICKER.label(grid.spu), str(grid.spu.pk))) == grid.spu
    # The text was changed after picking (no script to clear the hidden id): the text decides.
    assert field.clean(("BAT-9", str(grid.spu.pk))) == other


@pytest.mark.parametrize("term", ["'; DROP TABLE prequal_spu; --", "<script>alert(1)</script>", "%", "_"])
def test_hostile_search_text_finds_nothing_and_breaks_nothing(term, grid, client):
    client.force_login(grid.cast.fsp_a_user)
    response = client.get(reverse("prequal:picker-spu"), {"q": term})
    assert response.status_code == 200 and response.json() == {"results": []}
    assert "<script>" not in response.content.decode()


def test_the_suggestions_are_capped_ordered_and_shaped(grid, client):
    for n in range(SUGGESTIONS_MAX + 5):
        grid.new_spu(code=f"HP-{n:03d}", name=f"Heat pump {n}")
    client.force_login(grid.cast.fsp_a_user)
    rows = client.get(reverse("prequal:picker-spu"), {"q": "hp-"}).json()["results"]
    assert len(rows) == SUGGESTIONS_MAX
    assert [r["label"].split(" – ")[0] for r in rows] == [f"HP-{n:03d}" for n in range(SUGGESTIONS_MAX)]
    assert set(rows[0]) == {"id", "label", "detail"}
    assert rows[0]["detail"].startswith(str(grid.cast.fsp_a))


@pytest.mark.parametrize("persona", ["fsp_a_user", "local_engineer", "nra_analyst"])
def test_a_search_reads_at_most_two_queries_whatever_the_rows(persona, grid):
    user = getattr(grid.cast, persona)
    for n in range(30):
        grid.new_spu(code=f"HP-{n:03d}", cp=grid.cp if n % 2 else None)
    user_roles(user=user)  # the request's roles, read once per request by every page
    with CaptureQueriesContext(connection) as ctx:
        rows = SPU_PICKER.suggestions(user=user, term="HP")
    assert rows and len(ctx.captured_queries) <= 2, [q["sql"] for q in ctx.captured_queries]


# --- the forms, without JavaScript: the typed text goes to the server as it is ------------------


def test_an_engineer_sets_a_limit_by_typing_the_gsrn(grid, client):
    client.force_login(grid.cast.local_engineer)
    with time_machine.travel(NOW, tick=False):
        response = client.post(reverse("limits:limit-create"), form_data(grid, spu=grid.cp.gsrn))
    assert response.status_code == 302
    assert TemporaryLimit.objects.get().spu == grid.spu


def test_the_limit_form_names_an_ambiguous_gsrn_and_publishes_nothing(grid, client):
    grid.new_spu(cp=grid.cp, code="BAT-2")
    client.force_login(grid.cast.local_engineer)
    with time_machine.travel(NOW, tick=False):
        response = client.post(reverse("limits:limit-create"), form_data(grid, spu=grid.cp.gsrn))
    assert response.status_code == 200
    errors = response.context["form"].errors["spu"]
    assert "BAT-1" in errors[0] and "BAT-2" in errors[0]
    assert not TemporaryLimit.objects.exists()


def test_the_limit_form_ignores_text_left_in_another_targets_input(grid, client):
    client.force_login(grid.cast.local_engineer)
    with time_machine.travel(NOW, tick=False):
        response = client.post(reverse("limits:limit-create"), form_data(grid, spg="no such group"))
    assert response.status_code == 302 and TemporaryLimit.objects.get().spu == grid.spu


def test_the_limit_form_shows_a_picker_for_each_target(grid, client):
    client.force_login(grid.cast.local_engineer)
    page = client.get(reverse("limits:limit-create"), {"target_kind": "spu", "spu": grid.spu.pk})
    html = page.content.decode()
    assert f'data-picker="{reverse("prequal:picker-spu")}"' in html
    assert f'data-picker="{reverse("prequal:picker-spg")}"' in html
    assert f'data-picker="{reverse("observability:picker-connection-point")}"' in html
    assert f'name="spu_pick" value="{grid.spu.pk}"' in html
    assert f'value="{SPU_PICKER.label(grid.spu)}"' in html
    assert "js/pickers.js" in html


def test_the_activation_check_resolves_a_typed_gsrn(grid, client):
    client.force_login(grid.cast.fsp_a_user)
    query = {**check_page_query(grid, so=grid.cast.tso), "resource_id": grid.cp.gsrn}
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("limits:activation-check"), query)
    assert not response.context["form"].errors and response.context["verdict"] is not None


def test_the_activation_check_refuses_another_fsps_gsrn_as_unknown(grid, client):
    client.force_login(grid.cast.fsp_b_user)
    query = {**check_page_query(grid, so=grid.cast.tso), "resource_id": grid.cp.gsrn}
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("limits:activation-check"), query)
    assert "No SPU you may choose" in response.context["form"].errors["resource_id"][0]
    assert response.context["verdict"] is None
    assert grid.spu.code not in response.content.decode()


def test_the_activation_check_picks_an_spg_by_its_code(grid, client):
    spg = grid.spg_with_members(members=[grid.spu])
    client.force_login(grid.cast.fsp_a_user)
    query = {**check_page_query(grid, so=grid.cast.tso), "resource_kind": "spg", "resource_id": spg.code}
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("limits:activation-check"), query)
    assert "resource_id" not in response.context["form"].errors
    html = response.content.decode()
    assert f'data-picker-url-spg="{reverse("prequal:picker-spg")}"' in html
