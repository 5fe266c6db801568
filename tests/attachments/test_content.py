"""The type of an attachment by its content (issue 15): magic bytes, and the name must agree."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError

from attachments.content import checked_type, detect_type, safe_filename
from tests.attachments.files import DOCX, EXE, JPEG, ODT, PDF, PLAIN_ZIP, PNG, XLSX


@pytest.mark.parametrize(("data", "name", "label"), [
    (PDF, "a.pdf", "PDF"), (PNG, "a.png", "PNG"), (JPEG, "a.jpg", "JPEG"), (JPEG, "a.JPEG", "JPEG"),
    (DOCX, "a.docx", "DOCX"), (XLSX, "a.xlsx", "XLSX"), (ODT, "a.odt", "ODT"),
])
def test_accepted_types_are_known_by_their_content(data, name, label):
    assert checked_type(file=io.BytesIO(data), filename=name).label == label


@pytest.mark.parametrize("data", [EXE, PLAIN_ZIP, b"just text", b"PK\x03\x04broken zip"])
def test_unknown_content_is_refused_whatever_the_name(data):
    assert detect_type(io.BytesIO(data)) is None
    with pytest.raises(ValidationError) as caught:
        checked_type(file=io.BytesIO(data), filename="report.pdf")
    assert "is not a PDF" in caught.value.message_dict["file"][0]


@pytest.mark.parametrize(("data", "name"), [(PDF, "study.docx"), (PNG, "plan.jpg"), (DOCX, "sheet.xlsx"),
                                            (PDF, "no-extension")])
def test_a_name_that_disagrees_with_the_content_is_refused(data, name):
    with pytest.raises(ValidationError) as caught:
        checked_type(file=io.BytesIO(data), filename=name)
    assert "does not match its content" in caught.value.message_dict["file"][0]


@pytest.mark.parametrize(("declared", "safe"), [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("C:\\Users\\x\\Enlinjeschema å.pdf", "Enlinjeschema å.pdf"),
    ('a"b;\r\nc.pdf', "a_b_c.pdf"),
    ("x" * 300 + ".pdf", "x" * 146 + ".pdf"),
    ("...", ""),
])
def test_declared_names_are_made_safe(declared, safe):
    assert safe_filename(declared) == safe
