from django.urls import path

from notices import views

app_name = "notices"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("<int:pk>/read/", views.notification_read, name="read"),
    path("read-all/", views.notification_read_all, name="read-all"),
    path("preferences/", views.email_preferences, name="preferences"),
]
