"""Mounted under /api/ with namespace "api" (config/urls.py)."""

from django.urls import path

from attachments import apis

urlpatterns = [
    path("cases/<int:pk>/attachments/", apis.CaseAttachmentListCreateApi.as_view(), name="case-attachments"),
    path(
        "attachments/<int:pk>/download/", apis.AttachmentDownloadApi.as_view(), name="attachment-download"
    ),
]
