"""Reading forecasts "as of" a moment: of a zone, an SPU, an SPG or a connection point."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from forecasts.apis.params import instant_param, period_params
from forecasts.models import LEVEL_CODES, Horizon
from forecasts.selectors import (
    forecast_for_point,
    forecast_for_spg,
    forecast_for_spu,
    forecast_for_zone,
)


class ValueSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    direction = serializers.CharField()
    headroom_mw = serializers.DecimalField(max_digits=10, decimal_places=3)
    level = serializers.SerializerMethodField()
    horizon = serializers.ChoiceField(choices=Horizon.choices)
    publication = serializers.IntegerField(source="publication_id")
    published_at = serializers.DateTimeField()

    def get_level(self, row) -> str:
        return LEVEL_CODES[row["level"]]


class ZoneForecastSerializer(serializers.Serializer):
    zone = serializers.IntegerField(source="version.zone_id")
    code = serializers.CharField(source="version.zone.code")
    name = serializers.CharField(source="version.name")
    system_operator = serializers.IntegerField(source="version.zone.system_operator_id")
    system_operator_name = serializers.CharField(source="version.zone.system_operator.name")
    values = ValueSerializer(many=True)


class ForecastAnswerSerializer(serializers.Serializer):
    as_of = serializers.DateTimeField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    zones = ZoneForecastSerializer(many=True)


AS_OF = OpenApiParameter(
    "as_of",
    OpenApiTypes.DATETIME,
    description="What was published by this instant (default now): later corrections are not seen",
)
PERIOD = [
    OpenApiParameter("start", OpenApiTypes.DATETIME, description="Default: as_of's quarter-hour"),
    OpenApiParameter(
        "end", OpenApiTypes.DATETIME, description="Default: start + 48 hours; at most 14 days"
    ),
]
RESOURCE_DESCRIPTION = (
    "The forecasts of the grid zones containing the resource's connection point(s), for the 48 hours "
    "from as_of's quarter-hour, as published by as_of, limited to the zones the caller reads (SPEC §4)."
)

ZONE_DESCRIPTION = (
    "Per market time unit and direction, the row of the latest publication published by as_of (a "
    "later correction is not seen). SOs read their own zones and those in their observability "
    "area, FSPs the zones around their units, market platforms the zones of the operators they are "
    "registered for; others get 404."
)
POINT_DESCRIPTION = (
    "Every grid zone (of every operator) whose geometry at as_of contains the point, that the "
    "caller reads, with its rows for the period as published by as_of."
)


def _answer(*, as_of, start, end, zones) -> Response:
    return Response(
        ForecastAnswerSerializer({"as_of": as_of, "start": start, "end": end, "zones": zones}).data
    )


def _period_answer(request: Request, read) -> Response:
    """The answer for `as_of`, `start` and `end` from the query; `read(as_of, start, end)` → zones."""
    as_of = instant_param(request, "as_of", default=timezone.now())
    start, end = period_params(request, as_of=as_of)
    return _answer(as_of=as_of, start=start, end=end, zones=read(as_of=as_of, start=start, end=end))


class ZoneForecastApi(APIView):
    @extend_schema(
        operation_id="forecast_zone_read",
        summary="A grid zone's forecast for a period, as of a moment",
        description=ZONE_DESCRIPTION,
        parameters=[AS_OF, *PERIOD],
        responses=ForecastAnswerSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        return _period_answer(
            request, lambda **period: [forecast_for_zone(user=request.user, zone_id=pk, **period)]
        )


def _resource_answer(request: Request, read, pk: int) -> Response:
    found = read(
        user=request.user, pk=pk, as_of=instant_param(request, "as_of", default=timezone.now())
    )
    return _answer(as_of=found.as_of, start=found.start, end=found.end, zones=found.zones)


class SpuForecastApi(APIView):
    @extend_schema(
        operation_id="forecast_spu_read",
        summary="An SPU's forecasts for the next 48 hours",
        description=RESOURCE_DESCRIPTION,
        parameters=[AS_OF],
        responses=ForecastAnswerSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        return _resource_answer(request, forecast_for_spu, pk)


class SpgForecastApi(APIView):
    @extend_schema(
        operation_id="forecast_spg_read",
        summary="An SPG's forecasts for the next 48 hours",
        description=RESOURCE_DESCRIPTION + " The group's members are those at as_of.",
        parameters=[AS_OF],
        responses=ForecastAnswerSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        return _resource_answer(request, forecast_for_spg, pk)


class PointForecastApi(APIView):
    @extend_schema(
        operation_id="forecast_point_read",
        summary="The forecasts of the zones containing a connection point, as of a moment",
        description=POINT_DESCRIPTION,
        parameters=[AS_OF, *PERIOD],
        responses=ForecastAnswerSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        return _period_answer(
            request, lambda **period: forecast_for_point(user=request.user, pk=pk, **period)[1]
        )
