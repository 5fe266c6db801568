"""Limit pages and the activation-check page: happy paths and the permission matrix."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from limits.models import LimitRefusal, TargetKind, TemporaryLimit
from limits.services import limit_create
from prequal.models import Direction
from tests.limit_helpers import NOW, START, a_limit, check_page_query

# Sessions expire: log in and browse at the same (travelled) time.
pytestmark = pytest.mark.usefixtures("at_now")


def form_data(grid, **overrides):
    data = {
        "system_operator": grid.cast.local.pk,
        "target_kind": "spu",
        "spu": grid.spu.pk,
        "direction": "up",
        "quantity_mw": "0.5",
        "start": "2027-06-01T14:00",
        "end": "2027-06-01T16:00",
        "reason": "Maintenance",
        "action": "publish",
    }
    data.update(overrides)
    return data


def test_an_engineer_publishes_a_limit_entered_in_local_time(grid, client):
    client.force_login(grid.cast.local_engineer)
    with time_machine.travel(NOW, tick=False):
        response = client.post(reverse("limits:limit-create"), form_data(grid))
    limit = TemporaryLimit.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "limits:limit-detail", args=[limit.pk]
    )
    assert (limit.start, limit.end) == (START, START + timedelta(hours=2))
    page = client.get(response["Location"]).content.decode()
    assert "2027-06-01 14:00 CEST" in page and "Maintenance" in page


def test_a_day_across_the_october_change_has_25_hours(grid, client):
    with time_machine.travel(datetime(2027, 10, 20, tzinfo=UTC), tick=False):
        client.force_login(grid.cast.local_engineer)
        client.post(
            reverse("limits:limit-create"), form_data(grid, start="2027-10-31T00:00", end="2027-11-01T00:00")
        )
    limit = TemporaryLimit.objects.get()
    assert limit.end - limit.start == timedelta(hours=25)


def test_the_preview_shows_the_latest_allowed_time_and_stores_nothing(grid, client):
    grid.prequalify(spu=grid.spu)
    client.force_login(grid.cast.local_engineer)
    with time_machine.travel(NOW, tick=False):
        response = client.post(reverse("limits:limit-create"), form_data(grid, action="preview"))
    assert response.status_code == 200
    assert "2027-06-01 12:15 CEST" in response.content.decode()
    assert TemporaryLimit.objects.count() == 0


def test_a_limit_above_the_targets_capacity_is_warned_of_on_the_form_and_its_page(grid, client):
    client.force_login(grid.cast.local_engineer)
    with time_machine.travel(NOW, tick=False):
        url = reverse("limits:limit-create")
        preview = client.post(url, form_data(grid, quantity_mw="2.5", action="preview"))
        assert 'data-testid="capacity-warning"' in preview.content.decode()
        assert TemporaryLimit.objects.count() == 0
        fine = client.post(reverse("limits:limit-create"), form_data(grid, action="preview"))
        assert 'data-testid="capacity-warning"' not in fine.content.decode()
        # A warning, not a refusal: published, and its page says it has no effect.
        response = client.post(url, form_data(grid, quantity_mw="2.5"), follow=True)
    limit = TemporaryLimit.objects.get()
    assert limit.quantity_mw == Decimal("2.5")
    page = response.content.decode()
    assert page.count('data-testid="capacity-warning"') == 1 and "1 MW" in page


def test_a_late_limit_shows_the_latest_time_on_the_form(grid, client):
    grid.prequalify(spu=grid.spu)
    client.force_login(grid.cast.local_engineer)
    with time_machine.travel(datetime(2027, 6, 1, 10, 16, tzinfo=UTC), tick=False):
        response = client.post(reverse("limits:limit-create"), form_data(grid))
    assert response.status_code == 200
    assert "Too late" in response.content.decode() and "12:15 CEST" in response.content.decode()
    assert TemporaryLimit.objects.count() == 0 and LimitRefusal.objects.count() == 1


def test_bad_input_on_the_form(grid, client):
    client.force_login(grid.cast.local_engineer)
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            reverse("limits:limit-create"),
            form_data(grid, spu="999999", end="2027-06-01T13:00", quantity_mw="-1"),
        )
    assert response.status_code == 200
    form = response.context["form"]
    assert "spu" in form.errors and "quantity_mw" in form.errors
    assert TemporaryLimit.objects.count() == 0


def test_an_area_drawn_as_geojson(grid, client):
    client.force_login(grid.cast.local_engineer)
    page = client.get(reverse("limits:limit-create")).content.decode()
    assert 'id="limit-map"' in page
    polygon = (
        '{"type": "Polygon", "coordinates": [[[18.0,59.2],[18.2,59.2],[18.2,59.4],[18.0,59.4],[18.0,59.2]]]}'
    )
    with time_machine.travel(NOW, tick=False):
        client.post(reverse("limits:limit-create"), form_data(grid, target_kind="area", spu="", area=polygon))
    assert TemporaryLimit.objects.get().target_kind == TargetKind.AREA


def test_edit_and_lift(grid, client):
    limit = a_limit(grid)
    client.force_login(grid.cast.local_engineer)
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            reverse("limits:limit-edit", args=[limit.pk]),
            {
                "direction": "up",
                "quantity_mw": "0.7",
                "start": "2027-06-01T14:00",
                "end": "2027-06-01T16:00",
                "reason": "Maintenance, less severe",
            },
        )
        assert response.status_code == 302
        client.post(reverse("limits:limit-lift", args=[limit.pk]))
    limit.refresh_from_db()
    assert limit.quantity_mw == Decimal("0.7") and limit.lifted_at == NOW
    assert list(limit.events.values_list("action", flat=True)) == ["create", "update", "lift"]


def test_the_fsp_page_shows_limits_on_my_resources(grid, client):
    a_limit(grid)
    client.force_login(grid.cast.fsp_a_user)
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("limits:limit-list")).content.decode()
    assert "Limits on my resources" in page and "BAT-1" in page
    client.force_login(grid.cast.fsp_b_user)
    with time_machine.travel(NOW, tick=False):
        assert "BAT-1" not in client.get(reverse("limits:limit-list")).content.decode()


# who → expected status per page (GET; lift is POST)
# --- the activation-check page ----------------------------------------------------------------------


def test_an_engineer_tries_the_check_by_hand(grid, client):
    grid.prequalify(spu=grid.spu)
    limit = a_limit(grid)
    client.force_login(grid.cast.local_engineer)
    response = client.get(
        reverse("limits:activation-check"),
        check_page_query(grid, so=grid.cast.local),
    )
    page = response.content.decode()
    assert response.status_code == 200 and 'data-color="yellow"' in page
    assert "more than the 0.5 MW" in page and f"#{limit.pk}" in page


def test_the_check_page_refuses_other_fsps_resources(grid, client):
    client.force_login(grid.cast.fsp_b_user)
    response = client.get(
        reverse("limits:activation-check"),
        check_page_query(grid, so=grid.cast.tso),
    )
    assert "resource_id" in response.context["form"].errors and response.context["verdict"] is None


def test_an_area_limit_is_shown_on_a_map(grid, client):
    with time_machine.travel(NOW, tick=False):
        limit = limit_create(
            user=grid.cast.local_engineer,
            system_operator=grid.cast.local,
            target_kind=TargetKind.AREA,
            area={
                "type": "Polygon",
                "coordinates": [[[18.0, 59.2], [18.2, 59.2], [18.2, 59.4], [18.0, 59.4], [18.0, 59.2]]],
            },
            direction=Direction.UP,
            quantity_mw=Decimal(0),
            start=START,
            end=START + timedelta(hours=1),
            reason="Storm",
        )
    client.force_login(grid.cast.fsp_a_user)
    page = client.get(reverse("limits:limit-detail", args=[limit.pk])).content.decode()
    assert 'id="limit-area-map"' in page and "limits/limit_map.js" in page


def test_the_pages_need_no_inline_styles_or_handlers(grid, client):
    # The Content-Security-Policy refuses them (common/middleware.py): the maps would collapse.
    limit = a_limit(grid)
    client.force_login(grid.cast.local_engineer)
    for url in (
        reverse("limits:limit-create"),
        reverse("limits:limit-detail", args=[limit.pk]),
        reverse("limits:limit-list"),
        reverse("limits:activation-check"),
    ):
        page = client.get(url).content.decode()
        assert 'style="' not in page and "onchange=" not in page and "onclick=" not in page, url


# --- shortcuts from resource, point and case pages ------------------------------------------------


def _link(page: str, start: str) -> str:
    """The href of the first link to `start` with a query string on the page, unescaped."""
    import html
    import re

    found = re.search(r'href="(' + re.escape(start + "?") + r'[^"]*)"', page)
    assert found, f"no link to {start}"
    return html.unescape(found.group(1))


def test_an_engineer_sets_a_limit_from_the_spus_page_with_the_target_filled_in(grid, client):
    client.force_login(grid.cast.local_engineer)
    page = client.get(reverse("prequal:spu-detail", args=[grid.spu.pk])).content.decode()

    form = client.get(_link(page, reverse("limits:limit-create"))).context["form"]

    assert not form.is_bound
    # The picker shows the unit the link names (its code, name and GSRN), not an id.
    assert form["target_kind"].value() == "spu" and form["spu"].value() == grid.spu
    # Publishing from there still goes through every check.
    with time_machine.travel(NOW, tick=False):
        response = client.post(reverse("limits:limit-create"), form_data(grid))
    assert response.status_code == 302 and TemporaryLimit.objects.filter(spu=grid.spu).exists()


def test_the_limit_form_tags_each_targets_fields_for_the_script(grid, client):
    client.force_login(grid.cast.local_engineer)
    page = client.get(reverse("limits:limit-create")).content.decode()
    for kind in ("spu", "spg", "connection_point", "area"):
        assert f'data-target-field="{kind}"' in page
    assert "limits/limit_form.js" in page


def test_a_connection_points_page_links_to_a_limit_on_it(grid, client):
    client.force_login(grid.cast.local_engineer)
    page = client.get(reverse("prequal:connection-point-detail", args=[grid.cp.pk])).content.decode()

    form = client.get(_link(page, reverse("limits:limit-create"))).context["form"]

    assert form["target_kind"].value() == "connection_point"
    assert form["connection_point_gsrn"].value() == grid.cp.gsrn


def test_an_fsp_gets_the_activation_check_but_no_limit_link(grid, client):
    client.force_login(grid.cast.fsp_a_user)
    page = client.get(reverse("prequal:spu-detail", args=[grid.spu.pk])).content.decode()

    assert reverse("limits:limit-create") not in page
    response = client.get(_link(page, reverse("limits:activation-check")))
    assert response.status_code == 200
    assert response.context["form"]["resource_id"].value() == grid.spu


def test_the_case_page_opens_the_check_with_resource_and_product_and_asks_nothing_yet(grid, client):
    case = grid.prequalify(spu=grid.spu)
    client.force_login(grid.cast.tso_engineer)
    page = client.get(reverse("prequal:case-detail", args=[case.pk])).content.decode()

    response = client.get(_link(page, reverse("limits:activation-check")))

    form = response.context["form"]
    assert not form.is_bound and not form.errors and response.context["verdict"] is None
    assert form["resource_kind"].value() == "spu" and form["resource_id"].value() == grid.spu
    assert form["product"].value() == case.product.code
    # The period starts at the next full hour, one hour long, in the operator's local time.
    # (NOW is 12:00 UTC = 14:00 CEST.)
    assert (form["start"].value(), form["end"].value()) == ("2027-05-31T15:00", "2027-05-31T16:00")


def test_the_case_page_offers_a_limit_on_the_resource_to_engineers_only(grid, client):
    case = grid.prequalify(spu=grid.spu)
    url = reverse("prequal:case-detail", args=[case.pk])
    client.force_login(grid.cast.tso_engineer)
    link = _link(client.get(url).content.decode(), reverse("limits:limit-create"))
    assert link.endswith(f"?target_kind=spu&spu={grid.spu.pk}")

    client.force_login(grid.cast.fsp_a_user)
    assert reverse("limits:limit-create") not in client.get(url).content.decode()
