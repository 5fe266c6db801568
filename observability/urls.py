from django.urls import path

from observability.views import registry

app_name = "observability"
# A plain list: other areas (observability areas, maps) append their paths below.
urlpatterns = [
    path("operators/", registry.operator_list, name="operator-list"),
    path("operators/<int:pk>/", registry.operator_detail, name="operator-detail"),
    path("connection-points/", registry.connection_point_list, name="connection-point-list"),
    path(
        "connection-points/<int:pk>/",
        registry.connection_point_detail,
        name="connection-point-detail",
    ),
]
