"""Broken and hostile area files (tests/observability/corpus.py) through the page and the API: a
message on the file field, never a 500, no server path in it, nothing stored, no file left behind.

Runs on SQLite and, in the suite's PostgreSQL pass, on PostgreSQL.
"""

from __future__ import annotations

import tempfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from observability.models import AreaUpload, ObservabilityArea
from tests.observability.corpus import corpus, gpkg_bytes, shapefile_zip

CORPUS = corpus()


@pytest.fixture
def upload_tmp(settings, tmp_path, monkeypatch):
    """Uploads and our extraction folders in a folder of this test's own (counted after each call)."""
    folder = tmp_path / "upload-tmp"
    folder.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # every upload goes through a temporary file
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def assert_clean_message(messages: list[str], folder) -> None:
    assert messages, "no message on the file field"
    for message in messages:
        assert str(folder) not in message
        assert tempfile.gettempdir() not in message and "gridprequal-area-" not in message
        assert "/tmp" not in message and "Traceback" not in message


@pytest.mark.parametrize(("name", "filename", "data"), CORPUS, ids=[c[0] for c in CORPUS])
def test_page_answers_every_broken_file_on_the_file_field(client, cast, upload_tmp, name, filename, data):
    client.force_login(cast.local_engineer)
    response = client.post(
        reverse("observability:area-upload"),
        {"system_operator": cast.local.pk, "file": SimpleUploadedFile(filename, data)},
        follow=True,
    )
    assert response.status_code == 200
    assert response.templates[0].name == "observability/area_upload.html"
    assert_clean_message(response.context["form"].errors.get("file", []), upload_tmp)
    assert ObservabilityArea.objects.count() == 0
    assert not AreaUpload.objects.exclude(content=None).exists()  # the bytes are dropped
    assert list(upload_tmp.iterdir()) == []  # no temporary file or folder outlives the request


@pytest.mark.parametrize(("name", "filename", "data"), CORPUS, ids=[c[0] for c in CORPUS])
def test_api_answers_every_broken_file_with_a_message_per_field(
    cast, api_as, upload_tmp, name, filename, data
):
    client = api_as(cast.local_engineer)
    response = client.post(
        "/api/areas/",
        {"system_operator": cast.local.pk, "file": SimpleUploadedFile(filename, data), "preview": "true"},
        format="multipart",
    )
    if response.status_code == 400:  # refused in the request (name, kind, size)
        body = response.json()
    else:
        assert response.status_code == 202, response.content
        body = client.get(response.json()["status_url"]).json()
        assert body["status"] == "failed" and body["progress"] == 100
    assert_clean_message(body["errors"]["file"], upload_tmp)
    assert body["detail"]
    assert ObservabilityArea.objects.count() == 0
    assert list(upload_tmp.iterdir()) == []


@pytest.mark.parametrize(("filename", "data"), [("area.zip", None), ("area.gpkg", None)])
def test_the_corpus_helpers_make_readable_files(cast, api_as, upload_tmp, filename, data):
    """The broken files are variations of these good ones, which pass."""
    data = shapefile_zip() if filename.endswith(".zip") else gpkg_bytes()
    response = api_as(cast.local_engineer).post(
        "/api/areas/",
        {"system_operator": cast.local.pk, "file": SimpleUploadedFile(filename, data), "preview": "true"},
        format="multipart",
    )
    assert response.json()["status"] == "ready", response.json()
    assert list(upload_tmp.iterdir()) == []
