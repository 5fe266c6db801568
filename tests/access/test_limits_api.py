"""Who may publish and read temporary limits and ask the activation check over the REST API
(SPEC §4 and the activation-check paragraph; R7, R8): read-only members, FSPs, the NRA, outsiders,
anonymous callers, an SO asking as another SO."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from shapely.geometry import box, mapping

from limits.models import TargetKind
from limits.services import limit_create
from prequal.models import Direction
from tests.limit_helpers import NOW, START, a_limit
from tests.limit_helpers import limit_body as body


@pytest.mark.parametrize("who", ["local_viewer", "fsp_a_user", "nra_analyst", "outsider"])
def test_read_only_and_outsiders_cannot_publish(grid, api_as, at_now, who):
    response = api_as(getattr(grid.cast, who)).post("/api/limits/", body(grid), format="json")
    assert response.status_code == 403


def test_anonymous_gets_401(grid, api_client):
    assert api_client.get("/api/limits/").status_code == 401
    assert api_client.post("/api/activation-check/", {}).status_code == 401


def test_the_list_is_scoped(grid, api_as):
    own = a_limit(grid)
    other_fsp = a_limit(grid, spu=grid.new_spu(fsp=grid.cast.fsp_b))
    seen = {
        who: {row["id"] for row in api_as(getattr(grid.cast, who)).get("/api/limits/").json()["results"]}
        for who in (
            "local_engineer",
            "local_viewer",
            "other_local_engineer",
            "fsp_a_user",
            "fsp_b_user",
            "nra_analyst",
            "outsider",
        )
    }
    assert seen["local_engineer"] == seen["local_viewer"] == seen["nra_analyst"] == {own.pk, other_fsp.pk}
    assert seen["other_local_engineer"] == set() and seen["outsider"] == set()
    assert seen["fsp_a_user"] == {own.pk} and seen["fsp_b_user"] == {other_fsp.pk}


def test_an_fsp_sees_area_limits_containing_its_points(grid, api_as):
    with time_machine.travel(NOW, tick=False):
        area = limit_create(
            user=grid.cast.local_engineer,
            system_operator=grid.cast.local,
            target_kind=TargetKind.AREA,
            area=mapping(box(18.0, 59.2, 18.2, 59.4)),
            direction=Direction.UP,
            quantity_mw=Decimal(0),
            start=START,
            end=START + timedelta(hours=1),
            reason="Storm",
        )
    with time_machine.travel(NOW, tick=False):  # "current" is relative to now: before the limit ends
        rows = api_as(grid.cast.fsp_a_user).get("/api/limits/", {"status": "current"}).json()["results"]
        assert [r["id"] for r in rows] == [area.pk]
        assert api_as(grid.cast.fsp_b_user).get("/api/limits/").json()["results"] == []


