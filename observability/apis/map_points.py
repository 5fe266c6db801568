"""The map's connection points for a bounding box (observability.map_points), for the map's JS."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from observability.map_points import MAX_ZOOM, BoundingBox, connection_points_in_box
from observability.models import SystemOperator


class BoundingBoxField(serializers.CharField):
    """`minlon,minlat,maxlon,maxlat` in WGS84 degrees."""

    def to_internal_value(self, data) -> BoundingBox:
        text = super().to_internal_value(data)
        parts = text.split(",")
        try:
            values = [float(p) for p in parts]
        except ValueError:
            values = []
        if len(parts) != 4 or len(values) != 4 or any(v != v for v in values):
            raise serializers.ValidationError(_(
                "Give four numbers: minlon,minlat,maxlon,maxlat (WGS84 degrees)."
            ))
        box = BoundingBox(*values)
        if not (-180 <= box.min_lon <= 180 and -180 <= box.max_lon <= 180):
            raise serializers.ValidationError(_("Longitudes must be between -180 and 180."))
        if not (-90 <= box.min_lat <= 90 and -90 <= box.max_lat <= 90):
            raise serializers.ValidationError(_("Latitudes must be between -90 and 90."))
        if box.min_lon > box.max_lon or box.min_lat > box.max_lat:
            raise serializers.ValidationError(_(
                "The minimum longitude and latitude must not exceed the maximum ones."
            ))
        return box


class ConnectionPointMapApi(APIView):
    """The connection points the user may see inside a box: single points, or clusters when many."""

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ConnectionPointMapQuery"

        bbox = BoundingBoxField(help_text="minlon,minlat,maxlon,maxlat in WGS84 degrees.")
        zoom = serializers.IntegerField(min_value=0, max_value=MAX_ZOOM, default=6)
        operator = serializers.PrimaryKeyRelatedField(
            queryset=SystemOperator.objects.all(), required=False, allow_null=True
        )
        tier = serializers.ChoiceField(choices=SystemOperator.Tier.choices, required=False, allow_blank=True)

    @extend_schema(
        operation_id="connection_points_map",
        summary="Connection points in a bounding box, clustered when many",
        parameters=[
            OpenApiParameter("bbox", str, required=True, description="minlon,minlat,maxlon,maxlat"),
            OpenApiParameter("zoom", int, description="Map zoom (0–22): sets the cluster cell size."),
            OpenApiParameter("operator", int, description="Connecting SO id."),
            OpenApiParameter("tier", str, description="Connecting SO's tier."),
        ],
        responses={200: dict},
    )
    def get(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        operator = data.get("operator")
        return Response(connection_points_in_box(
            user=request.user, bbox=data["bbox"], zoom=data["zoom"],
            operator_id=operator.pk if operator else None, tier=data.get("tier") or None,
        ))
