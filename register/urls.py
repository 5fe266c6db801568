"""The register's pages (namespace "register"), mounted under /register/ by config/urls.py."""

from django.urls import path

from register import views

app_name = "register"
urlpatterns = [
    path("my-grid/", views.my_grid, name="my-grid"),
    path("upload/", views.records_upload, name="upload"),
    path("upload/template.csv", views.records_template, name="upload-template"),
]
