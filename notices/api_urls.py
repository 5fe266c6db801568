"""Mounted under /api/ with namespace "api" (config/urls.py)."""

from django.urls import path

from notices import apis

urlpatterns = [
    path("notifications/", apis.NotificationListApi.as_view(), name="notification-list"),
    path("notifications/<int:pk>/read/", apis.NotificationReadApi.as_view(), name="notification-read"),
    path("notifications/read-all/", apis.NotificationReadAllApi.as_view(), name="notification-read-all"),
    path("notifications/preferences/", apis.EmailPreferencesApi.as_view(), name="notification-preferences"),
]
