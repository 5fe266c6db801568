"""REST API over SPUs (and the connection point registered with a new one).

Reads go through prequal.selectors.resources (outsiders get 404), writes through
prequal.services.resources (read-only members get 403). Service errors are renamed to the
API's field names so every message lands on the field the client sent.
"""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status, views
from rest_framework.request import Request
from rest_framework.response import Response

from common.api import StrictInputSerializer, errors_renamed, validated_input
from common.text import CodeOrNameSerializerField
from common.validators import validate_bidding_zone, validate_eic, validate_gsrn
from observability.geo import WGS84, parse_epsg, to_wgs84
from observability.models import ConnectionPoint, ConnectionPointLocationConfirmation
from observability.selectors import connection_point_get_by_gsrn
from observability.services import system_operator_get_by_eic
from prequal.apis.acting import fsp_acting, require_some_fsp
from prequal.models import Spu
from prequal.selectors.resources import spu_get_for_user, spu_list_for_user
from prequal.services.resources import spu_deactivate, spu_register, spu_update

# Model/service field names → the names this API takes.
SPU_ERROR_FIELDS = {
    "fsp": "fsp_eic",
    "gsrn": "connection_point_gsrn",
    "connection_point": "connection_point_gsrn",
    "connecting_so": "connecting_so_eic",
    "epsg": "crs",
    "longitude": "x",
    "latitude": "y",
}


class SpuOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    fsp = serializers.IntegerField(source="fsp_id")
    fsp_eic = serializers.CharField(source="fsp.organisation.eic_code")
    code = serializers.CharField()
    name = serializers.CharField()
    technology = serializers.ChoiceField(choices=Spu.Technology.choices)
    max_up_kw = serializers.DecimalField(max_digits=12, decimal_places=3)
    max_down_kw = serializers.DecimalField(max_digits=12, decimal_places=3)
    connection_point = serializers.IntegerField(source="connection_point_id")
    connection_point_gsrn = serializers.CharField(source="connection_point.gsrn")
    connecting_so = serializers.IntegerField(source="connection_point.connecting_so_id")
    bidding_zone = serializers.CharField(source="connection_point.bidding_zone")
    is_active = serializers.BooleanField()
    deactivated_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class SpuFilter(django_filters.FilterSet):
    # Through SpuQuerySet.active: an SO's list keeps counting off its reader rows.
    is_active = django_filters.BooleanFilter(method="filter_active")
    technology = django_filters.ChoiceFilter(choices=Spu.Technology.choices)
    code = django_filters.CharFilter()
    connection_point_gsrn = django_filters.CharFilter(field_name="connection_point__gsrn")
    bidding_zone = django_filters.CharFilter(field_name="connection_point__bidding_zone")

    class Meta:
        model = Spu
        fields = ["is_active", "technology", "code", "connection_point_gsrn", "bidding_zone"]

    def filter_active(self, queryset, name, value):
        return queryset.active(value)


