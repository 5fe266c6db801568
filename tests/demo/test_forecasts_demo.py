"""Demo forecasts (issue 16): grid zones of two demo DSOs and forecasts for the next two days with
congestion where demo units connect; a rerun publishes nothing new the same day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from accounts.models import User
from demo.areas import demo_areas_load
from demo.forecasts import demo_forecasts_load
from demo.load import demo_data_load
from forecasts.models import CongestionLevel, GridZone, Publication
from forecasts.selectors_resources import forecast_overview, fsp_resources_for_user

pytestmark = pytest.mark.django_db
# A winter afternoon in Stockholm (CET): 14:10 local.
NOW = datetime(2027, 1, 12, 13, 10, tzinfo=UTC)


@pytest.fixture
def demo_world():
    with time_machine.travel(NOW, tick=False):
        demo_data_load()
        demo_areas_load()
        counts = demo_forecasts_load()
    return counts


def test_zones_and_both_horizons_are_published(demo_world):
    assert demo_world == {"zones": 3, "publications": 4}
    assert sorted(GridZone.objects.values_list("code", flat=True)) == ["MLD-130", "VST-N", "VST-S"]
    horizons = sorted(Publication.objects.values_list("horizon", "mtu_minutes"))
    assert horizons == [("day_ahead", 60), ("day_ahead", 60), ("intraday", 15), ("intraday", 15)]
    # The day-ahead forecasts reach two local days past today.
    assert max(Publication.objects.values_list("last_end", flat=True)) == datetime(
        2027, 1, 14, 23, 0, tzinfo=UTC
    )


def test_a_rerun_the_same_day_adds_nothing(demo_world):
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        assert demo_forecasts_load() == {"zones": 0, "publications": 0}


def test_demo_fsps_see_congestion_on_their_resources(demo_world):
    worst = set()
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        for username in ("fsp-nordicflex", "fsp-volt"):
            spus, spgs = fsp_resources_for_user(user=User.objects.get(username=username))
            overview = forecast_overview(spus=list(spus), spgs=list(spgs), as_of=NOW + timedelta(minutes=5))
            worst |= {
                summary.timeline.worst(direction)
                for summary in overview.spus + overview.spgs
                for direction in ("up", "down")
                if summary.zones
            }
    assert {CongestionLevel.LIKELY, CongestionLevel.CERTAIN} <= worst
