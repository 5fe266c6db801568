from django.urls import path

from forecasts import resource_views, views

app_name = "forecasts"
urlpatterns = [
    path("", views.so_page, name="so-page"),
    path("zones/upload/", views.zone_upload, name="zone-upload"),
    path("publish/", views.publish, name="publish"),
    path("resources/", resource_views.resources, name="resources"),
    path("spus/<int:pk>/", resource_views.spu_forecast, name="spu-forecast"),
    path("spus/<int:pk>/map.json", resource_views.spu_forecast_map, name="spu-forecast-map"),
    path("spgs/<int:pk>/", resource_views.spg_forecast, name="spg-forecast"),
    path("spgs/<int:pk>/map.json", resource_views.spg_forecast_map, name="spg-forecast-map"),
]
