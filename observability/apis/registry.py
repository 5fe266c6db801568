"""Read-only API over the grid registry: system operators and connection points."""

from __future__ import annotations

import django_filters
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from observability.models import ConnectionPoint, SystemOperator
from observability.selectors import (
    connection_point_get_for_user,
    connection_point_list_for_user,
    system_operator_list,
)


class SystemOperatorOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    eic_code = serializers.CharField()
    tier = serializers.ChoiceField(choices=SystemOperator.Tier.choices)
    upstream = serializers.IntegerField(
        source="upstream_id", allow_null=True, help_text="The upstream operator's id; null for a TSO."
    )
    time_zone = serializers.CharField()


class SystemOperatorFilter(django_filters.FilterSet):
    tier = django_filters.ChoiceFilter(choices=SystemOperator.Tier.choices)
    eic_code = django_filters.CharFilter(field_name="organisation__eic_code")
    upstream = django_filters.NumberFilter(field_name="upstream_id")

    class Meta:
        model = SystemOperator
        fields = ["tier", "eic_code", "upstream"]


class SystemOperatorListApi(ListAPIView):
    """Every system operator (the list of grid operators is open to every logged-in user)."""

    serializer_class = SystemOperatorOutputSerializer
    filterset_class = SystemOperatorFilter

    def get_queryset(self):
        return system_operator_list()

    @extend_schema(operation_id="operators_list", summary="List system operators")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class SystemOperatorDetailApi(APIView):
    @extend_schema(
        operation_id="operators_retrieve",
        summary="One system operator",
        responses=SystemOperatorOutputSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        so = get_object_or_404(system_operator_list(), pk=pk)
        return Response(SystemOperatorOutputSerializer(so).data)


class ConnectionPointOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    gsrn = serializers.CharField()
    connecting_so = serializers.IntegerField(source="connecting_so_id")
    connecting_so_eic = serializers.CharField(source="connecting_so.organisation.eic_code")
    latitude = serializers.FloatField(help_text="WGS84 (EPSG:4326).")
    longitude = serializers.FloatField(help_text="WGS84 (EPSG:4326).")
    voltage_level = serializers.ChoiceField(choices=ConnectionPoint.VoltageLevel.choices)
    bidding_zone = serializers.CharField()
    outside_area_reason = serializers.CharField(
        source="location_confirmation.reason", allow_null=True, default=None,
        help_text="Why the point was registered outside its operator's observability area "
        "(null when it lay inside).",
    )


class ConnectionPointFilter(django_filters.FilterSet):
    gsrn = django_filters.CharFilter()
    bidding_zone = django_filters.CharFilter()
    connecting_so = django_filters.NumberFilter(field_name="connecting_so_id")
    connecting_so_eic = django_filters.CharFilter(field_name="connecting_so__organisation__eic_code")

    class Meta:
        model = ConnectionPoint
        fields = ["gsrn", "bidding_zone", "connecting_so", "connecting_so_eic"]


class ConnectionPointListApi(ListAPIView):
    """Connection points the user may see: an FSP its own units' points, an SO its grid's."""

    serializer_class = ConnectionPointOutputSerializer
    filterset_class = ConnectionPointFilter

    def get_queryset(self):
        return connection_point_list_for_user(user=self.request.user).select_related(
            "location_confirmation"
        ).order_by("gsrn")

    @extend_schema(operation_id="connection_points_list", summary="List connection points")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class ConnectionPointDetailApi(APIView):
    @extend_schema(
        operation_id="connection_points_retrieve",
        summary="One connection point",
        responses=ConnectionPointOutputSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        point = connection_point_get_for_user(user=request.user, pk=pk)
        return Response(ConnectionPointOutputSerializer(point).data)
