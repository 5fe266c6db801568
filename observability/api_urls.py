"""Mounted under /api/ with namespace "api" (config/urls.py)."""

from django.urls import path

from observability.apis import areas as area_apis  # observability areas
from observability.apis import map_points, registry

urlpatterns = [
    path("operators/", registry.SystemOperatorListApi.as_view(), name="operator-list"),
    path("operators/<int:pk>/", registry.SystemOperatorDetailApi.as_view(), name="operator-detail"),
    path(
        "connection-points/",
        registry.ConnectionPointListApi.as_view(),
        name="connection-point-list",
    ),
    # Before <int:pk>/: the map's points by bounding box (clusters when many).
    path("connection-points/map/", map_points.ConnectionPointMapApi.as_view(), name="connection-point-map"),
    path(
        "connection-points/<int:pk>/",
        registry.ConnectionPointDetailApi.as_view(),
        name="connection-point-detail",
    ),
    # Observability areas (issue 3).
    path("areas/", area_apis.AreaListApi.as_view(), name="area-list"),
    path("areas/<int:pk>/", area_apis.AreaDetailApi.as_view(), name="area-detail"),
    path("areas/<int:pk>/geojson", area_apis.AreaGeoJsonApi.as_view(), name="area-geojson"),
    path("areas/uploads/<uuid:pk>/", area_apis.AreaUploadDetailApi.as_view(), name="area-upload-detail"),
    path(
        "areas/uploads/<uuid:pk>/confirm/",
        area_apis.AreaUploadConfirmApi.as_view(),
        name="area-upload-confirm",
    ),
    # Who assesses connection points for a product: prequal.api_urls.
]
