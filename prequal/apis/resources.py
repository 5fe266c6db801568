"""REST API over FSP resources: SPUs, SPGs and their memberships, and products.

Reads go through prequal.selectors.resources (outsiders get 404), writes through
prequal.services.resources (read-only members get 403). Service errors are renamed to the
API's field names so every message lands on the field the client sent.
"""

from __future__ import annotations

import django_filters
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import StrictInputSerializer, errors_renamed
from common.validators import validate_bidding_zone, validate_eic, validate_gsrn
from observability.geo import WGS84, parse_epsg, to_wgs84
from observability.models import ConnectionPoint
from observability.selectors import connection_point_get_by_gsrn
from observability.services import system_operator_get_by_eic
from prequal.models import Direction, Fsp, Product, Spg, SpgMembership, Spu
from prequal.selectors.resources import (
    fsps_for_user,
    product_list,
    spg_get_for_user,
    spg_list_for_user,
    spg_memberships,
    spu_get_for_user,
    spu_list_for_user,
)
from prequal.services.resources import (
    fsp_for_user,
    spg_create,
    spg_deactivate,
    spg_member_add,
    spg_member_end,
    spg_update,
    spu_deactivate,
    spu_register,
    spu_update,
)

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
SPG_ERROR_FIELDS = {"fsp": "fsp_eic"}


def _fsp_acting(*, user, fsp_eic: str | None) -> Fsp:
    """The FSP a write is made for: the user's only FSP, or the one named by `fsp_eic`."""
    fsp = None
    if fsp_eic:
        fsp = fsps_for_user(user=user).filter(organisation__eic_code=fsp_eic).first()
        if fsp is None:
            raise ValidationError(
                {"fsp_eic": _("You do not act for an FSP with the EIC code %(eic)s.") % {"eic": fsp_eic}}
            )
    return fsp_for_user(user=user, fsp=fsp)


def _require_some_fsp(*, user) -> None:
    """Refuse writes by users who act for no FSP before looking at their input (403, not 400)."""
    if not fsps_for_user(user=user).exists():
        raise PermissionDenied


# --- SPUs -----------------------------------------------------------------------------------


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
    is_active = django_filters.BooleanFilter()
    technology = django_filters.ChoiceFilter(choices=Spu.Technology.choices)
    code = django_filters.CharFilter()
    connection_point_gsrn = django_filters.CharFilter(field_name="connection_point__gsrn")
    bidding_zone = django_filters.CharFilter(field_name="connection_point__bidding_zone")

    class Meta:
        model = Spu
        fields = ["is_active", "technology", "code", "connection_point_gsrn", "bidding_zone"]


class SpuListCreateApi(ListAPIView):
    """The SPUs the user may see; FSP users register new ones here."""

    serializer_class = SpuOutputSerializer
    filterset_class = SpuFilter

    class InputSerializer(StrictInputSerializer):
        fsp_eic = serializers.CharField(
            required=False, validators=[validate_eic],
            help_text="Only for users who act for several FSPs: which one registers the SPU.",
        )
        code = serializers.CharField(max_length=64, help_text="The FSP's own id, unique per FSP.")
        name = serializers.CharField(max_length=200)
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
            required=False, max_length=10, validators=[validate_bidding_zone]
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
        _require_some_fsp(user=request.user)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        with errors_renamed(SPU_ERROR_FIELDS):
            fsp = _fsp_acting(user=request.user, fsp_eic=data.pop("fsp_eic", None))
            eic = data.pop("connecting_so_eic", None)
            connecting_so = system_operator_get_by_eic(eic_code=eic) if eic else None
            spu = spu_register(
                user=request.user, fsp=fsp, gsrn=data.pop("connection_point_gsrn"),
                connecting_so=connecting_so, epsg=data.pop("crs"), **data,
            )
        spu = spu_get_for_user(user=request.user, pk=spu.pk)
        return Response(SpuOutputSerializer(spu).data, status=status.HTTP_201_CREATED)


class SpuDetailApi(APIView):
    class InputSerializer(StrictInputSerializer):
        unchangeable_fields = ("id", "code", "fsp", "fsp_eic", "is_active", "connecting_so_eic")

        name = serializers.CharField(max_length=200, required=False)
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
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
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


