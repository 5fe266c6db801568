"""What a file is, by its content (magic bytes), not by its name (issue 15).

Accepted: PDF, PNG, JPEG, Office Open XML (docx, xlsx, pptx), OpenDocument (odt, ods, odp) and the
older binary Office files (doc, xls, ppt). The declared name's extension must be one of the
detected type's: an .exe renamed .pdf, or a PDF renamed .docx, is refused.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class FileType:
    label: str  # shown in messages and lists
    content_type: str
    extensions: tuple[str, ...]


PDF = FileType("PDF", "application/pdf", (".pdf",))
PNG = FileType("PNG", "image/png", (".png",))
JPEG = FileType("JPEG", "image/jpeg", (".jpg", ".jpeg"))
DOCX = FileType("DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",))
XLSX = FileType("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",))
PPTX = FileType(
    "PPTX", "application/vnd.openxmlformats-officedocument.presentationml.presentation", (".pptx",)
)
ODT = FileType("ODT", "application/vnd.oasis.opendocument.text", (".odt",))
ODS = FileType("ODS", "application/vnd.oasis.opendocument.spreadsheet", (".ods",))
ODP = FileType("ODP", "application/vnd.oasis.opendocument.presentation", (".odp",))
LEGACY_OFFICE = FileType("MS Office", "application/octet-stream", (".doc", ".xls", ".ppt"))

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OPENDOCUMENT = {t.content_type: t for t in (ODT, ODS, ODP)}
# Office Open XML: the folder of the main part says which application wrote it.
OOXML_FOLDERS = (("word/", DOCX), ("xl/", XLSX), ("ppt/", PPTX))
UNSAFE_NAME_CHARS = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|;]+')


def _zip_type(file) -> FileType | None:
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                return OPENDOCUMENT.get(archive.read("mimetype")[:100].decode("ascii", "replace").strip())
            if "[Content_Types].xml" in names:
                for folder, file_type in OOXML_FOLDERS:
                    if any(name.startswith(folder) for name in names):
                        return file_type
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    return None


def detect_type(file) -> FileType | None:
    """The file's type by its first bytes (and, for zip containers, their directory); None if unknown."""
    file.seek(0)
    head = file.read(16)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(OLE2_MAGIC):
        return LEGACY_OFFICE
    if head.startswith(b"PK\x03\x04"):
        return _zip_type(file)
    return None


def safe_filename(name: str) -> str:
    """The declared name without its path, control or quoting characters, at most 150 characters."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = UNSAFE_NAME_CHARS.sub("_", name).strip(" .")
    if len(name) > 150:
        stem, dot, ext = name.rpartition(".")
        name = f"{stem[: 150 - len(ext) - 1]}.{ext}" if dot and len(ext) <= 10 else name[:150]
    return name


def checked_type(*, file, filename: str) -> FileType:
    """The file's type, or ValidationError on `file` saying what is wrong and what is expected."""
    file_type = detect_type(file)
    file.seek(0)
    if file_type is None:
        raise ValidationError({"file": _(
            "The content of “%(name)s” is not a PDF, a PNG or JPEG image or an office document "
            "(docx, xlsx, pptx, odt, ods, odp, doc, xls, ppt): it was refused."
        ) % {"name": filename}})
    extension = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in file_type.extensions:
        raise ValidationError({"file": _(
            "The name “%(name)s” does not match its content (%(type)s): name the file with "
            "%(extensions)s or upload the right file."
        ) % {"name": filename, "type": file_type.label, "extensions": ", ".join(file_type.extensions)}})
    return file_type
