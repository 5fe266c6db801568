"""The shapes and area files the tests share (WGS84 longitude/latitude unless said otherwise).

`sweden` (a fixture in tests/conftest.py) gives the cast's TSO, regional and local DSO nested
observability areas; the grid world (tests/grid.py) uses the Stockholm and Gothenburg boxes.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import shapely
from django.core.files.uploadedfile import SimpleUploadedFile
from shapely.geometry import box

from tests.factories import make_area
from tests.personas import Cast

SQUARE = box(18.0, 59.0, 18.2, 59.1)  # near Stockholm
# A self-intersecting polygon (a bow tie): invalid unless repaired.
BOWTIE = shapely.Polygon([(18, 59), (18.2, 59.1), (18.2, 59), (18, 59.1)])
SWEDEN_BOX = box(10, 55, 25, 70)
REGIONAL_BOX = box(14, 57, 20, 62)
STOCKHOLM_BOX = box(17.5, 59.0, 18.5, 59.6)
GOTHENBURG_BOX = box(11.5, 57.5, 12.5, 58.0)
AREAS_FROM = datetime(2024, 1, 1, tzinfo=UTC)


def geojson_bytes(*geometries, crs: str | None = None) -> bytes:
    """A GeoJSON FeatureCollection of these geometries; `crs` names a CRS member (e.g.
    "urn:ogc:def:crs:EPSG::3006"), none means WGS84."""
    doc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"n": i}, "geometry": json.loads(shapely.to_geojson(g))}
            for i, g in enumerate(geometries)
        ],
    }
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    return json.dumps(doc).encode()


def geojson_file(geometry=SQUARE, name="area.geojson") -> SimpleUploadedFile:
    """An uploaded GeoJSON file with one feature (WGS84, no CRS member)."""
    doc = {"type": "Feature", "properties": {}, "geometry": json.loads(shapely.to_geojson(geometry))}
    return SimpleUploadedFile(name, json.dumps(doc).encode(), content_type="application/geo+json")


def make_sweden_areas(cast: Cast) -> Cast:
    """Nested areas valid from AREAS_FROM: the TSO all of Sweden, the regional DSO the middle, the
    local DSO a box around Stockholm (the other local DSO none)."""
    make_area(system_operator=cast.tso, geometry=SWEDEN_BOX, valid_from=AREAS_FROM)
    make_area(system_operator=cast.regional, geometry=REGIONAL_BOX, valid_from=AREAS_FROM)
    make_area(system_operator=cast.local, geometry=STOCKHOLM_BOX, valid_from=AREAS_FROM)
    return cast