class SpuDeactivateApi(APIView):
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
        self.InputSerializer(data=request.data).is_valid(raise_exception=True)
        spu_deactivate(user=request.user, spu=spu)
        spu = spu_get_for_user(user=request.user, pk=pk)
        return Response(SpuOutputSerializer(spu).data)


# --- SPGs -----------------------------------------------------------------------------------


class SpgOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    fsp = serializers.IntegerField(source="fsp_id")
    fsp_eic = serializers.CharField(source="fsp.organisation.eic_code")
    code = serializers.CharField()
    name = serializers.CharField()
    bidding_zone = serializers.CharField()
    is_active = serializers.BooleanField()
    deactivated_at = serializers.DateTimeField(allow_null=True)
    member_count = serializers.IntegerField(help_text="Memberships, past, current and future.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class SpgFilter(django_filters.FilterSet):
    is_active = django_filters.BooleanFilter()
    code = django_filters.CharFilter()
    bidding_zone = django_filters.CharFilter()

    class Meta:
        model = Spg
        fields = ["is_active", "code", "bidding_zone"]


class SpgListCreateApi(ListAPIView):
    serializer_class = SpgOutputSerializer
    filterset_class = SpgFilter

    class InputSerializer(StrictInputSerializer):
        fsp_eic = serializers.CharField(
            required=False, validators=[validate_eic],
            help_text="Only for users who act for several FSPs: which one creates the group.",
        )
        code = serializers.CharField(max_length=64)
        name = serializers.CharField(max_length=200)
        bidding_zone = serializers.CharField(max_length=10, validators=[validate_bidding_zone])

        class Meta:
            ref_name = "SpgCreateInput"

    def get_queryset(self):
        return spg_list_for_user(user=self.request.user)

    @extend_schema(operation_id="spgs_list", summary="List SPGs")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="spgs_create",
        summary="Create an SPG",
        request=InputSerializer,
        responses={201: SpgOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        _require_some_fsp(user=request.user)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        with errors_renamed(SPG_ERROR_FIELDS):
            fsp = _fsp_acting(user=request.user, fsp_eic=data.pop("fsp_eic", None))
            spg = spg_create(user=request.user, fsp=fsp, **data)
        spg = spg_get_for_user(user=request.user, pk=spg.pk)
        return Response(SpgOutputSerializer(spg).data, status=status.HTTP_201_CREATED)


class SpgDetailApi(APIView):
    class InputSerializer(StrictInputSerializer):
        unchangeable_fields = ("id", "code", "fsp", "fsp_eic", "bidding_zone", "is_active")

        name = serializers.CharField(max_length=200, required=False)

        class Meta:
            ref_name = "SpgUpdateInput"

    @extend_schema(operation_id="spgs_retrieve", summary="One SPG", responses=SpgOutputSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(SpgOutputSerializer(spg_get_for_user(user=request.user, pk=pk)).data)

    @extend_schema(
        operation_id="spgs_partial_update",
        summary="Change an SPG",
        request=InputSerializer,
        responses=SpgOutputSerializer,
    )
    def patch(self, request: Request, pk: int) -> Response:
        spg = spg_get_for_user(user=request.user, pk=pk, write=True)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with errors_renamed(SPG_ERROR_FIELDS):
            spg_update(user=request.user, spg=spg, **serializer.validated_data)
        return Response(SpgOutputSerializer(spg_get_for_user(user=request.user, pk=pk)).data)


class SpgDeactivateApi(APIView):
    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "SpgDeactivateInput"

    @extend_schema(
        operation_id="spgs_deactivate",
        summary="Deactivate an SPG and end its memberships now",
        request=None,
        responses=SpgOutputSerializer,
    )
    def post(self, request: Request, pk: int) -> Response:
        spg = spg_get_for_user(user=request.user, pk=pk, write=True)
        self.InputSerializer(data=request.data).is_valid(raise_exception=True)
        spg_deactivate(user=request.user, spg=spg)
        return Response(SpgOutputSerializer(spg_get_for_user(user=request.user, pk=pk)).data)


class SpgMembershipOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    spg = serializers.IntegerField(source="spg_id")
    spu = serializers.IntegerField(source="spu_id")
    spu_code = serializers.CharField(source="spu.code")
    valid_from = serializers.DateTimeField()
    valid_to = serializers.DateTimeField(allow_null=True, help_text="Open-ended when null.")


class SpgMembershipFilter(django_filters.FilterSet):
    spu = django_filters.NumberFilter(field_name="spu_id")

    class Meta:
        model = SpgMembership
        fields = ["spu"]


class SpgMemberListCreateApi(ListAPIView):
    serializer_class = SpgMembershipOutputSerializer
    filterset_class = SpgMembershipFilter

    class InputSerializer(StrictInputSerializer):
        spu = serializers.IntegerField(help_text="The SPU's id.")
        valid_from = serializers.DateTimeField(required=False, help_text="Now when left out.")
        valid_to = serializers.DateTimeField(
            required=False, allow_null=True, help_text="Open-ended when left out."
        )

        class Meta:
            ref_name = "SpgMemberAddInput"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request, no SPG
            return SpgMembership.objects.none()
        spg = spg_get_for_user(user=self.request.user, pk=self.kwargs["pk"])
        return spg_memberships(spg=spg)

    @extend_schema(operation_id="spgs_members_list", summary="An SPG's memberships")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="spgs_members_create",
        summary="Add an SPU to an SPG for a period",
        request=InputSerializer,
        responses={201: SpgMembershipOutputSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        spg = spg_get_for_user(user=request.user, pk=pk, write=True)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        try:
            spu = spu_get_for_user(user=request.user, pk=data.pop("spu"), write=True)
        except (Http404, PermissionDenied) as exc:
            # The unit is named in the body: a bad id is bad input, not a missing page.
            raise ValidationError({"spu": _("You have no SPU with this id.")}) from exc
        membership = spg_member_add(user=request.user, spg=spg, spu=spu, **data)
        return Response(
            SpgMembershipOutputSerializer(membership).data, status=status.HTTP_201_CREATED
        )


class SpgMemberEndApi(APIView):
    class InputSerializer(StrictInputSerializer):
        at = serializers.DateTimeField(required=False, help_text="Now when left out.")

        class Meta:
            ref_name = "SpgMemberEndInput"

    @extend_schema(
        operation_id="spgs_members_end",
        summary="End a membership (one that has not started yet is removed)",
        request=InputSerializer,
        responses={
            200: SpgMembershipOutputSerializer,
            204: OpenApiResponse(description="The membership had not started; it was removed."),
        },
    )
    def post(self, request: Request, pk: int, membership_id: int) -> Response:
        spg = spg_get_for_user(user=request.user, pk=pk, write=True)
        membership = get_object_or_404(spg_memberships(spg=spg), pk=membership_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with errors_renamed({"valid_to": "at"}):
            membership = spg_member_end(
                user=request.user, membership=membership, **serializer.validated_data
            )
        if membership.pk is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(SpgMembershipOutputSerializer(membership).data)


# --- Products -------------------------------------------------------------------------------


class ProductOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Product.Kind.choices)
    procuring_so = serializers.IntegerField(source="procuring_so_id")
    procuring_so_eic = serializers.CharField(source="procuring_so.organisation.eic_code")
    directions = serializers.ChoiceField(choices=Direction.choices)
    market_time_unit_minutes = serializers.IntegerField()
    gate_closure_minutes = serializers.IntegerField(
        help_text="Balancing energy gate closure: minutes before delivery that bids close."
    )


class ProductFilter(django_filters.FilterSet):
    code = django_filters.CharFilter()
    kind = django_filters.ChoiceFilter(choices=Product.Kind.choices)
    procuring_so = django_filters.NumberFilter(field_name="procuring_so_id")

    class Meta:
        model = Product
        fields = ["code", "kind", "procuring_so"]


class ProductListApi(ListAPIView):
    """The active products (open to every logged-in user)."""

    serializer_class = ProductOutputSerializer
    filterset_class = ProductFilter

    def get_queryset(self):
        return product_list()

    @extend_schema(operation_id="products_list", summary="List products")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class ProductDetailApi(APIView):
    @extend_schema(operation_id="products_retrieve", summary="One product", responses=ProductOutputSerializer)
    def get(self, request: Request, pk: int) -> Response:
        product = get_object_or_404(product_list(), pk=pk)
        return Response(ProductOutputSerializer(product).data)
