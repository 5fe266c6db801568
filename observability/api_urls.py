"""Mounted under /api/ with namespace "api" (config/urls.py)."""

from django.urls import path

from observability.apis import registry

urlpatterns = [
    path("operators/", registry.SystemOperatorListApi.as_view(), name="operator-list"),
    path("operators/<int:pk>/", registry.SystemOperatorDetailApi.as_view(), name="operator-detail"),
    path(
        "connection-points/",
        registry.ConnectionPointListApi.as_view(),
        name="connection-point-list",
    ),
    path(
        "connection-points/<int:pk>/",
        registry.ConnectionPointDetailApi.as_view(),
        name="connection-point-detail",
    ),
]
