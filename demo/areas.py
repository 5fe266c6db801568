"""Observability areas for the demo operators (demo.sweden), so the demo resolves as in reality.

The TSO watches Sweden, each regional DSO its regions, each local DSO a circle around its
municipality centre, buffered in SWEREF 99 TM (metres) and stored in WGS84. A typical demo
connection point therefore has three assessing SOs: its local DSO, its regional DSO and the TSO.
Called by `manage.py demo_data`; safe to run again (operators with an area are skipped).
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import shapely
from django.db import transaction
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Point, Polygon

from demo import sweden
from observability.area_geometry import area_geometry_from_shape
from observability.geo import SWEREF99_TM, WGS84
from observability.models import SystemOperator
from observability.services import area_version_import

# The demo versions apply from well before any demo case.
DEMO_AREA_VALID_FROM = datetime(2024, 1, 1, tzinfo=UTC)


def _reproject(geometry, transformer: Transformer):
    return shapely.transform(geometry, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))


def demo_area_geometry(spec) -> tuple[object, int]:
    """(WGS84 shapely geometry, EPSG code it was built in) for one demo.sweden.OperatorSpec."""
    if spec.polygons:
        parts = [Polygon(ring) for ring in spec.polygons]
        geometry = parts[0] if len(parts) == 1 else shapely.union_all(parts)
        return geometry, WGS84
    to_metric = Transformer.from_crs(WGS84, SWEREF99_TM, always_xy=True)
    to_wgs84 = Transformer.from_crs(SWEREF99_TM, WGS84, always_xy=True)
    x, y = to_metric.transform(spec.lon, spec.lat)
    circle = Point(x, y).buffer(spec.radius_km * 1000, quad_segs=16)
    return _reproject(circle, to_wgs84), SWEREF99_TM


def demo_areas_load(*, valid_from: datetime = DEMO_AREA_VALID_FROM) -> dict[str, int]:
    """Create one area version for each demo operator that has none yet. Returns counts."""
    counts = {"created": 0, "existing": 0, "missing_operator": 0}
    with transaction.atomic():
        for spec in sweden.OPERATORS:
            so = SystemOperator.objects.filter(organisation__eic_code=spec.eic).first()
            if so is None:
                counts["missing_operator"] += 1
                continue
            if so.observability_areas.exists():
                counts["existing"] += 1
                continue
            geometry, epsg = demo_area_geometry(spec)
            if isinstance(geometry, MultiPolygon | Polygon) and not geometry.is_valid:
                raise ValueError(f"Demo area of {spec.name} is invalid: {shapely.is_valid_reason(geometry)}")
            area = area_geometry_from_shape(
                geometry=geometry, source_filename=f"demo-{spec.eic}.geojson", source_epsg=epsg
            )
            area_version_import(system_operator=so, area=area, valid_from=valid_from)
            counts["created"] += 1
    return counts
