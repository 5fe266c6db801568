"""Mounted under /api/ with namespace "api" (config/urls.py)."""

from django.urls import path

from reports import apis

urlpatterns = [
    path("reports/annual/", apis.ReportApi.as_view(), name="report"),
    path("reports/annual/download.<str:fmt>", apis.ReportDownloadApi.as_view(), name="report-download"),
]
