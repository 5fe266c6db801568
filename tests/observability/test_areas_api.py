"""The observability-area and who-assesses API: happy paths and the permission matrix."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import shapely
from shapely.geometry import box

from observability.models import ObservabilityArea
from tests.factories import ConnectionPointFactory, ProductFactory, make_area
from tests.gis import BOWTIE, geojson_file

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def test_engineer_uploads_a_version(cast, api_as):
    response = api_as(cast.local_engineer).post(
        "/api/areas/",
        {"system_operator": cast.local.pk, "valid_from": "2025-05-01T00:00:00+02:00", "file": geojson_file()},
        format="multipart",
    )
    # 202: a worker checks the file (eagerly in tests); the status URL says how far it got.
    assert response.status_code == 202, response.json()
    assert response.json()["status"] == "stored"
    status = api_as(cast.local_engineer).get(response.json()["status_url"])
    assert status.status_code == 200 and status.json()["progress"] == 100
    body = status.json()["version"]
    assert body["system_operator"] == cast.local.pk
    assert body["valid_from"].startswith("2025-05-01")
    assert body["uploaded_by"] == "local_engineer"
    assert body["source_epsg"] == 4326
    assert body["area_km2"] == pytest.approx(127.3, rel=0.01)  # 0.2° × 0.1° at 59° N
    version = ObservabilityArea.objects.get()
    assert version.valid_from == datetime(2025, 4, 30, 22, tzinfo=UTC)


def test_preview_stores_nothing(cast, api_as):
    ConnectionPointFactory(connecting_so=cast.local, longitude=18.1, latitude=59.05)
    response = api_as(cast.local_engineer).post(
        "/api/areas/",
        {"system_operator": cast.local.pk, "file": geojson_file(), "preview": "true"},
        format="multipart",
    )
    assert response.status_code == 202
    assert response.json()["status"] == "ready"
    preview = api_as(cast.local_engineer).get(response.json()["status_url"]).json()["preview"]
    assert preview["points_inside"] == 1
    assert preview["geometry"]["type"] == "Polygon"
    assert ObservabilityArea.objects.count() == 0


def test_bad_file_gives_field_message_and_stores_nothing(cast, api_as):
    bowtie = BOWTIE
    client = api_as(cast.local_engineer)
    response = client.post(
        "/api/areas/", {"system_operator": cast.local.pk, "file": geojson_file(bowtie)}, format="multipart"
    )
    assert response.status_code == 202
    status = client.get(response.json()["status_url"]).json()
    assert status["status"] == "failed"
    assert "Self-intersection" in status["errors"]["file"][0]
    assert ObservabilityArea.objects.count() == 0


def test_list_filter_current_detail_and_download(sweden, api_as):
    cast = sweden
    newer = make_area(
        system_operator=cast.local,
        geometry=box(17, 59, 18.5, 59.6),
        valid_from=datetime(2025, 1, 1, tzinfo=UTC),
    )
    client = api_as(cast.fsp_a_user)  # areas are readable by every logged-in user
    everything = client.get("/api/areas/").json()
    assert everything["count"] == 4
    local = client.get(f"/api/areas/?system_operator={cast.local.pk}").json()
    assert local["count"] == 2
    current = client.get(f"/api/areas/?system_operator={cast.local.pk}&current=true").json()
    assert [r["id"] for r in current["results"]] == [newer.pk]
    tso = client.get("/api/areas/?tier=tso").json()
    assert [r["system_operator"] for r in tso["results"]] == [cast.tso.pk]

    detail = client.get(f"/api/areas/{newer.pk}/")
    assert detail.status_code == 200 and detail.json()["bbox"] == [17.0, 59.0, 18.5, 59.6]
    download = client.get(f"/api/areas/{newer.pk}/geojson")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/geo+json"
    assert "attachment" in download["Content-Disposition"]
    feature = json.loads(download.content)["features"][0]
    assert shapely.from_geojson(json.dumps(feature["geometry"])).equals(box(17, 59, 18.5, 59.6))
    assert client.get("/api/areas/999999/").status_code == 404


def test_assessing_sos_for_many_points_by_id_and_gsrn(sweden, api_as):
    cast = sweden
    inside = ConnectionPointFactory(connecting_so=cast.local, longitude=18.0, latitude=59.3)
    elsewhere = ConnectionPointFactory(connecting_so=cast.local, longitude=22.0, latitude=66.0)
    product = ProductFactory(procuring_so=cast.tso)
    response = api_as(cast.local_engineer).post(
        "/api/assessing-sos/",
        {"connection_points": [str(inside.pk), elsewhere.gsrn], "product": product.code},
        format="json",
    )
    assert response.status_code == 200, response.json()
    first, second = response.json()
    assert first["connection_point"] == inside.pk
    reasons = {e["system_operator"]: e["reasons"] for e in first["assessing_sos"]}
    assert reasons == {
        cast.tso.pk: ["observability_area", "procuring"],
        cast.regional.pk: ["observability_area"],
        cast.local.pk: ["connecting", "observability_area"],
    }
    tso_entry = next(e for e in first["assessing_sos"] if e["system_operator"] == cast.tso.pk)
    assert tso_entry["area_version_ids"] == [cast.tso.observability_areas.get().pk]
    assert {e["system_operator"] for e in second["assessing_sos"]} == {cast.local.pk, cast.tso.pk}


def test_assessing_sos_unknown_product(sweden, api_as):
    cp = ConnectionPointFactory(connecting_so=sweden.local)
    response = api_as(sweden.local_engineer).post(
        "/api/assessing-sos/", {"connection_points": [str(cp.pk)], "product": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert "nope" in response.json()["errors"]["product"][0]


def test_repair_is_opt_in_over_the_api(cast, api_as):
    bowtie = BOWTIE
    client = api_as(cast.local_engineer)
    preview = client.post(
        "/api/areas/",
        {"system_operator": cast.local.pk, "file": geojson_file(bowtie), "preview": "true", "repair": "true"},
        format="multipart",
    )
    assert preview.status_code == 202 and preview.json()["preview"]["repaired"] is True
    assert any("make_valid" in m for m in preview.json()["preview"]["messages"])
    assert ObservabilityArea.objects.count() == 0
    confirmed = client.post(preview.json()["confirm_url"], {"valid_from": "2025-06-01T00:00Z"}, format="json")
    assert confirmed.status_code == 201 and confirmed.json()["repaired"] is True
    again = client.post(preview.json()["confirm_url"], {"valid_from": "2025-07-01T00:00Z"}, format="json")
    assert again.status_code == 400 and "file" in again.json()["errors"]
    created = client.post(
        "/api/areas/",
        {"system_operator": cast.local.pk, "file": geojson_file(bowtie), "repair": "true"},
        format="multipart",
    )
    assert created.status_code == 202 and created.json()["version"]["repaired"] is True


def test_list_at_an_instant(sweden, api_as):
    cast = sweden
    newer = make_area(
        system_operator=cast.local,
        geometry=box(17, 59, 18.5, 59.6),
        valid_from=datetime(2025, 1, 1, tzinfo=UTC),
    )
    client = api_as(cast.local_viewer)
    url = f"/api/areas/?system_operator={cast.local.pk}"
    assert [r["id"] for r in client.get(url + "&at=2024-06-01T00:00Z").json()["results"]] == [
        cast.local.observability_areas.get(valid_from=T0).pk
    ]
    assert [r["id"] for r in client.get(url + "&at=2025-06-01T00:00%2B02:00").json()["results"]] == [newer.pk]
    assert client.get(url + "&at=2023-01-01T00:00Z").json()["count"] == 0
    bad = client.get(url + "&at=yesterday")
    assert bad.status_code == 400 and "at" in bad.json()["errors"]
