from django.urls import path

from attachments import views

app_name = "attachments"
urlpatterns = [
    path("cases/<int:pk>/attachments/", views.attachment_upload, name="upload"),
    path("attachments/<int:pk>/download/", views.attachment_download, name="download"),
]
