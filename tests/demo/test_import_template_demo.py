"""The SPU import's template, downloaded by a demo FSP, imports cleanly into the demo data, also
after Swedish Excel saved it again (Windows-1252, semicolons, decimal commas)."""

from __future__ import annotations

import csv
import io
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from lxml import html

from accounts.models import User
from prequal.models import Spu

pytestmark = pytest.mark.django_db


@pytest.fixture
def fsp_client(db, client):
    call_command("demo_data", "--force", stdout=StringIO())
    client.force_login(User.objects.get(username="fsp-volt"))
    return client


def _template(client) -> list[list[str]]:
    response = client.get(reverse("prequal:import-template"))
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _as_swedish_excel(rows: list[list[str]]) -> bytes:
    """What Swedish Excel writes on "Save as CSV (semicolon-separated)"."""
    out = io.StringIO()
    numeric = {"max_up_kw", "max_down_kw", "x", "y"}
    header = rows[0]
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows[1:]:
        cells = zip(header, row, strict=True)
        writer.writerow([cell.replace(".", ",") if name in numeric else cell for name, cell in cells])
    return out.getvalue().replace("Battery", "Batteri Högdalen").encode("cp1252")


def _problems(response) -> list[str]:
    return [" | ".join(td.text_content() for td in tr.xpath("td"))
            for tr in html.fromstring(response.content).xpath('//table[@class="import-errors"]/tbody/tr')]


def _import(client, data: bytes):
    return client.post(reverse("prequal:import"), {
        "file": SimpleUploadedFile("mallen.csv", data, content_type="text/csv")
    }, follow=True)


def test_the_template_imports_cleanly_into_the_demo_data(fsp_client):
    rows = _template(fsp_client)
    before = Spu.objects.count()

    response = _import(fsp_client, "\r\n".join(",".join(row) for row in rows).encode())

    assert response.redirect_chain, _problems(response)
    assert response.redirect_chain[-1][0] == reverse("prequal:spu-list")
    assert Spu.objects.count() == before + 1
    assert "Read as UTF-8, comma-separated, decimal point." in response.content.decode()


def test_the_template_saved_by_swedish_excel_imports_cleanly(fsp_client):
    before = Spu.objects.count()

    response = _import(fsp_client, _as_swedish_excel(_template(fsp_client)))

    assert response.redirect_chain, _problems(response)
    assert response.redirect_chain[-1][0] == reverse("prequal:spu-list")
    assert Spu.objects.count() == before + 1
    assert Spu.objects.filter(name__startswith="Batteri Högdalen").exists()
    assert "Read as Windows-1252, semicolon-separated, decimal comma." in response.content.decode()
