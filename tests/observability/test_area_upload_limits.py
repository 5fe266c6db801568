"""An area upload's cost is bounded before the heavy work (vertex limit, zip expansion), and
anonymous or oversized bodies are refused before any file part is written to disk."""

from __future__ import annotations

from unittest import mock

import pytest
import shapely
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.urls import reverse

from observability.models import AreaUpload, ObservabilityArea
from tests.gis import geojson_bytes
from tests.observability.corpus import shapefile_parts, shapefile_zip, written, zipped

# A circle of 4 × 2,000 segments: 8,001 vertices.
ROUND = shapely.Point(18.1, 59.05).buffer(0.05, quad_segs=2000)


@pytest.fixture
def small_vertex_limit(settings):
    settings.GRIDPREQUAL_AREA_MAX_VERTICES = 5_000
    return settings.GRIDPREQUAL_AREA_MAX_VERTICES


def _upload_page(client, cast, filename: str, data: bytes):
    return client.post(
        reverse("observability:area-upload"),
        {"system_operator": cast.local.pk, "file": SimpleUploadedFile(filename, data)},
        follow=True,
    )


@pytest.mark.parametrize("kind", ["zip", "geojson", "gpkg"])
def test_too_many_vertices_are_refused_before_any_geometry_is_built(client, cast, small_vertex_limit, kind):
    if kind == "zip":
        filename, data = "area.zip", shapefile_zip(written([ROUND], driver="ESRI Shapefile", suffix=".shp"))
    elif kind == "geojson":
        filename, data = "area.geojson", geojson_bytes(ROUND)
    else:
        filename, data = "area.gpkg", written([ROUND], driver="GPKG", suffix=".gpkg")[".gpkg"]
    client.force_login(cast.local_engineer)
    with mock.patch("geopandas.read_file", side_effect=AssertionError("read the whole file")) as read:
        response = _upload_page(client, cast, filename, data)
    assert not read.called
    message = response.context["form"].errors["file"][0]
    assert "vertices" in message and "5\u00a0000" in message
    assert ObservabilityArea.objects.count() == 0
    assert AreaUpload.objects.get().status == AreaUpload.Status.FAILED


def test_a_zip_expanding_past_the_limit_is_refused_before_extraction(client, cast, settings):
    settings.GRIDPREQUAL_AREA_MAX_EXPANDED_BYTES = 1024 * 1024
    parts = dict(shapefile_parts())
    parts[".dbf"] = parts[".dbf"] + b"\x00" * (3 * 1024 * 1024)  # 3 MB of zeros: a 3 kB zip
    data = shapefile_zip(parts)
    assert len(data) < 20_000
    client.force_login(cast.local_engineer)
    with mock.patch("shutil.copyfileobj", side_effect=AssertionError("extracted")) as extract:
        response = _upload_page(client, cast, "area.zip", data)
    assert not extract.called
    assert "expands to more than 1 MB" in response.context["form"].errors["file"][0]
    assert ObservabilityArea.objects.count() == 0


def test_the_limits_come_from_the_environment(monkeypatch):
    import importlib

    import config.settings

    monkeypatch.setenv("GRIDPREQUAL_AREA_MAX_VERTICES", "1234")
    try:
        assert importlib.reload(config.settings).GRIDPREQUAL_AREA_MAX_VERTICES == 1234
    finally:
        monkeypatch.delenv("GRIDPREQUAL_AREA_MAX_VERTICES")
        importlib.reload(config.settings)


# --- Refused before written to disk -----------------------------------------------------------


@pytest.fixture
def temp_files(settings, tmp_path):
    """Counts the temporary upload files Django creates (every upload would become one)."""
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    created = []
    original = TemporaryUploadedFile.__init__

    def spy(self, *args, **kwargs):
        created.append(args)
        original(self, *args, **kwargs)

    with mock.patch.object(TemporaryUploadedFile, "__init__", spy):
        yield created


def test_anonymous_uploads_are_not_written_to_disk(cast, temp_files, tmp_path):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)  # as a browser meets it: the CSRF check reads the body
    client.get(reverse("login"))  # a visitor with a CSRF cookie, e.g. from the login page
    assert "csrftoken" in client.cookies
    data = geojson_bytes(ROUND)
    page = client.post(reverse("observability:area-upload"),
                       {"system_operator": cast.local.pk, "file": SimpleUploadedFile("a.geojson", data)})
    assert page.status_code in (302, 403)  # to the login page, or refused for want of a CSRF token
    api = client.post(
        "/api/areas/", {"system_operator": cast.local.pk, "file": SimpleUploadedFile("a.geojson", data)}
    )
    assert api.status_code == 401
    assert temp_files == []
    assert list(tmp_path.iterdir()) == []
    assert AreaUpload.objects.count() == 0


def test_oversized_uploads_are_refused_on_the_field_before_written_to_disk(client, cast, api_as, settings,
                                                                           temp_files, tmp_path):
    settings.GRIDPREQUAL_MAX_UPLOAD_BYTES = 2_000
    big = SimpleUploadedFile("area.geojson", b" " * 200_000 + geojson_bytes(ROUND))
    client.force_login(cast.local_engineer)
    page = client.post(reverse("observability:area-upload"), {"system_operator": cast.local.pk, "file": big})
    assert page.status_code == 413
    assert "larger than the limit" in page.context["form"].errors["file"][0]
    big.seek(0)
    api = api_as(cast.local_engineer).post(
        "/api/areas/", {"system_operator": cast.local.pk, "file": big}, format="multipart"
    )
    assert api.status_code == 413
    assert "larger than the limit" in api.json()["errors"]["file"][0]
    assert temp_files == []
    assert list(tmp_path.iterdir()) == []
    assert AreaUpload.objects.count() == 0 and ObservabilityArea.objects.count() == 0


def test_accepted_uploads_leave_no_temporary_file_behind(client, cast, temp_files, tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    client.force_login(cast.local_engineer)
    for filename, data in (("a.geojson", geojson_bytes(ROUND)),
                           ("a.zip", shapefile_zip()),
                           ("broken.zip", zipped({"a.shp": b"nonsense"}))):
        response = _upload_page(client, cast, filename, data)
        assert response.status_code == 200
        assert list(tmp_path.iterdir()) == [], filename
    assert len(temp_files) == 3  # each was a temporary file during its request
