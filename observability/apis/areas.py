"""REST API for observability areas (who assesses a point, with a product: prequal.apis.points)."""

from __future__ import annotations

import json

import django_filters
import shapely
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.parsers import FormParser, MultiPartParser
from common.uploads import upload_refusal
from observability.area_staging import area_upload_confirm, area_upload_get_for_user, area_upload_start
from observability.areas import area_geojson
from observability.models import AreaUpload, ObservabilityArea, SystemOperator
from observability.selectors import (
    area_get_for_user,
    area_list_for_user,
    system_operator_list,
)
from observability.tasks import area_upload_queue


class AreaOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    system_operator = serializers.IntegerField(source="system_operator_id")
    system_operator_name = serializers.CharField(source="system_operator.name")
    valid_from = serializers.DateTimeField()
    area_km2 = serializers.FloatField()
    bbox = serializers.ListField(
        child=serializers.FloatField(), help_text="[min lon, min lat, max lon, max lat]"
    )
    vertex_count = serializers.IntegerField()
    polygon_count = serializers.IntegerField()
    source_filename = serializers.CharField()
    source_epsg = serializers.IntegerField()
    repaired = serializers.BooleanField(
        help_text="Invalid polygons were repaired with make_valid on request."
    )
    uploaded_by = serializers.CharField(source="uploaded_by.username", allow_null=True, default=None)
    created_at = serializers.DateTimeField()


class AreaUploadStatusSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=AreaUpload.Status.choices)
    progress = serializers.IntegerField(help_text="Percent.")
    status_url = serializers.CharField()
    confirm_url = serializers.CharField(allow_null=True)
    detail = serializers.CharField(required=False, help_text="Why the file was refused (status failed).")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), help_text="Messages per field."
    )
    preview = serializers.DictField(
        allow_null=True, help_text="The checked area, its figures, the change's impact and its GeoJSON."
    )
    version = AreaOutputSerializer(allow_null=True)


class AreaFilter(django_filters.FilterSet):
    system_operator = django_filters.NumberFilter(field_name="system_operator_id")
    tier = django_filters.ChoiceFilter(
        field_name="system_operator__tier", choices=SystemOperator.Tier.choices
    )

    class Meta:
        model = ObservabilityArea
        fields = ["system_operator", "tier"]


