"""Demo observability areas: the demo resolves as in reality (three SOs for a typical point)."""

from __future__ import annotations

from collections import Counter

import pytest
from pyproj import Geod

from demo import sweden
from demo.areas import demo_area_geometry, demo_areas_load
from demo.load import demo_data_load
from observability.models import ConnectionPoint, ObservabilityArea, SystemOperator
from observability.resolver import Reason, assessing_sos_for_points


@pytest.fixture
def demo_world(db):
    demo_data_load()
    demo_areas_load()


def test_every_demo_operator_gets_one_area_and_a_rerun_adds_nothing(demo_world):
    assert ObservabilityArea.objects.count() == len(sweden.OPERATORS)
    assert demo_areas_load() == {"created": 0, "existing": len(sweden.OPERATORS), "missing_operator": 0}
    assert ObservabilityArea.objects.count() == len(sweden.OPERATORS)


def test_local_circle_is_buffered_in_metres():
    spec = next(s for s in sweden.LOCAL_DSOS if s.radius_km)
    geometry, epsg = demo_area_geometry(spec)
    assert epsg == 3006
    geod = Geod(ellps="GRS80")
    for lon, lat in list(geometry.exterior.coords)[::8]:
        _, _, distance = geod.inv(spec.lon, spec.lat, lon, lat)
        # SWEREF 99 TM's scale error is under 0.1 % across Sweden (plus polygon chords).
        assert distance == pytest.approx(spec.radius_km * 1000, rel=2e-3)


def test_typical_demo_point_is_assessed_by_its_local_regional_and_the_tso(demo_world):
    points = list(ConnectionPoint.objects.select_related("connecting_so"))
    result = assessing_sos_for_points(points=points)
    tiers = {so.pk: so.tier for so in SystemOperator.objects.all()}
    counts = Counter(len(result[p.pk]) for p in points)
    assert counts.most_common(1)[0][0] == 3, counts
    for point in points:
        entries = {e.system_operator_id: e for e in result[point.pk]}
        # Its own local DSO assesses by both reasons: the point lies inside its own area.
        assert entries[point.connecting_so_id].reasons == {Reason.CONNECTING, Reason.OBSERVABILITY_AREA}
        assert "tso" in {tiers[so_id] for so_id in entries}, point.gsrn
    with_regional = [
        p for p in points if "regional_dso" in {tiers[e.system_operator_id] for e in result[p.pk]}
    ]
    assert len(with_regional) >= 0.8 * len(points)


def test_demo_data_command_loads_the_areas(db):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("demo_data", "--force", stdout=out)  # pytest-django: DEBUG off
    assert f"Observability areas: {len(sweden.OPERATORS)} created" in out.getvalue()
    assert ObservabilityArea.objects.current().count() == len(sweden.OPERATORS)
