"""REST API for observability areas and "who assesses" (SPEC R1)."""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from observability.areas import area_geojson
from observability.models import ObservabilityArea, SystemOperator
from observability.resolver import Reason, assessing_sos_for_points
from observability.selectors import (
    area_get_for_user,
    area_list_for_user,
    connection_point_get_for_user,
    connection_point_list_for_user,
    system_operator_list,
)
from observability.services import area_upload_preview, area_version_create

MAX_POINTS_PER_QUERY = 10_000


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
        request={"multipart/form-data": InputSerializer},
        responses={201: AreaOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        so = get_object_or_404(system_operator_list(), pk=data["system_operator"])
        upload = data["file"]
        if data["preview"]:
            preview = area_upload_preview(
                user=request.user,
                system_operator=so,
                file=upload,
                filename=upload.name,
                repair=data["repair"],
            )
            bbox = list(preview.area.bbox)
            return Response(
                {
                    "system_operator": so.pk,
                    "area_km2": preview.area.area_km2,
                    "bbox": bbox,
                    "source_epsg": preview.area.source_epsg,
                    "feature_count": preview.area.feature_count,
                    "points_inside": preview.points_inside,
                    "points_total": preview.points_total,
                    "messages": preview.messages,
                    "repaired": preview.area.repaired,
                    "geometry": _geojson_dict(preview.area.geojson()),
                }
            )
        version = area_version_create(
            user=request.user,
            system_operator=so,
            valid_from=data.get("valid_from"),
            file=upload,
            filename=upload.name,
            repair=data["repair"],
        )
        return Response(AreaOutputSerializer(version).data, status=status.HTTP_201_CREATED)


def _geojson_dict(text: str) -> dict:
    import json

    return json.loads(text)


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


class AssessingSoSerializer(serializers.Serializer):
    system_operator = serializers.IntegerField(source="system_operator_id")
    system_operator_name = serializers.CharField()
    eic_code = serializers.CharField()
    tier = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField())
    area_version_ids = serializers.ListField(child=serializers.IntegerField())


class PointAssessingSosSerializer(serializers.Serializer):
    connection_point = serializers.IntegerField()
    gsrn = serializers.CharField()
    assessing_sos = AssessingSoSerializer(many=True)


def _resolve(*, points, product_code: str | None, at) -> list[dict]:
    from prequal.selectors.resources import product_get_by_code  # prequal builds on observability

    procuring = None
    if product_code:
        procuring = product_get_by_code(code=product_code).procuring_so
    result = assessing_sos_for_points(points=points, procuring_so=procuring, at=at)
    so_ids = {e.system_operator_id for entries in result.values() for e in entries}
    operators = {so.pk: so for so in system_operator_list().filter(pk__in=so_ids)}
    order = [r.value for r in Reason]
    return [
        {
            "connection_point": point.pk,
            "gsrn": point.gsrn,
            "assessing_sos": [
                {
                    "system_operator_id": e.system_operator_id,
                    "system_operator_name": operators[e.system_operator_id].name,
                    "eic_code": operators[e.system_operator_id].eic_code,
                    "tier": operators[e.system_operator_id].tier,
                    "reasons": sorted(e.reasons, key=order.index),
                    "area_version_ids": sorted(e.area_version_ids),
                }
                for e in result[point.pk]
            ],
        }
        for point in points
    ]


class AssessingSosApi(APIView):
    """Which SOs assess these connection points, and why (SPEC R1)."""

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "AssessingSosQueryInput"

        connection_points = serializers.ListField(
            child=serializers.CharField(max_length=18),
            min_length=1,
            max_length=MAX_POINTS_PER_QUERY,
            help_text="Connection point ids or 18-digit GSRNs.",
        )
        product = serializers.CharField(required=False, allow_blank=True, help_text="Product code.")
        at = serializers.DateTimeField(required=False, help_text="Instant to resolve at; default now.")

    @extend_schema(
        operation_id="assessing_sos_query",
        summary="Assessing SOs for many connection points",
        request=InputSerializer,
        responses=PointAssessingSosSerializer(many=True),
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        refs = data["connection_points"]
        ids = {int(r) for r in refs if r.isdigit() and len(r) < 18}
        gsrns = {r for r in refs if r.isdigit() and len(r) == 18}
        bad = [r for r in refs if not r.isdigit()]
        visible = connection_point_list_for_user(user=request.user)
        found = list(visible.filter(pk__in=ids)) + list(visible.filter(gsrn__in=gsrns))
        by_ref = {str(p.pk): p for p in found} | {p.gsrn: p for p in found}
        missing = [r for r in refs if r not in by_ref and r not in bad]
        if bad or missing:
            raise ValidationError(
                {
                    "connection_points": [
                        _("%(ref)s is not a connection point id or an 18-digit GSRN.") % {"ref": r}
                        for r in bad
                    ]
                    + [_("No connection point %(ref)s that you may see.") % {"ref": r} for r in missing]
                }
            )
        points = list({by_ref[r].pk: by_ref[r] for r in refs}.values())
        rows = _resolve(points=points, product_code=data.get("product"), at=data.get("at"))
        return Response(PointAssessingSosSerializer(rows, many=True).data)


class ConnectionPointAssessingSosApi(APIView):
    @extend_schema(
        operation_id="connection_point_assessing_sos",
        summary="Assessing SOs for one connection point",
        parameters=[OpenApiParameter("product", str, description="Product code (adds its procuring SO)")],
        responses=PointAssessingSosSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        point = connection_point_get_for_user(user=request.user, pk=pk)
        rows = _resolve(points=[point], product_code=request.query_params.get("product"), at=None)
        return Response(PointAssessingSosSerializer(rows[0]).data)
