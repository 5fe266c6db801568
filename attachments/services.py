"""Attaching a file to a case (issue 15): checks, storage and the audit entry.

The file is checked by its content (attachments.content), written to storage, then the row and
the case's audit entry are written in one transaction; if that transaction fails the stored file
is deleted again, so no orphan file is left behind.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from attachments.content import checked_type, safe_filename
from attachments.models import Attachment, attachment_path
from attachments.selectors import attach_rights
from prequal.models import Assessment, Case, CaseEvent
from prequal.models.texts import Text, label, reason_fields

ATTACH_ACTION = "attach"  # the CaseEvent action, read by the timeline


def _check_rights(*, user, case: Case, kind: str, assessment: Assessment | None) -> None:
    rights = attach_rights(user=user, case=case)
    if assessment is None:
        if not rights.as_fsp:
            if rights.assessments:
                raise ValidationError({"assessment": _("Choose the assessment the file belongs to.")})
            raise PermissionDenied
        allowed = Attachment.FSP_KINDS
    else:
        if assessment.pk not in {a.pk for a in rights.assessments}:
            raise PermissionDenied
        allowed = Attachment.SO_KINDS
    if kind not in allowed:
        raise ValidationError({"kind": _("Choose one of: %(kinds)s.") % {
            "kinds": ", ".join(str(Attachment.Kind(k).label) for k in allowed)
        }})


def _check_size(file) -> None:
    limit = settings.GRIDPREQUAL_ATTACHMENT_MAX_BYTES
    if not file.size:
        raise ValidationError({"file": _("The file is empty: choose a file with content.")})
    if file.size > limit:
        raise ValidationError({"file": _("The file is larger than the limit of %(limit).1f MB.") % {
            "limit": limit / 1048576
        }})


def _sha256(file) -> str:
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def attachment_create(
    *, user, case: Case, file, kind: str, assessment: Assessment | None = None
) -> Attachment:
    """Store `file` as an attachment of `case` (the FSP's) or of `assessment` (an SO's).

    PermissionDenied for a reader who may not attach; ValidationError per field for a missing,
    empty, oversized or disguised file or a kind the attacher may not use; nothing is stored then.
    """
    if file is None:
        raise ValidationError({"file": _("Choose a file to attach.")})
    if assessment is not None and assessment.case_id != case.pk:
        raise ValidationError({"assessment": _("The assessment is not one of this case's.")})
    _check_rights(user=user, case=case, kind=kind, assessment=assessment)
    _check_size(file)
    filename = safe_filename(getattr(file, "name", ""))
    if not filename:
        raise ValidationError({"file": _("The file needs a name with an extension, e.g. study.pdf.")})
    file_type = checked_type(file=file, filename=filename)
    sha256 = _sha256(file)
    # The field's storage: the one the download reads (its callable ran when the model loaded).
    storage = Attachment._meta.get_field("file").storage
    stored_name = storage.save(attachment_path(None, filename), file)
    try:
        with transaction.atomic():
            attachment = Attachment.objects.create(
                case=case, assessment=assessment, kind=kind, file=stored_name, filename=filename,
                content_type=file_type.content_type, size=file.size, sha256=sha256, uploaded_by=user,
            )
            # The kind in each reader's language, the file's name as it was given.
            reason, reason_params = reason_fields(Text(
                gettext_noop("%(kind)s: %(file)s"), kind=label(Attachment.Kind(kind).label), file=filename))
            CaseEvent.objects.create(
                case=case, assessment=assessment, actor=user, action=ATTACH_ACTION,
                from_state=case.status, to_state=case.status, reason=reason, reason_params=reason_params,
            )
    except BaseException:
        storage.delete(stored_name)
        raise
    return attachment
