"""Reading observability-area files: formats, CRSs, and every kind of bad input (nothing stored)."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import geopandas
import numpy as np
import pytest
import shapely
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from pyproj import Transformer
from shapely.geometry import LineString, Point, Polygon, box

from observability.area_geometry import area_km2
from observability.areas import area_file_read
from observability.models import ObservabilityArea
from observability.services import area_upload_preview, area_version_create
from tests.factories import ConnectionPointFactory
from tests.gis import BOWTIE, SQUARE, geojson_bytes

TO_3006 = Transformer.from_crs(4326, 3006, always_xy=True)


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def to_3006(geometry):
    return shapely.transform(geometry, lambda xy: np.column_stack(TO_3006.transform(xy[:, 0], xy[:, 1])))


def shapefile_zip(
    tmp_path: Path, geometry, *, epsg: int | None = 3006, drop: tuple[str, ...] = (), prefix: str = ""
) -> bytes:
    frame = geopandas.GeoDataFrame(
        {"name": ["area"]}, geometry=[geometry], crs=f"EPSG:{epsg}" if epsg else None
    )
    folder = tmp_path / "shp"
    folder.mkdir(exist_ok=True)
    frame.to_file(folder / "area.shp", engine="pyogrio")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for part in folder.iterdir():
            if part.suffix.lower() not in drop:
                archive.write(part, prefix + part.name)
    return buffer.getvalue()


def read(name: str, content: bytes):
    return area_file_read(file=upload(name, content), filename=name)


def message(excinfo) -> str:
    return " ".join(excinfo.value.message_dict["file"])


# --- Formats and coordinate systems ------------------------------------------------------------


def test_geojson_without_crs_is_wgs84():
    area = read("a.geojson", geojson_bytes(SQUARE))
    assert area.source_epsg == 4326
    assert area.geometry.equals(SQUARE)
    # 0.2° × 0.1° at 59° N: about 11.5 km × 11.1 km
    assert area.area_km2 == pytest.approx(0.2 * 111.32 * 0.5150 * 0.1 * 111.2, rel=0.01)


def test_geojson_in_sweref99_is_reprojected_precisely():
    # Stockholm Central Station: SWEREF 99 TM N 6580822, E 674032 (to the metre) is
    # 59.330231 N, 18.059196 E (published pair, e.g. the MightyLittleGeodesy test suite).
    e, n = 674032.0, 6580822.0
    polygon = Polygon([(e, n), (e + 1000, n), (e + 1000, n + 1000), (e, n + 1000)])
    area = read("sthlm.geojson", geojson_bytes(polygon, crs="urn:ogc:def:crs:EPSG::3006"))
    assert area.source_epsg == 3006
    lon, lat = area.geometry.exterior.coords[0]
    # One metre is ~0.9e-5 degrees of latitude and ~1.8e-5 of longitude here.
    assert lat == pytest.approx(59.330231, abs=1e-5)
    assert lon == pytest.approx(18.059196, abs=2e-5)
    # Round trip back to SWEREF 99 TM within a millimetre: storing in WGS84 loses nothing.
    back = Transformer.from_crs(4326, 3006, always_xy=True).transform(lon, lat)
    assert back == pytest.approx((e, n), abs=1e-3)
    assert area.area_km2 == pytest.approx(1.0, rel=2e-3)  # TM scale error is below 0.1 % here


def test_geopackage_in_sweref99(tmp_path):
    path = tmp_path / "area.gpkg"
    geopandas.GeoDataFrame(geometry=[to_3006(SQUARE)], crs="EPSG:3006").to_file(path, engine="pyogrio")
    area = read("area.gpkg", path.read_bytes())
    assert area.source_epsg == 3006
    assert area.geometry.symmetric_difference(SQUARE).area < 1e-8


def test_zipped_shapefile(tmp_path):
    area = read("area.zip", shapefile_zip(tmp_path, to_3006(SQUARE), prefix="export/"))
    assert area.source_epsg == 3006
    assert area.area_km2 == pytest.approx(area_km2(SQUARE), rel=1e-4)


def test_several_features_become_one_multipolygon():
    area = read("two.geojson", geojson_bytes(box(18, 59, 18.1, 59.1), box(19, 60, 19.1, 60.1)))
    assert area.geometry.geom_type == "MultiPolygon"
    assert area.feature_count == 2


def test_polygon_with_hole_keeps_the_hole():
    holed = Polygon(SQUARE.exterior.coords, [box(18.05, 59.02, 18.1, 59.05).exterior.coords])
    area = read("hole.geojson", geojson_bytes(holed))
    assert len(area.geometry.interiors) == 1
    assert not area.geometry.covers(Point(18.07, 59.03))


# --- Bad input: a clear message about the file, nothing stored ------------------------------------


def test_self_intersection_says_where():
    bowtie = BOWTIE
    with pytest.raises(ValidationError) as excinfo:
        read("bowtie.geojson", geojson_bytes(bowtie))
    text = message(excinfo)
    assert "Self-intersection" in text and "feature 1" in text
    assert "longitude 18.100000, latitude 59.050000" in text
    assert "not repaired" in text


def test_self_intersection_in_projected_file_gives_both_coordinates():
    bowtie = Polygon([(670000, 6570000), (680000, 6580000), (680000, 6570000), (670000, 6580000)])
    with pytest.raises(ValidationError) as excinfo:
        read("bowtie.geojson", geojson_bytes(bowtie, crs="urn:ogc:def:crs:EPSG::3006"))
    assert "675000.000 6575000.000" in message(excinfo)


def test_empty_file():
    with pytest.raises(ValidationError) as excinfo:
        read("empty.geojson", b"")
    assert "empty" in message(excinfo)


def test_file_without_features():
    with pytest.raises(ValidationError) as excinfo:
        read("none.geojson", json.dumps({"type": "FeatureCollection", "features": []}).encode())
    assert "no area" in message(excinfo)


def test_non_polygon_features_are_named():
    with pytest.raises(ValidationError) as excinfo:
        read("mixed.geojson", geojson_bytes(SQUARE, LineString([(18, 59), (19, 60)]), Point(18, 59)))
    text = message(excinfo)
    assert "feature 2 is a LineString" in text and "feature 3 is a Point" in text


def test_shapefile_without_prj_has_unknown_crs(tmp_path):
    with pytest.raises(ValidationError) as excinfo:
        read("noprj.zip", shapefile_zip(tmp_path, to_3006(SQUARE), drop=(".prj",)))
    assert "no .prj" in message(excinfo)


def test_geopackage_without_epsg_code(tmp_path):
    path = tmp_path / "odd.gpkg"
    odd = "+proj=tmerc +lat_0=0 +lon_0=15.123 +k=0.9996 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m"
    geopandas.GeoDataFrame(geometry=[to_3006(SQUARE)], crs=odd).to_file(path, engine="pyogrio")
    with pytest.raises(ValidationError) as excinfo:
        read("odd.gpkg", path.read_bytes())
    assert "no EPSG code" in message(excinfo)


def test_projected_coordinates_in_a_wgs84_file_are_out_of_range():
    with pytest.raises(ValidationError) as excinfo:
        read("wrong.geojson", geojson_bytes(to_3006(SQUARE)))
    assert "outside the range" in message(excinfo)


def test_coordinates_outside_the_crs_area_of_use():
    # Degrees written into a SWEREF99 TM file land near the equator: implausible for EPSG:3006.
    with pytest.raises(ValidationError) as excinfo:
        read("degrees.geojson", geojson_bytes(SQUARE, crs="urn:ogc:def:crs:EPSG::3006"))
    assert "outside the area EPSG:3006" in message(excinfo)


def test_file_over_the_size_limit(settings):
    settings.GRIDPREQUAL_MAX_UPLOAD_BYTES = 100
    with pytest.raises(ValidationError) as excinfo:
        read("big.geojson", geojson_bytes(SQUARE))
    assert "the limit is" in message(excinfo)


def test_zip_without_shp():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "no shapefile here")
    with pytest.raises(ValidationError) as excinfo:
        read("nothing.zip", buffer.getvalue())
    assert "no .shp file" in message(excinfo)


@pytest.mark.parametrize("evil", ["../evil.shp", "/etc/evil.shp", "a/../../evil.shp", "C:/evil.shp"])
def test_zip_path_traversal_is_refused(evil, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(evil, b"x")
    with pytest.raises(ValidationError) as excinfo:
        read("evil.zip", buffer.getvalue())
    assert "outside the archive" in message(excinfo)
    assert not (tmp_path.parent / "evil.shp").exists()


def test_not_a_zip():
    with pytest.raises(ValidationError) as excinfo:
        read("broken.zip", b"PK-not-really")
    assert "not a readable zip" in message(excinfo)


def test_unsupported_suffix():
    with pytest.raises(ValidationError) as excinfo:
        read("area.kml", b"<kml/>")
    assert "not a supported file" in message(excinfo)


def test_garbage_geojson():
    with pytest.raises(ValidationError) as excinfo:
        read("garbage.geojson", b"{ this is not json")
    assert "could not be read" in message(excinfo)


# --- Services: preview stores nothing; create checks who uploads ---------------------------------


def test_preview_counts_points_inside_and_stores_nothing(cast):
    ConnectionPointFactory(connecting_so=cast.local, longitude=18.1, latitude=59.05)
    ConnectionPointFactory(connecting_so=cast.local, longitude=18.0, latitude=59.05)  # on the edge
    ConnectionPointFactory(connecting_so=cast.local, longitude=17.0, latitude=59.05)  # outside
    ConnectionPointFactory(connecting_so=cast.other_local, longitude=18.1, latitude=59.05)  # not theirs
    preview = area_upload_preview(
        user=cast.local_engineer, file=upload("a.geojson", geojson_bytes(SQUARE)), filename="a.geojson"
    )
    assert preview.system_operator == cast.local
    assert (preview.points_inside, preview.points_total) == (2, 3)
    assert any("1 of Local DSO's 3 connection points lie outside" in m for m in preview.messages)
    assert ObservabilityArea.objects.count() == 0


@pytest.mark.parametrize(
    "who", ["local_viewer", "other_local_engineer", "fsp_a_user", "nra_analyst", "outsider"]
)
def test_only_the_operators_engineers_may_upload(cast, who):
    with pytest.raises(PermissionDenied):
        area_version_create(
            user=getattr(cast, who),
            system_operator=cast.local,
            file=upload("a.geojson", geojson_bytes(SQUARE)),
            filename="a.geojson",
        )
    assert ObservabilityArea.objects.count() == 0


def test_create_keeps_earlier_versions_and_refuses_a_duplicate_instant(cast):
    t = datetime(2025, 3, 1, tzinfo=UTC)
    first = area_version_create(
        user=cast.local_engineer,
        system_operator=cast.local,
        valid_from=t,
        file=upload("a.geojson", geojson_bytes(SQUARE)),
        filename="a.geojson",
    )
    assert (first.uploaded_by, first.source_epsg, first.source_filename) == (
        cast.local_engineer,
        4326,
        "a.geojson",
    )
    with pytest.raises(ValidationError) as excinfo:
        area_version_create(
            user=cast.local_engineer,
            system_operator=cast.local,
            valid_from=t,
            file=upload("b.geojson", geojson_bytes(box(18, 59, 19, 60))),
            filename="b.geojson",
        )
    assert "valid_from" in excinfo.value.message_dict
    second = area_version_create(
        user=cast.local_engineer,
        system_operator=cast.local,
        valid_from=datetime(2025, 6, 1, tzinfo=UTC),
        file=upload("b.geojson", geojson_bytes(box(18, 59, 19, 60))),
        filename="b.geojson",
    )
    assert list(cast.local.observability_areas.order_by("valid_from")) == [first, second]
    assert first.geometry.equals(SQUARE)


def test_versions_are_never_edited_or_deleted(cast):
    version = area_version_create(
        user=cast.local_engineer,
        system_operator=cast.local,
        file=upload("a.geojson", geojson_bytes(SQUARE)),
        filename="a.geojson",
    )
    with pytest.raises(ValueError):
        version.save()
    with pytest.raises(ValueError):
        version.delete()


# --- Repair only on request, and never silently ---------------------------------------------------


def test_repair_on_request_says_so_and_keeps_only_polygons():
    bowtie = BOWTIE
    area = area_file_read(
        file=upload("bowtie.geojson", geojson_bytes(bowtie)), filename="bowtie.geojson", repair=True
    )
    assert area.repaired
    assert area.geometry.is_valid and area.geometry.geom_type in ("Polygon", "MultiPolygon")
    assert any("Repaired with make_valid" in m and "Self-intersection" in m for m in area.messages)
    assert area.area_km2 > 0


def test_valid_file_is_not_marked_repaired_even_when_repair_is_allowed():
    area = area_file_read(file=upload("a.geojson", geojson_bytes(SQUARE)), filename="a.geojson", repair=True)
    assert not area.repaired and area.messages == []


def test_repaired_version_records_it(cast):
    bowtie = BOWTIE
    version = area_version_create(
        user=cast.local_engineer,
        system_operator=cast.local,
        file=upload("bowtie.geojson", geojson_bytes(bowtie)),
        filename="bowtie.geojson",
        repair=True,
    )
    assert version.repaired
