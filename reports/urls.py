"""Mounted under /resources/ (config/urls.py), where the report has always been."""

from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("report/", views.report, name="report"),
    path("report/download.<str:fmt>", views.report_download, name="report-download"),
]
