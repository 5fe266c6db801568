"""Observability-area pages: map, upload → preview → confirm, versions, who assesses; permissions."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import shapely
from django.urls import reverse

from observability.models import AreaUpload, ObservabilityArea
from tests.factories import ConnectionPointFactory, ProductFactory, SpuFactory
from tests.gis import BOWTIE, SQUARE, geojson_file

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def test_map_data_filters_by_operator_and_tier_and_scopes_points(client, sweden):
    cast = sweden
    mine = ConnectionPointFactory(connecting_so=cast.local, longitude=18, latitude=59.3)
    ConnectionPointFactory(connecting_so=cast.other_local, longitude=18, latitude=59.3)
    client.force_login(cast.local_engineer)
    data = client.get(reverse("observability:map-data")).json()
    areas = [f for f in data["features"] if f["properties"]["kind"] == "area"]
    points = [f for f in data["features"] if f["properties"]["kind"] == "point"]
    assert {f["properties"]["system_operator_id"] for f in areas} == {
        cast.tso.pk,
        cast.regional.pk,
        cast.local.pk,
    }
    assert points == []  # the points come per visible box: tests/observability/test_map_points.py
    in_box = client.get(reverse("api:connection-point-map"), {"bbox": "10,55,25,70"}).json()
    assert [p["properties"]["gsrn"] for p in in_box["features"]] == [mine.gsrn]  # their own grid's only
    tso_only = client.get(reverse("observability:map-data") + "?tier=tso").json()
    assert {f["properties"]["tier"] for f in tso_only["features"]} == {"tso"}
    one = client.get(reverse("observability:map-data") + f"?operator={cast.regional.pk}").json()
    assert {f["properties"].get("system_operator_id") for f in one["features"]} == {cast.regional.pk}

    client.force_login(cast.fsp_b_user)  # no units anywhere: areas, but no points
    data = client.get(reverse("observability:map-data")).json()
    assert not [f for f in data["features"] if f["properties"]["kind"] == "point"]
    assert client.get(reverse("api:connection-point-map"), {"bbox": "10,55,25,70"}).json()["features"] == []


def test_upload_preview_confirm_creates_a_version(client, sweden, media):
    cast = sweden
    ConnectionPointFactory(connecting_so=cast.local, longitude=18.1, latitude=59.05)
    ConnectionPointFactory(connecting_so=cast.local, longitude=17.0, latitude=59.05)
    client.force_login(cast.local_engineer)
    queued = client.post(
        reverse("observability:area-upload"), {"system_operator": cast.local.pk, "file": geojson_file()}
    )
    # The file is kept and checked by a worker (eager in tests); the status page shows the preview.
    assert queued.status_code == 302 and "/areas/uploads/" in queued["Location"]
    preview = client.get(queued["Location"])
    assert preview.status_code == 200
    assert preview.templates[0].name == "observability/area_preview.html"
    content = preview.content.decode()
    assert "127." in content  # km²
    assert "1 / 2" in content  # points inside / total
    assert "Local time (Europe/Stockholm)" in content  # the zone valid_from is read in
    assert ObservabilityArea.objects.filter(system_operator=cast.local).count() == 1  # nothing new yet
    roles = {f["properties"].get("role") for f in preview.context["map_config"]["data"]["features"]}
    assert {"preview", "current", "neighbour"} <= roles
    token = preview.context["confirm_form"]["token"].value()

    confirm = client.post(
        reverse("observability:area-upload-confirm"), {"token": token, "valid_from": "2025-06-01T00:00"}
    )
    version = ObservabilityArea.objects.filter(system_operator=cast.local).latest("valid_from")
    assert confirm.status_code == 302 and confirm["Location"] == reverse(
        "observability:area-detail", args=[version.pk]
    )
    assert version.valid_from == datetime(2025, 5, 31, 22, tzinfo=UTC)  # entered in Stockholm time
    assert version.uploaded_by == cast.local_engineer
    assert version.geometry.equals(SQUARE)
    assert AreaUpload.objects.get().content is None  # the file's bytes are dropped once checked
    assert not (media / "area-uploads").exists()  # nothing of the upload on the web machine's disk
    # A second confirm with the same token does nothing.
    again = client.post(
        reverse("observability:area-upload-confirm"), {"token": token, "valid_from": "2025-07-01T00:00"}
    )
    assert again.status_code == 302 and again["Location"] == reverse("observability:area-upload")
    assert ObservabilityArea.objects.filter(system_operator=cast.local).count() == 2


def test_bad_file_shows_the_message_on_the_form(client, cast, media):
    client.force_login(cast.local_engineer)
    bowtie = BOWTIE
    response = client.post(
        reverse("observability:area-upload"),
        {"system_operator": cast.local.pk, "file": geojson_file(bowtie)},
        follow=True,
    )
    assert response.status_code == 200
    assert response.templates[0].name == "observability/area_upload.html"
    assert "Self-intersection" in response.context["form"].errors["file"][0]
    assert ObservabilityArea.objects.count() == 0
    assert AreaUpload.objects.get().content is None
    assert not (media / "area-uploads").exists()


def test_detail_and_download(client, sweden):
    area = sweden.local.observability_areas.get()
    client.force_login(sweden.fsp_a_user)
    page = client.get(reverse("observability:area-detail", args=[area.pk]))
    assert page.status_code == 200
    assert reverse("observability:area-download", args=[area.pk]) in page.content.decode()
    download = client.get(reverse("observability:area-download", args=[area.pk]))
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    feature = json.loads(download.content)["features"][0]
    assert shapely.from_geojson(json.dumps(feature["geometry"])).equals(area.geometry)
    assert client.get(reverse("observability:area-detail", args=[999999])).status_code == 404


def test_who_assesses_page_explains_why(client, sweden):
    cast = sweden
    spu = SpuFactory(
        fsp=cast.fsp_a,
        connection_point__connecting_so=cast.local,
        connection_point__longitude=18.0,
        connection_point__latitude=59.3,
    )
    product = ProductFactory(procuring_so=cast.tso)
    url = reverse("prequal:assessing-sos", args=[spu.connection_point.pk])
    client.force_login(cast.fsp_a_user)
    page = client.get(url + f"?product={product.code}")
    assert page.status_code == 200
    rows = {row["so"].pk: row for row in page.context["rows"]}
    assert set(rows) == {cast.tso.pk, cast.regional.pk, cast.local.pk}
    assert [str(r) for r in rows[cast.tso.pk]["reasons"]] == ["Observability area", "Procuring SO"]
    assert [str(r) for r in rows[cast.local.pk]["reasons"]] == ["Connecting SO", "Observability area"]
    assert rows[cast.regional.pk]["areas"] == [cast.regional.observability_areas.get()]

    client.force_login(cast.fsp_b_user)
    assert client.get(url).status_code == 404
    client.force_login(cast.other_local_engineer)
    assert client.get(url).status_code == 404


def test_map_has_no_tiles_unless_configured(client, cast, settings):
    client.force_login(cast.local_engineer)
    settings.GRIDPREQUAL_MAP_TILE_URL = ""
    assert client.get(reverse("observability:map")).context["map_config"]["tileUrl"] == ""
    settings.GRIDPREQUAL_MAP_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    config = client.get(reverse("observability:map")).context["map_config"]
    assert config["tileUrl"] == "https://tiles.example.org/{z}/{x}/{y}.png"


def test_repaired_preview_must_be_confirmed_and_is_recorded(client, cast, media):
    client.force_login(cast.local_engineer)
    bowtie = BOWTIE
    preview = client.post(
        reverse("observability:area-upload"),
        {"system_operator": cast.local.pk, "file": geojson_file(bowtie), "repair": "on"},
        follow=True,
    )
    assert preview.status_code == 200 and preview.context["preview"]["repaired"]
    assert "make_valid" in preview.content.decode()
    assert ObservabilityArea.objects.count() == 0
    token = preview.context["confirm_form"]["token"].value()
    client.post(
        reverse("observability:area-upload-confirm"), {"token": token, "valid_from": "2025-06-01T00:00"}
    )
    assert ObservabilityArea.objects.get().repaired


def test_uploads_are_the_uploaders_own_and_stale_ones_are_swept(client, cast, media):
    from datetime import timedelta

    from django.utils import timezone

    client.force_login(cast.local_engineer)
    queued = client.post(
        reverse("observability:area-upload"),
        {"system_operator": cast.local.pk, "file": geojson_file(name="../../evil name.geojson")},
    )
    upload = AreaUpload.objects.get()
    assert upload.filename == "evil name.geojson"
    # Another engineer of the same operator, or anyone else, cannot see or confirm it: 404.
    client.force_login(cast.other_local_engineer)
    assert client.get(queued["Location"]).status_code == 404
    confirm = client.post(
        reverse("observability:area-upload-confirm"), {"token": upload.pk, "valid_from": "2025-06-01T00:00"}
    )
    assert confirm.status_code == 404
    AreaUpload.objects.filter(pk=upload.pk).update(created_at=timezone.now() - timedelta(days=2))
    client.force_login(cast.local_engineer)
    client.post(
        reverse("observability:area-upload"), {"system_operator": cast.local.pk, "file": geojson_file()}
    )
    assert not AreaUpload.objects.filter(pk=upload.pk).exists()


def test_the_confirm_form_names_the_installations_time_zone(client, sweden, media, settings):
    settings.TIME_ZONE = "Europe/Oslo"
    client.force_login(sweden.local_engineer)
    preview = client.post(
        reverse("observability:area-upload"), {"system_operator": sweden.local.pk, "file": geojson_file()},
        follow=True,
    )
    assert "Local time (Europe/Oslo)" in preview.content.decode()