class AreaListApi(ListAPIView):
    """Area versions of every operator; `current=true` keeps each operator's version valid now."""

    serializer_class = AreaOutputSerializer
    filterset_class = AreaFilter
    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "AreaUploadInput"

        system_operator = serializers.IntegerField(help_text="The operator's id.")
        valid_from = serializers.DateTimeField(
            required=False, help_text="When the version starts to apply (ISO 8601 with offset); default now."
        )
        file = serializers.FileField(help_text="GeoJSON, GeoPackage or zipped Shapefile.")
        preview = serializers.BooleanField(
            required=False, default=False, help_text="Only check the file and describe it; store nothing."
        )
        repair = serializers.BooleanField(
            required=False,
            default=False,
            help_text="Repair invalid polygons with make_valid instead of refusing them "
            "(preview first: the response says what was repaired).",
        )

    def get_queryset(self):
        params = self.request.query_params
        current = params.get("current", "").lower() in ("1", "true", "yes")
        at = None
        if params.get("at"):
            at = parse_datetime(params["at"])
            if at is None or timezone.is_naive(at):
                raise ValidationError(
                    {
                        "at": _("%(value)s is not a date and time with an offset, e.g. 2025-01-01T00:00Z.")
                        % {"value": params["at"]}
                    }
                )
            current = True
        return area_list_for_user(user=self.request.user, current=current, at=at)

    @extend_schema(
        operation_id="areas_list",
        summary="List observability-area versions",
        parameters=[
            OpenApiParameter("current", bool, description="Only the version valid now, per operator"),
            OpenApiParameter(
                "at",
                OpenApiTypes.DATETIME,
                description="Only the version valid at this instant, per operator",
            ),
        ],
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="areas_create",
        summary="Upload a new observability-area version (or preview it)",
        description="The file is checked by a worker: the answer is 202 with the upload's status URL, "
        "which gives the progress, then the preview (with the change's impact) or the messages per "
        "field. Without `preview` the area is stored as a version from `valid_from` once checked; "
        "with it, confirm it at the upload's `confirm_url`.",
        request={"multipart/form-data": InputSerializer},
        responses={202: AreaUploadStatusSerializer, 413: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request) -> Response:
        if refusal := upload_refusal(request):
            return Response({"detail": refusal, "errors": {"file": [refusal]}},
                            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        so = get_object_or_404(system_operator_list(), pk=data["system_operator"])
        upload = data["file"]
        staged = area_upload_start(
            user=request.user, system_operator=so, file=upload, filename=upload.name, repair=data["repair"],
            store_from=None if data["preview"] else data.get("valid_from") or timezone.now(),
        )
        area_upload_queue(staged)
        staged = area_upload_get_for_user(user=request.user, pk=staged.pk)
        return Response(upload_status_body(staged, request=request), status=status.HTTP_202_ACCEPTED)


def upload_status_body(upload: AreaUpload, *, request: Request) -> dict:
    shown = upload.status in (AreaUpload.Status.READY, AreaUpload.Status.STORED)
    preview = dict(upload.preview) if shown else None
    if preview is not None and upload.geometry_wkb is not None:
        preview["geometry"] = json.loads(shapely.to_geojson(shapely.from_wkb(bytes(upload.geometry_wkb))))
    body = {
        "id": upload.pk,
        "status": upload.status,
        "progress": upload.progress,
        "status_url": request.build_absolute_uri(reverse("api:area-upload-detail", args=[upload.pk])),
        "confirm_url": request.build_absolute_uri(reverse("api:area-upload-confirm", args=[upload.pk]))
        if upload.status == AreaUpload.Status.READY else None,
        "errors": upload.errors or {},
        "preview": preview,
        "version": upload.version if upload.version_id else None,
    }
    if upload.errors:
        body["detail"] = " ".join(m for messages in upload.errors.values() for m in messages)
    return AreaUploadStatusSerializer(body).data


class AreaUploadDetailApi(APIView):
    @extend_schema(operation_id="area_uploads_retrieve", summary="An area upload's progress and preview",
                   responses=AreaUploadStatusSerializer)
    def get(self, request: Request, pk) -> Response:
        upload = area_upload_get_for_user(user=request.user, pk=pk)
        return Response(upload_status_body(upload, request=request))


class AreaUploadConfirmApi(APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "AreaUploadConfirmInput"

        valid_from = serializers.DateTimeField(
            required=False, help_text="When the version starts to apply (ISO 8601 with offset); default now."
        )

    @extend_schema(operation_id="area_uploads_confirm", summary="Store a previewed upload as a new version",
                   request=InputSerializer, responses={201: AreaOutputSerializer})
    def post(self, request: Request, pk) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = area_upload_get_for_user(user=request.user, pk=pk)
        version = area_upload_confirm(
            user=request.user, upload=upload,
            valid_from=serializer.validated_data.get("valid_from") or timezone.now(),
        )
        return Response(AreaOutputSerializer(version).data, status=status.HTTP_201_CREATED)


class AreaDetailApi(APIView):
    @extend_schema(
        operation_id="areas_retrieve", summary="One area version's metadata", responses=AreaOutputSerializer
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(AreaOutputSerializer(area_get_for_user(user=request.user, pk=pk)).data)


class AreaGeoJsonApi(APIView):
    @extend_schema(
        operation_id="areas_geojson",
        summary="Download an area version as GeoJSON (WGS84)",
        responses={(200, "application/geo+json"): dict},
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        area = area_get_for_user(user=request.user, pk=pk)
        response = HttpResponse(area_geojson(area=area), content_type="application/geo+json")
        response["Content-Disposition"] = f'attachment; filename="{area_download_name(area)}"'
        return response


def area_download_name(area: ObservabilityArea) -> str:
    code = area.system_operator.eic_code or f"so{area.system_operator_id}"
    return f"observability-area-{code}-{area.valid_from:%Y%m%dT%H%MZ}-v{area.pk}.geojson"
