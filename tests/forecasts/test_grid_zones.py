"""Grid zones (SPEC §2): uploaded and versioned like observability areas, checked by the same
reader (any EPSG, valid polygons), inside or overlapping the operator's observability area."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
import shapely
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from pyproj import Transformer
from shapely.geometry import box

from forecasts.models import GridZone, GridZoneVersion
from forecasts.services import grid_zone_upload
from tests.forecasts.helpers import NORTH_BOX
from tests.gis import BOWTIE, GOTHENBURG_BOX, geojson_bytes, geojson_file
from tests.grid import SETUP_TIME

pytestmark = pytest.mark.django_db
LATER = SETUP_TIME + timedelta(days=1)


def upload(cast, **kwargs):
    kwargs.setdefault("user", cast.local_engineer)
    kwargs.setdefault("system_operator", cast.local)
    kwargs.setdefault("code", "NORTH")
    kwargs.setdefault("name", "North substation")
    with time_machine.travel(LATER, tick=False):
        return grid_zone_upload(**kwargs)


def test_a_zone_from_a_geojson_file_is_stored_in_wgs84(cast, grid):
    version = upload(cast, file=geojson_file(NORTH_BOX), filename="north.geojson")
    assert version.zone.system_operator == cast.local
    assert version.uploaded_by == cast.local_engineer
    assert version.source_epsg == 4326
    assert version.geometry.equals(NORTH_BOX)
    assert (version.min_lon, version.max_lat) == (17.9, 59.45)


def test_a_zone_in_sweref99_is_reprojected(cast, grid):
    to_sweref = Transformer.from_crs(4326, 3006, always_xy=True)
    projected = shapely.transform(
        NORTH_BOX, lambda xy: np.column_stack(to_sweref.transform(xy[:, 0], xy[:, 1]))
    )
    file = SimpleUploadedFile(
        "north.geojson", geojson_bytes(projected, crs="urn:ogc:def:crs:EPSG::3006")
    )
    version = upload(cast, file=file, filename="north.geojson")
    assert version.source_epsg == 3006
    assert version.geometry.buffer(1e-6).contains(NORTH_BOX.buffer(-1e-6))


def test_the_whole_area_is_a_zone(cast, grid):
    version = upload(cast, whole_area=True, code="ALL", name="Whole grid")
    assert version.geometry.equals(shapely.box(17.5, 59.0, 18.5, 59.6))


def test_a_zone_overlapping_the_area_is_taken(cast, grid):
    version = upload(cast, file=geojson_file(box(18.4, 59.5, 18.8, 59.8)), filename="edge.geojson")
    assert version.pk


def test_a_zone_outside_the_area_is_refused(cast, grid):
    with pytest.raises(ValidationError) as exc:
        upload(cast, file=geojson_file(GOTHENBURG_BOX), filename="gbg.geojson")
    assert "outside" in exc.value.message_dict["file"][0]
    assert not GridZone.objects.exists()


def test_an_invalid_polygon_is_refused_with_the_area_readers_message(cast, grid):
    with pytest.raises(ValidationError) as exc:
        upload(cast, file=geojson_file(BOWTIE), filename="bowtie.geojson")
    assert "invalid polygons" in exc.value.message_dict["file"][0]
    assert not GridZoneVersion.objects.exists()


def test_an_operator_without_an_area_cannot_have_zones(cast, grid):
    with pytest.raises(ValidationError) as exc:
        upload(
            cast,
            user=cast.regional_engineer,
            system_operator=cast.regional,
            file=geojson_file(NORTH_BOX),
            filename="north.geojson",
        )
    assert "no observability area" in exc.value.message_dict["file"][0]


@pytest.mark.parametrize(
    "persona", ["local_viewer", "other_local_engineer", "fsp_a_user", "nra_analyst"]
)
def test_only_the_operators_engineers_upload_its_zones(cast, grid, persona):
    with pytest.raises(PermissionDenied):
        upload(
            cast,
            user=getattr(cast, persona),
            file=geojson_file(NORTH_BOX),
            filename="north.geojson",
        )


@pytest.mark.parametrize(
    "code, name, field",
    [("", "North", "code"), ("has space", "North", "code"), ("NORTH", " ", "name")],
)
def test_a_zone_needs_a_code_and_a_name(cast, grid, code, name, field):
    with pytest.raises(ValidationError) as exc:
        upload(cast, code=code, name=name, file=geojson_file(NORTH_BOX), filename="north.geojson")
    assert field in exc.value.message_dict


def test_a_new_version_keeps_the_old_one(cast, grid):
    first = upload(cast, file=geojson_file(NORTH_BOX), filename="north.geojson")
    with time_machine.travel(LATER + timedelta(days=1), tick=False):
        second = grid_zone_upload(
            user=cast.local_engineer,
            system_operator=cast.local,
            code="NORTH",
            name="North (extended)",
            file=geojson_file(box(17.8, 59.2, 18.3, 59.5)),
            filename="north2.geojson",
        )
    assert first.zone_id == second.zone_id
    assert GridZoneVersion.objects.filter(zone=first.zone).count() == 2
    current = GridZoneVersion.objects.current(at=LATER + timedelta(hours=1)).get(zone=first.zone)
    assert current.pk == first.pk
    with pytest.raises(ValueError):
        first.save()


def test_the_same_instant_twice_is_refused(cast, grid):
    upload(cast, file=geojson_file(NORTH_BOX), filename="north.geojson")
    with pytest.raises(ValidationError) as exc:
        upload(cast, file=geojson_file(NORTH_BOX), filename="north.geojson")
    assert "valid_from" in exc.value.message_dict
