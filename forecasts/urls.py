from django.urls import path

from forecasts import views

app_name = "forecasts"
urlpatterns = [
    path("", views.so_page, name="so-page"),
    path("zones/upload/", views.zone_upload, name="zone-upload"),
    path("publish/", views.publish, name="publish"),
    path("spus/<int:pk>/", views.spu_forecast, name="spu-forecast"),
]
