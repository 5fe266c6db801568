"""Publishing forecasts over the API (JSON or CSV body) and listing publications."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response

from common.api import StrictInputSerializer
from common.csv_in import CsvIn
from common.parsers import JSONParser
from forecasts.apis.params import require_engineer
from forecasts.models import Horizon
from forecasts.rows import COLUMNS
from forecasts.selectors import publication_list_for_user
from forecasts.services import publication_create
from observability.selectors import system_operator_list


class CsvTextParser(BaseParser):
    """A text/csv body, read by common.csv_in (UTF-8 or Windows-1252, comma or semicolon)."""

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None) -> CsvIn:
        return CsvIn(stream.read())


class PublicationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    system_operator = serializers.IntegerField(source="system_operator_id")
    system_operator_name = serializers.CharField(source="system_operator.name")
    horizon = serializers.ChoiceField(choices=Horizon.choices)
    mtu_minutes = serializers.IntegerField()
    published_at = serializers.DateTimeField()
    published_by = serializers.CharField(source="published_by.username")
    row_count = serializers.IntegerField()
    first_start = serializers.DateTimeField()
    last_end = serializers.DateTimeField()
    source = serializers.CharField()


class PublicationListApi(ListAPIView):
    """Forecast publications, newest first; every publication is kept (a correction is a new one)."""

    serializer_class = PublicationOutputSerializer
    parser_classes = [JSONParser, CsvTextParser]
    filter_backends: list = []

    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "ForecastPublicationInput"

        system_operator = serializers.IntegerField(help_text="The publishing operator's id.")
        horizon = serializers.ChoiceField(choices=Horizon.choices)
        mtu_minutes = serializers.ChoiceField(
            choices=[15, 60], help_text="The market time unit: 15 or 60."
        )
        rows = serializers.ListField(
            child=serializers.DictField(),
            allow_empty=False,
            help_text="Objects with "
            + ", ".join(COLUMNS)
            + ": zone code, start (ISO 8601 with offset, "
            "aligned to the market time unit), direction (up, down), headroom_mw (≥ 0), level (none, "
            "possible, likely, certain).",
        )

    def get_queryset(self):
        so_id = self.request.query_params.get("system_operator")
        return publication_list_for_user(
            user=self.request.user,
            system_operator_id=int(so_id) if (so_id or "").isdigit() else None,
        )

    @extend_schema(
        operation_id="forecast_publications_list",
        summary="List forecast publications",
        description="An SO reads its own operator's publications, a market platform its operators', "
        "the NRA all; FSPs read the forecasts of their resources instead.",
        parameters=[OpenApiParameter("system_operator", int, description="Only this operator's")],
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="forecast_publications_create",
        summary="Publish a congestion forecast (JSON or CSV)",
        description="Engineers of the operator only. All or nothing: every bad row is listed in "
        "`errors.rows` (unknown zone, start not aligned to the market time unit, negative headroom, "
        "duplicate zone/start/direction, a day-ahead period in the past …) and nothing is stored. "
        "A CSV body (Content-Type text/csv, header "
        + ",".join(COLUMNS)
        + ") takes system_operator, "
        "horizon and mtu_minutes as query parameters.",
        request={"application/json": InputSerializer, "text/csv": OpenApiTypes.STR},
        parameters=[
            OpenApiParameter("system_operator", int, description="CSV body only"),
            OpenApiParameter("horizon", str, enum=Horizon.values, description="CSV body only"),
            OpenApiParameter("mtu_minutes", int, enum=[15, 60], description="CSV body only"),
        ],
        responses={201: PublicationOutputSerializer},
        examples=[
            OpenApiExample(
                "CSV",
                media_type="text/csv",
                request_only=True,
                value=(",".join(COLUMNS) + "\nT12-NORTH,2027-01-05T13:00+01:00,up,4.5,likely\n"),
            )
        ],
    )
    def post(self, request: Request) -> Response:
        require_engineer(request.user)
        csv_text = request.data if isinstance(request.data, CsvIn) else None
        data = _header(
            request.query_params if csv_text is not None else request.data, csv=csv_text is not None
        )
        so = get_object_or_404(system_operator_list(), pk=data["system_operator"])
        publication = publication_create(
            user=request.user,
            system_operator=so,
            horizon=data["horizon"],
            mtu_minutes=int(data["mtu_minutes"]),
            csv_text=csv_text,
            rows=data.get("rows"),
            source="api:csv" if csv_text is not None else "api:json",
        )
        return Response(
            PublicationOutputSerializer(publication).data, status=status.HTTP_201_CREATED
        )


class _CsvHeaderSerializer(serializers.Serializer):
    system_operator = serializers.IntegerField()
    horizon = serializers.ChoiceField(choices=Horizon.choices)
    mtu_minutes = serializers.ChoiceField(choices=[15, 60])


def _header(data, *, csv: bool) -> dict:
    serializer = (_CsvHeaderSerializer if csv else PublicationListApi.InputSerializer)(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
