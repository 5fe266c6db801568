"""Refusing request bodies before they reach the disk (installed in settings.FILE_UPLOAD_HANDLERS).

Django's parser asks the handlers in turn; this one comes first. It refuses the file parts of a
multipart body when the user is anonymous or the body is larger than GRIDPREQUAL_MAX_UPLOAD_BYTES
(by its Content-Length, with room for the other fields): the parts after the refusal are not
read and no temporary file is written. Form fields before the file (the CSRF token) are kept, so
the view can answer with a message on the field (`upload_refusal`). Temporary files of accepted
uploads are closed, hence deleted, by Django at the end of the request.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.utils.translation import gettext as _

# Room for the other form fields and the multipart boundaries beside the file itself.
FORM_OVERHEAD_BYTES = 64 * 1024
ANONYMOUS = "anonymous"
TOO_LARGE = "too_large"


class GuardedUploadHandler(FileUploadHandler):
    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.refusal = None
        user = getattr(self.request, "user", None)
        if user is None or not user.is_authenticated:
            self.refusal = ANONYMOUS
        elif content_length > settings.GRIDPREQUAL_MAX_UPLOAD_BYTES + FORM_OVERHEAD_BYTES:
            self.refusal = TOO_LARGE
        self.request.upload_refused = self.refusal
        return None  # go on parsing the form fields; file parts stop at new_file()

    def new_file(self, *args, **kwargs) -> None:
        if self.refusal:
            raise StopUpload(connection_reset=True)
        super().new_file(*args, **kwargs)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        return raw_data  # within the limit by its Content-Length: the other handlers take it

    def file_complete(self, file_size: int) -> None:
        return None


def upload_refusal(request) -> str | None:
    """The message for a refused upload, or None (read by upload views; parses the body first).

    `request` is Django's or DRF's request: either way the flag sits on Django's.
    """
    request.FILES  # noqa: B018 (parsing the body runs the handlers)
    reason = getattr(getattr(request, "_request", request), "upload_refused", None)
    if reason == TOO_LARGE:
        return _("The file is larger than the limit of %(limit).1f MB.") % {
            "limit": settings.GRIDPREQUAL_MAX_UPLOAD_BYTES / 1048576
        }
    if reason == ANONYMOUS:
        return _("Log in to upload files.")
    return None
