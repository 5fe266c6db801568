"""The demo's attachments (demo/attachments.py): a single-line diagram on an open application and
a grid study on a decision, valid PDFs stored through the attachments service, readable by the
case's FSP and its assessing SO, and loaded once."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from attachments.models import Attachment
from demo.attachments import SLD_NAME, STUDY_NAME, demo_attachments_load
from demo.load import demo_data_load

NOW = datetime(2026, 11, 22, 9, tzinfo=UTC)


@pytest.fixture
def demo(db):
    with time_machine.travel(NOW, tick=False):
        demo_data_load()
        demo_attachments_load()  # as manage.py demo_data does after the data


def _text(attachment: Attachment, tmp_path) -> str:
    path = tmp_path / attachment.filename
    with attachment.file.open("rb") as handle:
        path.write_bytes(handle.read())
    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout


def test_an_application_has_a_single_line_diagram_and_a_decision_a_grid_study(demo, tmp_path):
    diagram = Attachment.objects.select_related("case__spu").get(filename=SLD_NAME)
    assert diagram.kind == Attachment.Kind.SINGLE_LINE_DIAGRAM and diagram.assessment_id is None
    assert diagram.content_type == "application/pdf"
    assert diagram.case.status in ("submitted", "under_assessment")
    assert diagram.case.spu.code in _text(diagram, tmp_path)
    study = Attachment.objects.select_related("assessment").get(filename=STUDY_NAME)
    assert study.kind == Attachment.Kind.GRID_STUDY and study.assessment.status == "conditionally_approved"
    assert "Grid study" in _text(study, tmp_path)
    # On the case's timeline, as an upload would be.
    assert diagram.case.events.filter(action="attach").exists()


def test_the_case_pages_list_them_to_the_fsp_and_the_assessing_engineer(demo, client):
    for filename in (SLD_NAME, STUDY_NAME):
        attachment = Attachment.objects.select_related("case__fsp__organisation").get(filename=filename)
        readers = [attachment.uploaded_by]
        if attachment.assessment_id is None:
            readers.append(attachment.case.fsp.organisation.memberships.first().user)
        for user in readers:
            client.force_login(user)
            with time_machine.travel(NOW, tick=False):
                page = client.get(reverse("prequal:case-detail", args=[attachment.case_id]))
            assert page.status_code == 200 and filename in page.content.decode(), (filename, user)


def test_a_second_load_attaches_nothing_more(demo):
    with time_machine.travel(NOW, tick=False):
        assert demo_attachments_load() == {"single-line diagrams": 0, "grid studies": 0}
    assert Attachment.objects.filter(filename__in=[SLD_NAME, STUDY_NAME]).count() == 2
