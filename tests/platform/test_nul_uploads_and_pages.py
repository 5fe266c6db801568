"""NUL characters (0x00) in uploaded files, query strings and page forms: a clear error, never a
500 (PostgreSQL text cannot hold NUL). Every CSV import reads through common.csv_in, which refuses
the line; query strings are refused by common.middleware.RefuseNulInQueryMiddleware; the typed
pickers of the page forms by common.pickers.PickerField. Run on both databases: on PostgreSQL a
NUL that reached a query would be the 500. API bodies: test_nul_input.py.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from common.csv_in import CsvIn, CsvInError
from forecasts.models import Publication
from observability.models import AreaUpload, ObservabilityArea
from prequal.imports import COLUMNS as SPU_COLUMNS
from prequal.imports import spu_import_csv
from prequal.models import Spu
from register.models import RecordRevision
from register.services.csv_upload import COLUMNS as RECORD_COLUMNS
from tests.forecasts.helpers import DAY, PUBLISH_AT, make_zones
from tests.gis import SQUARE
from tests.personas import login
from tests.register.helpers import START, iso

pytestmark = pytest.mark.django_db
CSV_MESSAGE = "This line holds a NUL character (0x00)"


def _csv(columns, rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


@pytest.mark.parametrize("source", [b"a,b\r\n1,2\r\n3,x\x00y\r\n", "a,b\r\n1,2\r\n3,x\x00y\r\n",
                                    "a;b\r\n1;2\r\n3;x\x00y\r\n".encode("cp1252")])
def test_the_csv_reader_refuses_the_line_with_nul(source):
    with pytest.raises(CsvInError) as refused:
        list(CsvIn(source).rows())
    assert refused.value.line == 3 and refused.value.message.startswith(CSV_MESSAGE)


def test_spu_import_reports_the_line_and_stores_nothing(cast):
    row = {"spu_code": "IMP-0001", "spu_name": "Battery\x00", "technology": "battery", "max_up_kw": "500",
           "max_down_kw": "250", "gsrn": "735999880000000015", "connecting_so_eic": cast.local.eic_code,
           "bidding_zone": "SE3", "voltage_level": "lv", "crs": "4326", "x": "18.07", "y": "59.33"}
    result = spu_import_csv(user=cast.fsp_a_user, fsp=cast.fsp_a, file=io.BytesIO(_csv(SPU_COLUMNS, [row])))

    assert not result.ok
    assert [(e.line, e.message[: len(CSV_MESSAGE)]) for e in result.errors] == [(2, CSV_MESSAGE)]
    assert not Spu.objects.filter(fsp=cast.fsp_a).exists()


def test_register_csv_upload_is_a_400_naming_the_line(world, client):
    row = {"external_id": "u\x001", "kind": "award", "spu": world.spu.pk, "direction": "up",
           "product": world.local_product.code, "quantity_mw": "0.2", "start": iso(START),
           "end": iso(START + timedelta(hours=2))}
    upload = SimpleUploadedFile("records.csv", _csv(RECORD_COLUMNS, [row]), "text/csv")
    with time_machine.travel(START - timedelta(days=1), tick=False):
        response = login(client, world.cast.local_engineer).post(
            reverse("register:upload"), {"system_operator": world.cast.local.pk, "file": upload})

    assert response.status_code == 400
    problems = response.context["problems"]
    assert [(line, message[: len(CSV_MESSAGE)]) for line, _field, message in problems] == [(2, CSV_MESSAGE)]
    assert not RecordRevision.objects.exists()


def test_forecast_publication_names_the_line(client, cast, grid):
    make_zones(cast)
    text = f"zone,start,direction,headroom_mw,level\nNORTH,{DAY.isoformat()},up,3,like\x00ly\n"
    upload = SimpleUploadedFile("forecast.csv", text.encode(), content_type="text/csv")
    data = {"publish-system_operator": cast.local.pk, "publish-horizon": "day_ahead",
            "publish-mtu_minutes": "60", "publish-file": upload}
    with time_machine.travel(PUBLISH_AT, tick=False):
        response = login(client, cast.local_engineer).post(reverse("forecasts:publish"), data)
        api = login(client, cast.local_engineer).post(
            reverse("api:forecast-publication-list") + f"?system_operator={cast.local.pk}&horizon=day_ahead"
            "&mtu_minutes=60", text.encode(), content_type="text/csv")

    assert response.status_code == 400
    assert CSV_MESSAGE in response.content.decode()
    assert api.status_code == 400 and CSV_MESSAGE in json.dumps(api.json())
    assert not Publication.objects.exists()


def test_an_area_file_with_nul_in_its_properties_and_name_is_stored_without_it(client, cast, media):
    """The area's geometry is what is kept: properties are not read, and Django's upload
    handling drops NUL from the file's name; the version made from it holds no NUL."""
    doc = {"type": "Feature", "properties": {"name\x00": "x\x00"},
           "geometry": {"type": "Polygon", "coordinates": [list(SQUARE.exterior.coords)]}}
    upload = SimpleUploadedFile("are\x00a.geojson", json.dumps(doc).encode(), "application/geo+json")
    client.force_login(cast.local_engineer)
    preview = client.post(reverse("observability:area-upload"),
                          {"system_operator": cast.local.pk, "file": upload}, follow=True)
    token = preview.context["confirm_form"]["token"].value()
    confirm = client.post(reverse("observability:area-upload-confirm"),
                          {"token": token, "valid_from": "2025-06-01T00:00"})

    assert confirm.status_code == 302
    assert AreaUpload.objects.get().filename == "area.geojson"
    version = ObservabilityArea.objects.get(system_operator=cast.local)
    assert version.source_filename == "area.geojson" and version.geometry.equals(SQUARE)


@pytest.mark.parametrize("url", ["/cases/?q=a%00b", "/resources/spus/?q=%00", "/api/spus/?search=%00",
                                 "/api/cases/?product=%00", "/limits/?status=%00"])
def test_a_query_string_with_nul_is_a_400(client, cast, url):
    login(client, cast.fsp_a_user)
    response = client.get(url)

    assert response.status_code == 400
    if url.startswith("/api/"):
        assert "Text may not contain NUL characters." in json.dumps(response.json()["errors"])


def test_a_picker_with_nul_is_a_field_error(client, cast, grid):
    login(client, cast.fsp_a_user)
    response = client.get(reverse("prequal:picker-spu"), {"q": "A\x00"})
    form = client.post(reverse("prequal:case-create"), {
        "fsp": cast.fsp_a.pk, "kind": "spu", "code": "A-1\x00", "product": grid.mfrr.pk})

    assert response.status_code == 400
    assert form.status_code == 200
    assert form.context["form"].errors["code"] == ["Null characters are not allowed."]
