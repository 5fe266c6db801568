"""Attachments in the browser: the upload form posted from the case page, and the download.

Downloads are served only here, after the access check (never from a public MEDIA URL), as
attachments with nosniff and a safe file name.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from attachments.forms import AttachmentForm
from attachments.models import Attachment
from attachments.selectors import attachment_get_for_user, case_for_attaching
from attachments.services import attachment_create
from common.uploads import upload_refusal


def attachment_response(attachment: Attachment) -> FileResponse:
    """The file as a download: its checked content type, nosniff, a safe name (read by the API too)."""
    try:
        stored = attachment.file.open("rb")
    except FileNotFoundError as exc:  # lost from storage: say so, never a server error
        raise Http404 from exc
    response = FileResponse(
        stored, as_attachment=True, filename=attachment.filename, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    return attachment_response(attachment_get_for_user(user=request.user, pk=pk))


def _form_errors(form: AttachmentForm) -> str:
    return " ".join(str(m) for errors in form.errors.values() for m in errors)


@login_required
@require_POST
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    case, rights = case_for_attaching(user=request.user, pk=pk)
    if not rights.any:
        raise PermissionDenied
    back = redirect("prequal:case-detail", pk=case.pk)
    if refusal := upload_refusal(request):
        messages.error(request, refusal)
        return back
    as_so = request.POST.get("as") == "so" or not rights.as_fsp
    form = AttachmentForm(request.POST, request.FILES, rights=rights, as_so=as_so)
    if not form.is_valid():
        messages.error(request, _("The file was not attached: %(errors)s") % {"errors": _form_errors(form)})
        return back
    data = form.cleaned_data
    assessment = next((a for a in rights.assessments if a.pk == data.get("assessment")), None)
    if as_so and assessment is None:
        raise PermissionDenied
    try:
        attachment = attachment_create(
            user=request.user, case=case, file=data["file"], kind=data["kind"], assessment=assessment
        )
    except ValidationError as exc:
        errors = " ".join(str(m) for m in exc.messages)
        messages.error(request, _("The file was not attached: %(errors)s") % {"errors": errors})
    else:
        messages.success(request, _("“%(name)s” attached.") % {"name": attachment.filename})
    return back
