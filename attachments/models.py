"""Files attached to a grid prequalification case (issue 15): an FSP's single-line diagram or
data sheet on its application, an SO's grid study on its assessment.

The file lies in the storage named by settings.GRIDPREQUAL_ATTACHMENT_STORAGE (local files under
MEDIA_ROOT by default, an S3-compatible bucket in production) under a random name; it is never
served from a public URL, only through attachments.views.attachment_download, which checks access.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from prequal.models import Assessment, Case


def attachment_storage():
    """The storage of attachments (a callable, so settings and tests may change it)."""
    return storages[settings.GRIDPREQUAL_ATTACHMENT_STORAGE]


def attachment_path(instance: Attachment, filename: str) -> str:
    """A random name under the month: the user's name is kept in `filename`, never on disk."""
    now = timezone.now()
    return f"attachments/{now:%Y/%m}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    class Kind(models.TextChoices):
        SINGLE_LINE_DIAGRAM = "single_line_diagram", _("Single-line diagram")
        DATA_SHEET = "data_sheet", _("Data sheet")
        GRID_STUDY = "grid_study", _("Grid study")
        DECISION = "decision", _("Decision annex")
        INFORMATION_REQUEST = "information_request", _("Information request")
        OTHER = "other", _("Other document")

    # What the owning FSP may attach to its application, and an SO to its assessment.
    FSP_KINDS = (Kind.SINGLE_LINE_DIAGRAM, Kind.DATA_SHEET, Kind.OTHER)
    SO_KINDS = (Kind.GRID_STUDY, Kind.DECISION, Kind.INFORMATION_REQUEST, Kind.OTHER)

    case = models.ForeignKey(Case, models.PROTECT, related_name="attachments")
    # The SO's assessment the file belongs to; empty for the FSP's own files.
    assessment = models.ForeignKey(
        Assessment, models.PROTECT, null=True, blank=True, related_name="attachments"
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    file = models.FileField(storage=attachment_storage, upload_to=attachment_path, max_length=200)
    filename = models.CharField(_("file name"), max_length=150)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        indexes = [models.Index(fields=["case", "uploaded_at"], name="attachment_case_at")]

    def __str__(self) -> str:
        return self.filename

    @property
    def uploader_label(self) -> str:
        return self.uploaded_by.get_full_name() or self.uploaded_by.username
