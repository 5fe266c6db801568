"""Attachments on cases (issue 15): who may attach and read, bad input, storage, audit, API."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from attachments.models import Attachment, attachment_storage
from attachments.services import attachment_create
from prequal.models import CaseEvent
from tests.attachments.files import DOCX, EXE, PDF, PNG, upload
from tests.personas import login
from tests.workflow_helpers import case_page

pytestmark = pytest.mark.django_db


def stored_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


@pytest.fixture
def case(wf):
    return wf.submitted()


# --- services ---------------------------------------------------------------------------------


def test_the_fsp_attaches_a_diagram_stored_under_a_random_name_with_an_audit_entry(wf, case, media):
    attachment = attachment_create(
        user=wf.cast.fsp_a_user, case=case, file=upload("Enlinjeschema.pdf", PDF), kind="single_line_diagram"
    )

    assert (attachment.filename, attachment.content_type, attachment.size) == (
        "Enlinjeschema.pdf", "application/pdf", len(PDF)
    )
    assert "Enlinjeschema" not in attachment.file.name
    assert stored_files(media) == [media / attachment.file.name]
    event = CaseEvent.objects.get(case=case, action="attach")
    assert (event.actor, event.assessment, event.reason_text()) == (
        wf.cast.fsp_a_user, None, "Single-line diagram: Enlinjeschema.pdf"
    )


def test_an_assessing_engineer_attaches_a_grid_study_to_its_assessment(wf, case, media):
    assessment = wf.assessment(case, wf.cast.local)

    attachment = attachment_create(
        user=wf.cast.local_engineer, case=case, file=upload("study.docx", DOCX), kind="grid_study",
        assessment=assessment,
    )

    assert attachment.assessment == assessment
    assert CaseEvent.objects.get(case=case, action="attach").assessment == assessment


@pytest.mark.parametrize(("persona", "so"), [
    ("local_engineer", "tso"),  # another operator's assessment
    ("local_viewer", "local"),  # a reader who decides nothing
    ("fsp_a_user", "local"),  # the FSP on an SO's assessment
])
def test_only_the_operators_engineers_attach_to_its_assessment(wf, case, media, persona, so):
    with pytest.raises(PermissionDenied):
        attachment_create(
            user=getattr(wf.cast, persona), case=case, file=upload("s.pdf", PDF), kind="grid_study",
            assessment=wf.assessment(case, getattr(wf.cast, so)),
        )
    assert not Attachment.objects.exists() and not stored_files(media)


@pytest.mark.parametrize(("data", "name", "kind", "field", "words"), [
    (b"", "empty.pdf", "data_sheet", "file", "empty"),
    (EXE, "setup.pdf", "data_sheet", "file", "is not a PDF"),
    (PNG, "diagram.pdf", "data_sheet", "file", "does not match its content"),
    (PDF, "sheet.pdf", "grid_study", "kind", "Choose one of"),
])
def test_bad_files_are_refused_with_a_message_and_nothing_is_stored(wf, case, media, data, name, kind, field,
                                                                   words):
    with pytest.raises(ValidationError) as caught:
        attachment_create(user=wf.cast.fsp_a_user, case=case, file=upload(name, data), kind=kind)

    assert words in " ".join(caught.value.message_dict[field])
    assert not Attachment.objects.exists() and not stored_files(media)
    assert not CaseEvent.objects.filter(action="attach").exists()


def test_an_oversized_file_is_refused(wf, case, media, settings):
    settings.GRIDPREQUAL_ATTACHMENT_MAX_BYTES = 1000

    with pytest.raises(ValidationError) as caught:
        attachment_create(
            user=wf.cast.fsp_a_user, case=case, file=upload("big.pdf", PDF + b"0" * 1000), kind="data_sheet"
        )

    assert "larger than the limit" in caught.value.message_dict["file"][0]
    assert not stored_files(media)


def test_a_failing_database_write_leaves_no_orphan_file(wf, case, media):
    with mock.patch.object(CaseEvent.objects, "create", side_effect=RuntimeError("database down")):
        with pytest.raises(RuntimeError):
            attachment_create(
                user=wf.cast.fsp_a_user, case=case, file=upload("s.pdf", PDF), kind="data_sheet"
            )

    assert not Attachment.objects.exists()
    assert not stored_files(media)


# --- pages ------------------------------------------------------------------------------------


def _attach_url(case):
    return reverse("attachments:upload", kwargs={"pk": case.pk})


def test_the_fsp_attaches_from_the_case_page_and_the_assessing_so_downloads_it(client, wf, case, media):
    login(client, wf.cast.fsp_a_user)
    page = client.get(case_page(case)).content.decode()
    assert 'data-testid="attach-fsp"' in page and 'data-testid="attach-so"' not in page

    response = client.post(_attach_url(case), {
        "as": "fsp", "kind": "data_sheet", "file": upload("Datablad.pdf", PDF),
    }, follow=True)

    attachment = Attachment.objects.get()
    assert "“Datablad.pdf” attached." in response.content.decode()
    listed = client.get(case_page(case)).content.decode()
    assert reverse("attachments:download", kwargs={"pk": attachment.pk}) in listed
    for reader in (wf.cast.local_engineer, wf.cast.tso_engineer, wf.cast.local_viewer, wf.cast.nra_analyst):
        login(client, reader)
        download = client.get(reverse("attachments:download", kwargs={"pk": attachment.pk}))
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == PDF
        assert download["Content-Type"] == "application/pdf"
        assert download["Content-Disposition"] == 'attachment; filename="Datablad.pdf"'
        assert download["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("outsider", ["fsp_b_user", "other_local_engineer", "regional_engineer"])
def test_outsiders_get_404_on_the_download_and_the_upload(client, wf, case, media, outsider):
    attachment = attachment_create(
        user=wf.cast.fsp_a_user, case=case, file=upload("s.pdf", PDF), kind="data_sheet"
    )
    login(client, getattr(wf.cast, outsider))

    assert client.get(reverse("attachments:download", kwargs={"pk": attachment.pk})).status_code == 404
    response = client.post(_attach_url(case), {"kind": "data_sheet", "file": upload("x.pdf", PDF)})
    assert response.status_code == 404
    assert Attachment.objects.count() == 1


def test_an_engineer_attaches_a_grid_study_from_the_case_page(client, wf, case, media):
    assessment = wf.assessment(case, wf.cast.local)
    login(client, wf.cast.local_engineer)
    assert 'data-testid="attach-so"' in client.get(case_page(case)).content.decode()

    client.post(_attach_url(case), {
        "as": "so", "kind": "grid_study", "assessment": assessment.pk, "file": upload("Nätstudie.pdf", PDF),
    })

    attachment = Attachment.objects.get()
    assert (attachment.assessment, attachment.kind, attachment.filename) == (
        assessment, "grid_study", "Nätstudie.pdf"
    )


def test_a_disguised_file_from_the_page_gets_a_clear_message(client, wf, case, media):
    login(client, wf.cast.fsp_a_user)

    response = client.post(_attach_url(case), {
        "as": "fsp", "kind": "data_sheet", "file": upload("invoice.pdf", EXE),
    }, follow=True)

    assert "The file was not attached" in response.content.decode()
    assert "is not a PDF" in response.content.decode()
    assert not Attachment.objects.exists() and not stored_files(media)


def test_a_file_lost_from_storage_is_not_found_not_a_server_error(client, wf, case, media):
    attachment = attachment_create(
        user=wf.cast.fsp_a_user, case=case, file=upload("s.pdf", PDF), kind="data_sheet"
    )
    (media / attachment.file.name).unlink()
    login(client, wf.cast.fsp_a_user)

    assert client.get(reverse("attachments:download", kwargs={"pk": attachment.pk})).status_code == 404


def test_an_unknown_case_id_gets_404(client, wf, media):
    login(client, wf.cast.fsp_a_user)

    response = client.post(reverse("attachments:upload", kwargs={"pk": 999999}), {
        "kind": "data_sheet", "file": upload("s.pdf", PDF),
    })

    assert response.status_code == 404
    assert not stored_files(media)


# --- API --------------------------------------------------------------------------------------


def _api_url(case_pk):
    return reverse("api:case-attachments", kwargs={"pk": case_pk})


def test_the_api_uploads_lists_and_downloads(api_as, wf, case, media):
    fsp = api_as(wf.cast.fsp_a_user)

    created = fsp.post(_api_url(case.pk), {"kind": "single_line_diagram", "file": upload("sld.png", PNG)},
                       format="multipart")

    assert created.status_code == 201, created.json()
    body = created.json()
    assert set(body) == {
        "id", "case", "assessment", "system_operator", "kind", "filename", "content_type", "size", "sha256",
        "uploaded_by", "uploaded_at", "download",
    }
    assert (body["content_type"], body["size"], body["assessment"]) == ("image/png", len(PNG), None)
    so = api_as(wf.cast.tso_engineer)
    assert [row["id"] for row in so.get(_api_url(case.pk)).json()] == [body["id"]]
    download = so.get(body["download"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    assert api_as(wf.cast.fsp_b_user).get(body["download"]).status_code == 404
    assert api_as(wf.cast.fsp_b_user).get(_api_url(case.pk)).status_code == 404


def test_the_api_takes_an_engineers_grid_study_on_its_own_assessment_only(api_as, wf, case, media):
    engineer = api_as(wf.cast.local_engineer)
    own = wf.assessment(case, wf.cast.local)
    other = wf.assessment(case, wf.cast.tso)

    refused = engineer.post(_api_url(case.pk), {
        "kind": "grid_study", "assessment": other.pk, "file": upload("s.pdf", PDF),
    }, format="multipart")
    accepted = engineer.post(_api_url(case.pk), {
        "kind": "grid_study", "assessment": own.pk, "file": upload("s.pdf", PDF),
    }, format="multipart")

    assert refused.status_code == 400 and "assessment" in refused.json()["errors"]
    assert accepted.status_code == 201 and accepted.json()["system_operator"] == "Local DSO"


@pytest.mark.parametrize(("data", "name", "field"), [
    (EXE, "setup.pdf", "file"), (b"", "empty.pdf", "file"), (PDF, "s.pdf", "kind"),
])
def test_the_api_refuses_bad_input_per_field(api_as, wf, case, media, data, name, field):
    kind = "grid_study" if field == "kind" else "data_sheet"

    response = api_as(wf.cast.fsp_a_user).post(
        _api_url(case.pk), {"kind": kind, "file": upload(name, data)}, format="multipart"
    )

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Attachment.objects.exists() and not stored_files(media)


def test_the_api_refuses_unknown_fields_and_unknown_cases(api_as, wf, case, media):
    fsp = api_as(wf.cast.fsp_a_user)

    unknown_field = fsp.post(_api_url(case.pk), {
        "kind": "data_sheet", "file": upload("s.pdf", PDF), "owner": "me",
    }, format="multipart")
    unknown_case = fsp.post(_api_url(999999), {"kind": "data_sheet", "file": upload("s.pdf", PDF)},
                            format="multipart")

    assert unknown_field.status_code == 400 and "owner" in unknown_field.json()["errors"]
    assert unknown_case.status_code == 404
    assert not stored_files(media)


# --- storage ----------------------------------------------------------------------------------


def test_the_storage_is_the_one_named_in_settings(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                        "OPTIONS": {"location": str(tmp_path / "bucket")}},
    }
    settings.GRIDPREQUAL_ATTACHMENT_STORAGE = "attachments"

    assert attachment_storage().location == str(tmp_path / "bucket")


def test_the_service_writes_where_the_download_reads(wf, case, media):
    attachment = attachment_create(
        user=wf.cast.fsp_a_user, case=case, file=upload("s.pdf", PDF), kind="data_sheet"
    )

    assert stored_files(media) == [media / attachment.file.name]
    with attachment.file.open("rb") as stored:
        assert stored.read() == PDF
