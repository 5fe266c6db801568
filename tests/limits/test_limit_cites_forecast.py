"""R7 + R12: a temporary limit cites the congestion forecast that motivated it: over the service, the
API and the pages; kept in the limit's audit trail; only the issuing operator's publications."""

from __future__ import annotations

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from limits.models import LimitEvent, TemporaryLimit
from tests.forecasts.helpers import day_rows, make_zones, publish
from tests.limit_helpers import NOW, create
from tests.limit_helpers import limit_body as body

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(cast, grid):
    make_zones(cast)
    own = publish(cast, day_rows("NORTH", hours=2))
    theirs = publish(cast, day_rows("GBG", hours=2), so=cast.other_local, user=cast.other_local_engineer)
    return own, theirs


def test_a_limit_cites_a_publication_and_a_zone_and_the_trail_keeps_it(grid, published):
    own, _theirs = published
    limit = create(grid, forecast_publication=own.pk, forecast_zone="NORTH")
    assert (limit.forecast_publication_id, limit.forecast_zone.code) == (own.pk, "NORTH")
    after = LimitEvent.objects.get(limit=limit, action=LimitEvent.Action.CREATE).after
    assert (after["forecast_publication"], after["forecast_zone"]) == (own.pk, limit.forecast_zone_id)


def test_without_a_citation_nothing_changes(grid, published):
    limit = create(grid)
    assert limit.forecast_publication_id is None
    assert "forecast_publication" not in LimitEvent.objects.get(limit=limit).after


@pytest.mark.parametrize(
    "citation, field",
    [
        ({"forecast_publication": "theirs"}, "forecast_publication"),  # another operator's
        ({"forecast_publication": 999_999}, "forecast_publication"),
        ({"forecast_publication": "own", "forecast_zone": "SOUTH"}, "forecast_zone"),  # no rows in it
        ({"forecast_publication": "own", "forecast_zone": "NOPE"}, "forecast_zone"),
        ({"forecast_zone": "NORTH"}, "forecast_publication"),  # a zone needs its publication
    ],
)
def test_a_bad_citation_is_refused_per_field_and_stores_nothing(grid, published, citation, field):
    own, theirs = published
    by_name = {"own": own.pk, "theirs": theirs.pk}
    citation = {k: by_name.get(v, v) for k, v in citation.items()}
    with pytest.raises(ValidationError) as error:
        create(grid, **citation)
    assert list(error.value.message_dict) == [field]
    assert not TemporaryLimit.objects.exists()


def test_over_the_api_the_limit_and_its_detail_show_the_citation(grid, published, api_as, at_now):
    own, _theirs = published
    engineer = api_as(grid.cast.local_engineer)
    response = engineer.post(
        "/api/limits/", body(grid, forecast_publication=own.pk, forecast_zone="NORTH"), format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["forecast_publication"] == own.pk
    detail = engineer.get(f"/api/limits/{response.json()['id']}/").json()
    assert detail["forecast"]["publication"] == own.pk
    assert (detail["forecast"]["horizon"], detail["forecast"]["zone_code"]) == ("day_ahead", "NORTH")
    assert detail["forecast"]["zone_name"] == "North substation"
    # The FSP concerned reads the limit with what motivated it.
    fsp = api_as(grid.cast.fsp_a_user).get(f"/api/limits/{response.json()['id']}/").json()
    assert fsp["forecast"]["publication"] == own.pk
    bad = engineer.post("/api/limits/", body(grid, forecast_publication=999_999), format="json")
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["forecast_publication"]


def test_the_form_cites_and_the_limit_page_shows_it(grid, published, client):
    own, _theirs = published
    data = {
        "system_operator": grid.cast.local.pk, "target_kind": "spu", "spu": grid.spu.pk, "direction": "up",
        "quantity_mw": "0.5", "start": "2027-06-01T14:00", "end": "2027-06-01T16:00",
        "reason": "Forecast says likely", "action": "publish",
        "forecast_publication": own.pk, "forecast_zone": "NORTH",
    }
    with time_machine.travel(NOW, tick=False):  # log in and browse at the same time (sessions expire)
        client.force_login(grid.cast.local_engineer)
        response = client.post(reverse("limits:limit-create"), data)
        assert response.status_code == 302
        page = client.get(response["Location"]).content.decode()
        assert f'data-forecast-cited="{own.pk}"' in page and "NORTH" in page
        data["forecast_zone"] = "SOUTH"
        refused = client.post(reverse("limits:limit-create"), data)
    assert refused.status_code == 200 and TemporaryLimit.objects.count() == 1
    assert refused.context["form"].errors["forecast_zone"]
