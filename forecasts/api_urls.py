"""Mounted under /api/ with namespace "api" (config/urls.py): congestion forecasts (issue 16)."""

from django.urls import path

from forecasts.apis import publications, reads, zones

urlpatterns = [
    path("forecasts/zones/", zones.GridZoneListApi.as_view(), name="forecast-zone-list"),
    path("forecasts/zones/<int:pk>/", reads.ZoneForecastApi.as_view(), name="forecast-zone"),
    path(
        "forecasts/publications/",
        publications.PublicationListApi.as_view(),
        name="forecast-publication-list",
    ),
    path("forecasts/spus/<int:pk>/", reads.SpuForecastApi.as_view(), name="forecast-spu"),
    path("forecasts/spgs/<int:pk>/", reads.SpgForecastApi.as_view(), name="forecast-spg"),
    path(
        "forecasts/connection-points/<int:pk>/",
        reads.PointForecastApi.as_view(),
        name="forecast-point",
    ),
]