class SpuListCreateApi(generics.ListAPIView):
    """The SPUs the user may see; FSP users register new ones here."""

    serializer_class = SpuOutputSerializer
    filterset_class = SpuFilter

    class InputSerializer(StrictInputSerializer):
        fsp_eic = serializers.CharField(
            required=False, validators=[validate_eic],
            help_text="Only for users who act for several FSPs: which one registers the SPU.",
        )
        code = CodeOrNameSerializerField(max_length=64, help_text="The FSP's own id, unique per FSP.")
        name = CodeOrNameSerializerField(max_length=200)
        technology = serializers.ChoiceField(choices=Spu.Technology.choices)
        max_up_kw = serializers.DecimalField(
            max_digits=12, decimal_places=3, min_value=0, coerce_to_string=False
        )
        max_down_kw = serializers.DecimalField(
            max_digits=12, decimal_places=3, min_value=0, coerce_to_string=False
        )
        connection_point_gsrn = serializers.CharField(
            validators=[validate_gsrn],
            help_text="The connection point's GSRN. If it is not registered yet, give the details "
            "below to register it with the SPU.",
        )
        connecting_so_eic = serializers.CharField(
            required=False, validators=[validate_eic],
            help_text="EIC code of the connecting system operator (needed for a new point; "
            "checked against a registered one).",
        )
        crs = serializers.CharField(
            required=False, default=str(WGS84),
            help_text="EPSG code of x and y, e.g. 4326 (WGS84: x longitude, y latitude) or "
            "3006 (SWEREF99 TM: x easting, y northing). Stored in WGS84.",
        )
        x = serializers.FloatField(required=False)
        y = serializers.FloatField(required=False)
        voltage_level = serializers.ChoiceField(
            choices=ConnectionPoint.VoltageLevel.choices, required=False
        )
        bidding_zone = serializers.CharField(
            required=False, max_length=10, validators=[validate_bidding_zone],
            help_text="One of the connecting operator's bidding zones (for a new point).",
        )
        confirm_outside_area = serializers.BooleanField(
            required=False, default=False,
            help_text="A new point outside its operator's current observability area is refused "
            "unless this is true and outside_area_reason says why (kept with the point).",
        )
        outside_area_reason = serializers.CharField(
            required=False, default="", allow_blank=True,
            max_length=ConnectionPointLocationConfirmation.REASON_MAX_LENGTH,
        )

        class Meta:
            ref_name = "SpuCreateInput"

        def validate_crs(self, value: str) -> int:
            return parse_epsg(value)

        def validate(self, attrs: dict) -> dict:
            # A location outside the coordinate system's range is bad x/y, said on those fields.
            if attrs.get("x") is not None and attrs.get("y") is not None:
                try:
                    to_wgs84(x=attrs["x"], y=attrs["y"], epsg=attrs["crs"])
                except ValidationError as exc:
                    raise serializers.ValidationError({"x": exc.messages, "y": exc.messages}) from exc
            return attrs

    def get_queryset(self):
        return spu_list_for_user(user=self.request.user)

    @extend_schema(operation_id="spus_list", summary="List SPUs")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="spus_create",
        summary="Register an SPU (and its connection point if new)",
        request=InputSerializer,
        responses={201: SpuOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        require_some_fsp(user=request.user)
        data = validated_input(self.InputSerializer, request)
        with errors_renamed(SPU_ERROR_FIELDS):
            fsp = fsp_acting(user=request.user, fsp_eic=data.pop("fsp_eic", None))
            eic = data.pop("connecting_so_eic", None)
            connecting_so = system_operator_get_by_eic(eic_code=eic) if eic else None
            spu = spu_register(
                user=request.user, fsp=fsp, gsrn=data.pop("connection_point_gsrn"),
                connecting_so=connecting_so, epsg=data.pop("crs"), **data,
            )
        spu = spu_get_for_user(user=request.user, pk=spu.pk)
        return Response(SpuOutputSerializer(spu).data, status=status.HTTP_201_CREATED)


class SpuDetailApi(views.APIView):
    class InputSerializer(StrictInputSerializer):
        unchangeable_fields = ("id", "code", "fsp", "fsp_eic", "is_active", "connecting_so_eic")

        name = CodeOrNameSerializerField(max_length=200, required=False)
        technology = serializers.ChoiceField(choices=Spu.Technology.choices, required=False)
        max_up_kw = serializers.DecimalField(
            max_digits=12, decimal_places=3, min_value=0, coerce_to_string=False, required=False
        )
        max_down_kw = serializers.DecimalField(
            max_digits=12, decimal_places=3, min_value=0, coerce_to_string=False, required=False
        )
        connection_point_gsrn = serializers.CharField(
            required=False, validators=[validate_gsrn],
            help_text="Move the SPU to another registered connection point.",
        )

        class Meta:
            ref_name = "SpuUpdateInput"

    @extend_schema(operation_id="spus_retrieve", summary="One SPU", responses=SpuOutputSerializer)
    def get(self, request: Request, pk: int) -> Response:
        spu = spu_get_for_user(user=request.user, pk=pk)
        return Response(SpuOutputSerializer(spu).data)

    @extend_schema(
        operation_id="spus_partial_update",
        summary="Change an SPU",
        request=InputSerializer,
        responses=SpuOutputSerializer,
    )
    def patch(self, request: Request, pk: int) -> Response:
        spu = spu_get_for_user(user=request.user, pk=pk, write=True)
        changes = validated_input(self.InputSerializer, request)
        if "connection_point_gsrn" in changes:
            gsrn = changes.pop("connection_point_gsrn")
            point = connection_point_get_by_gsrn(gsrn=gsrn)
            if point is None:
                raise ValidationError({"connection_point_gsrn": _(
                    "No connection point has the GSRN %(gsrn)s: register the point first."
                ) % {"gsrn": gsrn}})
            changes["connection_point"] = point
        with errors_renamed(SPU_ERROR_FIELDS):
            spu_update(user=request.user, spu=spu, **changes)
        spu = spu_get_for_user(user=request.user, pk=pk)
        return Response(SpuOutputSerializer(spu).data)


class SpuDeactivateApi(views.APIView):
    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "SpuDeactivateInput"

    @extend_schema(
        operation_id="spus_deactivate",
        summary="Deactivate an SPU and end its group memberships now",
        request=None,
        responses=SpuOutputSerializer,
    )
    def post(self, request: Request, pk: int) -> Response:
        spu = spu_get_for_user(user=request.user, pk=pk, write=True)
        validated_input(self.InputSerializer, request)
        spu_deactivate(user=request.user, spu=spu)
        spu = spu_get_for_user(user=request.user, pk=pk)
        return Response(SpuOutputSerializer(spu).data)
