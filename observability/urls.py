from django.urls import path

from common.pickers import picker_search_view
from observability.selectors_pickers import CONNECTION_POINT_PICKER
from observability.views import (
    area_uploads,  # uploading an area: progress, preview, confirm
    registry,
)
from observability.views import areas as area_views  # observability areas and the map

app_name = "observability"
# A plain list: other areas (observability areas, maps) append their paths below.
urlpatterns = [
    path("operators/", registry.operator_list, name="operator-list"),
    path("operators/<int:pk>/", registry.operator_detail, name="operator-detail"),
    path("connection-points/", registry.connection_point_list, name="connection-point-list"),
    path(
        "connection-points/picker/", picker_search_view(CONNECTION_POINT_PICKER),
        name="picker-connection-point",
    ),
    # A point's own page and "who assesses it" show units and products: prequal's (prequal/urls.py).
    # Observability areas and the map (issue 3).
    path("map/", area_views.area_map, name="map"),
    path("map/data.geojson", area_views.area_map_data, name="map-data"),
    path("areas/", area_views.area_list, name="area-list"),
    path("areas/upload/", area_uploads.area_upload, name="area-upload"),
    path("areas/upload/confirm/", area_uploads.area_upload_confirm_view, name="area-upload-confirm"),
    path("areas/uploads/<uuid:pk>/", area_uploads.area_upload_status, name="area-upload-status"),
    path("areas/<int:pk>/", area_views.area_detail, name="area-detail"),
    path("areas/<int:pk>/geojson", area_views.area_download, name="area-download"),
]
