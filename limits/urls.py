from django.urls import path

from limits import views

app_name = "limits"
urlpatterns = [
    path("", views.limit_list, name="limit-list"),
    path("new/", views.limit_create, name="limit-create"),
    path("<int:pk>/", views.limit_detail, name="limit-detail"),
    path("<int:pk>/edit/", views.limit_edit, name="limit-edit"),
    path("<int:pk>/lift/", views.limit_lift, name="limit-lift"),
    path("activation-check/", views.activation_check, name="activation-check"),
]
