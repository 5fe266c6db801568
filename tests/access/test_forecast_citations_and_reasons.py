"""SPEC §4 for what issue 16 adds to limits: the forecast reason of the activation check names a
zone only to callers that read its operator's forecasts; a limit cites only its own operator's
publications, and the refusal does not tell another operator's publication from a missing one.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from limits.models import MarketPlatformClient
from tests.factories import UserFactory
from tests.forecasts.helpers import DAY, PUBLISH_AT, day_rows, make_zones, publish
from tests.limit_helpers import check_body
from tests.limit_helpers import limit_body as body

pytestmark = pytest.mark.django_db
URL = "/api/activation-check/"


@pytest.fixture
def likely(cast, grid):
    """NORTH (the local DSO's zone around grid.spu) likely upwards all of DAY 00:00–02:00."""
    make_zones(cast)
    grid.prequalify(spu=grid.spu)
    return publish(cast, day_rows("NORTH", hours=2, level="likely"))


def _reasons(api_as, user, grid, so):
    with time_machine.travel(PUBLISH_AT + timedelta(hours=1), tick=False):
        response = api_as(user).post(URL, check_body(
            grid, system_operator=so.organisation.eic_code,
            start=DAY.isoformat(), end=(DAY + timedelta(hours=1)).isoformat(),
        ))
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["color"] == "yellow"
    return " ".join(data["reasons"])


def _platform(*registered):
    user = UserFactory(username="platform-fc")
    MarketPlatformClient.objects.create(user=user, name="Platform").system_operators.add(*registered)
    return user


@pytest.mark.parametrize(
    "who, named",
    [
        ("platform:tso", False),  # reads the TSO's forecasts only
        ("platform:tso,local", True),
        ("tso_engineer", False),
        ("local_engineer", True),  # asks as its own operator, the zone's
        ("nra_analyst", True),
        ("fsp_a_user", True),  # its own resource's zone
    ],
)
def test_the_zone_is_named_only_to_its_readers(cast, grid, likely, api_as, who, named):
    if who.startswith("platform:"):
        user = _platform(*[getattr(cast, name) for name in who.split(":")[1].split(",")])
    else:
        user = getattr(cast, who)
    so = cast.local if who == "local_engineer" else cast.tso
    reasons = _reasons(api_as, user, grid, so)
    assert ("NORTH" in reasons) is named
    assert "likely" in reasons


def test_another_operators_publication_is_refused_as_if_it_did_not_exist(cast, grid, likely, api_as, at_now):
    engineer = api_as(cast.other_local_engineer)
    theirs = engineer.post("/api/limits/", body(grid, forecast_publication=likely.pk), format="json")
    missing = engineer.post("/api/limits/", body(grid, forecast_publication=likely.pk + 1000), format="json")
    assert theirs.status_code == missing.status_code == 400
    said = [r.json()["errors"]["forecast_publication"][0] for r in (theirs, missing)]
    assert said[0].replace(str(likely.pk), "#") == said[1].replace(str(likely.pk + 1000), "#")
