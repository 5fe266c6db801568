"""Mounted under /api/ with namespace "api" (config/urls.py)."""

from django.urls import path

from register import apis

urlpatterns = [
    path("register/records/", apis.RecordListCreateApi.as_view(), name="register-record-list"),
    path("register/records/revise/", apis.RecordReviseApi.as_view(), name="register-record-revise"),
    path("register/records/cancel/", apis.RecordCancelApi.as_view(), name="register-record-cancel"),
    path("register/records/<int:pk>/", apis.RecordDetailApi.as_view(), name="register-record-detail"),
]
