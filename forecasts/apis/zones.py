"""Grid zones over the API: list (each zone's version valid at a moment) and upload a version."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import StrictInputSerializer
from common.parsers import FormParser, JSONParser, MultiPartParser
from common.uploads import upload_refusal
from forecasts.apis.params import instant_param, require_engineer
from forecasts.selectors import grid_zone_list_for_user
from forecasts.services import grid_zone_upload
from observability.selectors import system_operator_list


class GridZoneOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(
        source="zone_id", help_text="The zone's id (the same across versions)."
    )
    code = serializers.CharField(source="zone.code")
    name = serializers.CharField()
    system_operator = serializers.IntegerField(source="zone.system_operator_id")
    system_operator_name = serializers.CharField(source="zone.system_operator.name")
    version = serializers.IntegerField(source="pk", help_text="This version's id.")
    valid_from = serializers.DateTimeField()
    area_km2 = serializers.FloatField()
    bbox = serializers.SerializerMethodField(
        help_text="[min lon, min lat, max lon, max lat] (WGS84)"
    )
    source_filename = serializers.CharField()
    source_epsg = serializers.IntegerField()
    uploaded_by = serializers.CharField(
        source="uploaded_by.username", allow_null=True, default=None
    )

    def get_bbox(self, version) -> list[float]:
        return [version.min_lon, version.min_lat, version.max_lon, version.max_lat]


class GridZoneListApi(APIView):
    """Grid zones: parts of an operator's observability area that its forecasts are given for."""

    parser_classes = [MultiPartParser, FormParser, JSONParser]  # JSON: a whole-area zone

    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "GridZoneUploadInput"

        system_operator = serializers.IntegerField(help_text="The operator's id.")
        code = serializers.CharField(
            max_length=64, help_text="The zone's code, unique per operator."
        )
        name = serializers.CharField(max_length=200)
        file = serializers.FileField(
            required=False, help_text="GeoJSON, GeoPackage or zipped Shapefile, any EPSG."
        )
        whole_area = serializers.BooleanField(
            required=False,
            default=False,
            help_text="The zone is the operator's whole observability area (no file).",
        )
        valid_from = serializers.DateTimeField(
            required=False, help_text="ISO 8601 with offset; default now."
        )
        repair = serializers.BooleanField(
            required=False,
            default=False,
            help_text="Repair invalid polygons with make_valid instead of refusing them.",
        )

    @extend_schema(
        operation_id="forecast_zones_list",
        summary="List grid zones (each zone's version valid at a moment)",
        parameters=[
            OpenApiParameter("system_operator", int, description="Only this operator's zones"),
            OpenApiParameter(
                "at",
                OpenApiTypes.DATETIME,
                description="The versions valid at this instant; default now",
            ),
        ],
        responses=GridZoneOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        at = instant_param(request, "at", default=timezone.now())
        so_id = request.query_params.get("system_operator")
        versions = grid_zone_list_for_user(
            user=request.user,
            at=at,
            system_operator_id=int(so_id) if (so_id or "").isdigit() else None,
        )
        return Response(GridZoneOutputSerializer(versions, many=True).data)

    @extend_schema(
        operation_id="forecast_zones_create",
        summary="Upload a grid zone's new version",
        description="Engineers of the operator only. The geometry is checked like an observability area "
        "(valid polygons, any EPSG code) and must lie inside or overlap the operator's current "
        "observability area. A new code makes a new zone; a known code a new version of it.",
        request={"multipart/form-data": InputSerializer, "application/json": InputSerializer},
        responses={201: GridZoneOutputSerializer, 413: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request) -> Response:
        require_engineer(request.user)
        if refusal := upload_refusal(request):
            return Response(
                {"detail": refusal, "errors": {"file": [refusal]}},
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        so = get_object_or_404(system_operator_list(), pk=data["system_operator"])
        upload = data.get("file")
        version = grid_zone_upload(
            user=request.user,
            system_operator=so,
            code=data["code"],
            name=data["name"],
            file=upload,
            filename=getattr(upload, "name", ""),
            whole_area=data["whole_area"],
            valid_from=data.get("valid_from"),
            repair=data["repair"],
        )
        return Response(GridZoneOutputSerializer(version).data, status=status.HTTP_201_CREATED)
