"""The SO engineer's CSV upload of awards and activations (SPEC R11, §5): the batch API's
records for the engineer's own operator, all or nothing, every bad row named by line and field,
the batch kept as the audit row naming the engineer."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from register.models import RecordRevision, RegisterBatch
from register.services.csv_upload import COLUMNS
from tests.personas import login
from tests.register.helpers import START, iso

NOW = START - timedelta(days=1)


def csv_file(rows: list[dict]) -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return SimpleUploadedFile("records.csv", out.getvalue().encode(), "text/csv")


def row(world, external_id="u1", **overrides) -> dict:
    data = {"external_id": external_id, "kind": "award", "spu": world.spu.pk,
            "product": world.local_product.code, "direction": "up", "quantity_mw": "0.2",
            "start": iso(START), "end": iso(START + timedelta(hours=2))}
    data.update(overrides)
    return data


def upload(client, user, so, rows):
    with time_machine.travel(NOW, tick=False):
        return login(client, user).post(reverse("register:upload"),
                                        {"system_operator": so.pk, "file": csv_file(rows)})


def test_the_engineer_uploads_records_for_its_operator(world, client):
    by_code = row(world, "u2", spu="", spu_code="A-1", fsp_eic=world.spu.fsp.organisation.eic_code)
    response = upload(client, world.cast.local_engineer, world.cast.local, [row(world), by_code])

    assert response.status_code == 302
    assert response.headers["Location"] == f"{reverse('register:my-grid')}?so={world.cast.local.pk}"
    assert sorted(RecordRevision.objects.values_list("record__external_id", flat=True)) == ["u1", "u2"]
    batch = RegisterBatch.objects.get()
    assert (batch.actor, batch.system_operator, batch.created) == (
        world.cast.local_engineer, world.cast.local, 2
    )
    again = upload(client, world.cast.local_engineer, world.cast.local, [row(world)])
    assert again.status_code == 302 and RecordRevision.objects.count() == 2  # stored once


def test_every_bad_row_is_reported_by_line_and_field_and_nothing_is_stored(world, client):
    response = upload(client, world.cast.local_engineer, world.cast.local, [
        row(world),
        row(world, "u2", quantity_mw="abc"),
        row(world, "u3", start=iso(START + timedelta(minutes=10))),
        row(world, "u4", product="nope"),
    ])

    assert response.status_code == 400
    problems = {(line, field) for line, field, _message in response.context["problems"]}
    assert problems == {(3, "quantity_mw"), (4, "start"), (5, "product")}
    assert RecordRevision.objects.count() == 0
    assert 'id="upload-errors"' in response.content.decode()


def test_the_same_external_id_with_other_content_is_a_conflict(world, client):
    upload(client, world.cast.local_engineer, world.cast.local, [row(world)])
    response = upload(client, world.cast.local_engineer, world.cast.local, [row(world, quantity_mw="0.3")])

    assert response.status_code == 409
    ((line, field, _message),) = response.context["problems"]
    assert (line, field) == (2, "external_id")


def test_a_file_with_unknown_columns_is_refused(world, client):
    with time_machine.travel(NOW, tick=False):
        response = login(client, world.cast.local_engineer).post(reverse("register:upload"), {
            "system_operator": world.cast.local.pk,
            "file": SimpleUploadedFile("x.csv", b"external_id,colour\nx,red\n", "text/csv"),
        })
    assert response.status_code == 400
    assert [(line, field) for line, field, _m in response.context["problems"]] == [(1, "header")]


def test_only_the_operators_own_engineers_upload(world, client):
    assert upload(client, world.cast.local_viewer, world.cast.local, [row(world)]).status_code == 403
    assert upload(client, world.cast.fsp_a_user, world.cast.local, [row(world)]).status_code == 403
    # Another operator's engineer cannot choose the local DSO.
    response = upload(client, world.cast.other_local_engineer, world.cast.local, [row(world)])
    assert response.status_code == 400 and "system_operator" in response.context["form"].errors
    assert RecordRevision.objects.count() == 0


def test_the_template_has_the_batch_apis_columns(world, client):
    response = login(client, world.cast.local_engineer).get(reverse("register:upload-template"))
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    header, *rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert tuple(header) == COLUMNS and len(rows) == 2
    assert login(client, world.cast.local_viewer).get(reverse("register:upload-template")).status_code == 403


def excel_file(rows: list[dict], *, encoding: str, delimiter: str) -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, delimiter=delimiter)
    writer.writeheader()
    writer.writerows(rows)
    data = out.getvalue().encode("cp1252" if encoding == "windows-1252" else "utf-8")
    return SimpleUploadedFile("records.csv", (b"\xef\xbb\xbf" if encoding == "utf-8-bom" else b"") + data)


def test_a_swedish_excel_file_is_read_and_the_reading_stated(world, client):
    rows = [row(world, "u1", quantity_mw="0,25"), row(world, "u2", quantity_mw="0,125", spu="",
            spu_code="A-1", fsp_eic=world.spu.fsp.organisation.eic_code)]
    with time_machine.travel(NOW, tick=False):
        response = login(client, world.cast.local_engineer).post(reverse("register:upload"), {
            "system_operator": world.cast.local.pk,
            "file": excel_file(rows, encoding="windows-1252", delimiter=";"),
        }, follow=True)

    assert response.status_code == 200, response.context["problems"]
    quantities = sorted(RecordRevision.objects.values_list("quantity_mw", flat=True))
    assert [str(q.normalize()) for q in quantities] == ["0.125", "0.25"]
    html = response.content.decode()
    # ASCII reads the same in both encodings: the reader names the one it cannot tell from.
    assert "Read as UTF-8, semicolon-separated, decimal comma." in html


def test_mixed_decimal_marks_are_refused_by_line_and_nothing_stored(world, client):
    rows = [row(world, "u1", quantity_mw="0,25"), row(world, "u2", quantity_mw="1.5")]
    with time_machine.travel(NOW, tick=False):
        response = login(client, world.cast.local_engineer).post(reverse("register:upload"), {
            "system_operator": world.cast.local.pk,
            "file": excel_file(rows, encoding="utf-8-bom", delimiter=";"),
        })

    assert response.status_code == 400
    assert [(line, field) for line, field, _message in response.context["problems"]] == [(3, "quantity_mw")]
    assert RecordRevision.objects.count() == 0
    assert 'id="upload-read-as"' in response.content.decode()
